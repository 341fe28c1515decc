import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack
import TestSupport

/// The `values` record codec of factors records (Spec/FORMAT.md §4): the
/// writer's pieces decode back to the factor area, and every broken record
/// is refused by the device loader before anything is written.
final class FactorCodecTests: XCTestCase {
    func testPiecesDecodeToTheAreaAndIncompressibleBytesStayStored() throws {
        let lora = try corpus()
        let result = try LoRABundler.build(base: lora.base, adapter: lora.adapter, map: lora.map, key: Fixtures.ed25519Key)
        let area = result.plan.sections.factors
        for room in [200, 700, 4000] {
            let records = BundleWriter.factorRecords(area, room: room)
            XCTAssertTrue(records.allSatisfy { $0.stored.count <= room }, "room \(room)")
            XCTAssertEqual(try records.flatMap { try decode($0) }, area, "room \(room)")
            // Small pieces of row parameters (uniform 16-bit multipliers) may go stored; no piece grows.
            XCTAssertTrue(records.allSatisfy { $0.stored.count <= $0.decodedLength }, "room \(room)")
            if room >= area.count {
                XCTAssertEqual(records.map(\.codec), [.values])
                XCTAssertLessThan(records[0].stored.count, area.count * 90 / 100)
            }
        }
        // Bytes the coder cannot shrink (uniform noise) go stored.
        var generator = SystemRandomNumberGenerator()
        let noise = (0 ..< 3000).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        let stored = BundleWriter.factorRecords(noise, room: 1000)
        XCTAssertEqual(stored.map(\.codec), [.stored, .stored, .stored])
        XCTAssertEqual(stored.flatMap(\.stored), noise)
    }

    func testBrokenValuesRecordsAreRefusedBeforeAnyWrite() throws {
        let lora = try corpus()
        let good = try LoRABundler.build(base: lora.base, adapter: lora.adapter, map: lora.map, key: Fixtures.ed25519Key)
        let parsed = try ParsedBundle(bytes: good.bundle)
        let records = parsed.blocks.flatMap(\.records).map {
            BundleWriter.Record(kind: $0.kind, codec: $0.codec, segment: Int($0.segment), stored: Array(parsed.stored($0)),
                                decodedLength: Int($0.decodedLength))
        }
        let first = try XCTUnwrap(records.firstIndex { $0.kind == .factors && $0.codec == .values })
        func apply(_ list: [BundleWriter.Record]) -> Result<[UInt8], LoaderError> {
            var options = BundleOptions()
            options.blockSize = 8192
            do {
                let bundle = try BundleWriter.assemble(list, base: lora.base, target: good.target,
                                                       factorBytes: Int(parsed.header.factorBytes), key: Fixtures.ed25519Key,
                                                       options: options, stepBound: parsed.header.stepBound, oneWay: true)
                return .success(try HostLoader.apply(bundle: bundle, base: lora.base, keys: Fixtures.trusted).model)
            } catch let error as LoaderError {
                return .failure(error)
            } catch {
                XCTFail("\(error)")
                return .failure(.format(.badMagic(found: 0)))
            }
        }
        func changed(_ change: (inout BundleWriter.Record) -> Void, at index: Int? = nil) -> [BundleWriter.Record] {
            var list = records
            change(&list[index ?? first])
            return list
        }
        func problem(_ result: Result<[UInt8], LoaderError>) -> RecordProblem? {
            guard case .failure(.format(.malformedRecord(section: SectionKind.factors.rawValue, _, let problem))) = result else {
                return nil
            }
            return problem
        }
        XCTAssertEqual(try apply(records).get(), good.target, "the reassembled bundle applies")
        // The coded block cut short, or with a byte left over.
        XCTAssertEqual(problem(apply(changed { $0.stored.removeLast() })), .unexpectedEnd)
        guard case .decodedLength? = problem(apply(changed { $0.stored.append(0) })) else {
            return XCTFail("a byte after the coded block: \(apply(changed { $0.stored.append(0) }))")
        }
        // A start value C ≥ R.
        guard case .badValue? = problem(apply(changed { $0.stored.replaceSubrange(0 ..< 4, with: [0xFF, 0xFF, 0xFF, 0xFF]) })) else {
            return XCTFail("C ≥ R at the start was not refused as badValue")
        }
        // More decoded bytes than the front's factor bytes.
        guard case .failure(.format(.malformedBlock(_, _, .factorBytes))) = apply(changed { $0.decodedLength += 1 }) else {
            return XCTFail("a values record past the factor bytes was not refused")
        }
        // The codec on a record that is not factors.
        let payload = try XCTUnwrap(records.firstIndex { $0.kind == .payload })
        let tag = UInt8(SectionKind.payload.rawValue) | BlockRecord.valuesCodecID << 4
        guard case .failure(.format(.malformedBlock(_, _, .unknownRecord(tag)))) = apply(changed({ $0.codec = .values }, at: payload)) else {
            return XCTFail("values on a payload record was not refused")
        }
    }

    private func corpus() throws -> (base: [UInt8], adapter: PEFTAdapter, map: Data) {
        let dir = RepoPaths.digits.appendingPathComponent("lora-adapter")
        guard FileManager.default.fileExists(atPath: dir.path) else { throw XCTSkip("Examples/digits not present") }
        return (try RepoPaths.bytes(RepoPaths.digits.appendingPathComponent("base.tflite")), try PEFTAdapter(directory: dir.path),
                try Data(contentsOf: dir.appendingPathComponent("tensor_map.json")))
    }

    private func decode(_ record: BundleWriter.Record) throws -> [UInt8] {
        try ParsedBundle.decode(record.stored, entry: SectionEntry(
            kind: .factors, codec: record.codec, offset: 0, storedLength: UInt32(record.stored.count),
            decodedLength: UInt32(record.decodedLength), digest: .zero))
    }
}
