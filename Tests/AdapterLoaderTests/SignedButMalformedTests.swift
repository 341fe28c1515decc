import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack

/// Bundles that are validly signed but whose records are wrong: the loader
/// refuses them before writing, or reports a wrong result.
final class SignedButMalformedTests: XCTestCase {
    let base = LoaderHarness.model("base")

    func run(_ payload: [UInt8], kind: SectionKind = .payload, segment: Int = 0, target: [UInt8]? = nil) -> LoaderHarness.Run {
        let bundle = LoaderHarness.crafted([LoaderHarness.record(kind, payload, segment: segment)], base: base, target: target ?? base)
        return LoaderHarness.apply(bundle, to: base)
    }

    func testOperationPastTheModelIsRefusedBeforeWriting() {
        var ops = OpStreamWriter()
        let last = (base.count - 1) / 4096
        ops.bytesOp(.xor, offset: last * 4096, data: [1, 2, 3])
        ops.bytesOp(.xor, offset: base.count - 1, data: [1, 2])
        let r = run(ops.bytes, segment: last)
        guard case .format(.malformedRecord(section: 5, _, .outOfModel(offset: UInt32(base.count - 1), length: 2, limit: UInt32(base.count))))? = r.error else {
            return XCTFail("\(String(describing: r.error))")
        }
        XCTAssertEqual(r.store, base)
    }

    func testOperationOutsideItsChunksSegment() {
        var ops = OpStreamWriter()
        ops.bytesOp(.xor, offset: 4090, data: [1, 2, 3, 4, 5, 6, 7, 8])
        let r = run(ops.bytes, segment: 0)
        XCTAssertEqual(r.error, .format(.malformedRecord(section: 5, offset: 4,
                                                         .outsideSegment(segment: 0, offset: 4090, length: 8))))
        XCTAssertEqual(r.store, base)
    }

    func testChunkForASegmentBeyondTheModel() {
        var ops = OpStreamWriter()
        ops.bytesOp(.xor, offset: 10, data: [1])
        let r = run(ops.bytes, segment: 10)
        guard case .format(.malformedBlock(block: 0, offset: _, .segmentOutsideModel(10)))? = r.error else {
            return XCTFail("\(String(describing: r.error))")
        }
        XCTAssertEqual(r.store, base)
    }

    func testOpcodeNotAllowedInSection() {
        var ops = OpStreamWriter()
        ops.move(from: 0, to: 10, length: 5)
        let r = run(ops.bytes)
        XCTAssertEqual(r.error, .format(.malformedRecord(section: 5, offset: 0, .unknownOpcode(Opcode.move.rawValue))))
        XCTAssertEqual(r.store, base)
    }

    func testStreamCutInsideAnOperation() {
        var ops = OpStreamWriter()
        ops.bytesOp(.add8, offset: 100, data: [1, 2, 3, 4])
        let r = run(Array(ops.bytes.dropLast()))
        XCTAssertEqual(r.error, .format(.malformedRecord(section: 5, offset: 6, .unexpectedEnd)))
        XCTAssertEqual(r.store, base)
    }

    func testVarintOverflow() {
        let r = run([Opcode.xor.rawValue, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1, 0])
        XCTAssertEqual(r.error, .format(.malformedRecord(section: 5, offset: 1, .varintOverflow)))
    }

    func testUnknownOpcode() {
        XCTAssertEqual(run([0x7E]).error, .format(.malformedRecord(section: 5, offset: 0, .unknownOpcode(0x7E))))
    }

    func testDeflateLengthMismatch() {
        var ops = OpStreamWriter()
        ops.bytesOp(.xor, offset: 100, data: [1])
        let record = LoaderHarness.record(.payload, Deflate.compress(ops.bytes, windowBits: 9), codec: .deflate(windowBits: 9),
                                          decodedLength: ops.bytes.count + 1)
        let bundle = LoaderHarness.crafted([record], base: base, target: base)
        let r = LoaderHarness.apply(bundle, to: base)
        XCTAssertEqual(r.error, .format(.malformedRecord(section: 5, offset: ops.bytes.count,
                                                         .decodedLength(expected: UInt32(ops.bytes.count + 1), actual: UInt32(ops.bytes.count)))))
    }

    func testCorruptDeflateStreamIsRefused() {
        let record = LoaderHarness.record(.payload, [0x07, 0x00, 0x00], codec: .deflate(windowBits: 9), decodedLength: 10)
        let bundle = LoaderHarness.crafted([record], base: base, target: base)
        let r = LoaderHarness.apply(bundle, to: base)
        guard case .format(.inflate)? = r.error else { return XCTFail("\(String(describing: r.error))") }
        XCTAssertEqual(r.store, base)
    }

    /// A signed bundle whose authentic blocks do not give its target (a
    /// writer fault): reported after the last block; the blocks are gone, so
    /// the store holds what they produced (FORMAT.md §8).
    func testWrongResultIsReported() {
        var ops = OpStreamWriter()
        ops.bytesOp(.add8, offset: 6_000, data: [3, 4, 5])
        var claimed = base
        claimed[6_000] &+= 9
        let r = run(ops.bytes, segment: 1, target: claimed)
        var produced = base
        produced[6_000] &+= 3; produced[6_001] &+= 4; produced[6_002] &+= 5
        XCTAssertEqual(r.error, .targetMismatch(expected: sha256(claimed), actual: sha256(produced)))
        XCTAssertEqual(r.store, produced)
    }

    func testRecordsOutOfOrderAreRefusedBeforeWriting() {
        var ops = OpStreamWriter()
        ops.bytesOp(.xor, offset: 5_000, data: [1])
        var early = OpStreamWriter()
        early.bytesOp(.xor, offset: 10, data: [1])
        let bundle = LoaderHarness.crafted([LoaderHarness.record(.payload, ops.bytes, segment: 1),
                                            LoaderHarness.record(.payload, early.bytes, segment: 0)], base: base, target: base)
        let r = LoaderHarness.apply(bundle, to: base)
        guard case .format(.malformedBlock(block: 0, _, .recordOrder))? = r.error else { return XCTFail("\(String(describing: r.error))") }
        XCTAssertEqual(r.store, base)
    }

    func testFactorBytesMustAddUp() {
        let bundle = LoaderHarness.crafted([LoaderHarness.record(.factors, [UInt8](repeating: 0, count: 20))],
                                           base: base, target: base, factorBytes: 40)
        let r = LoaderHarness.apply(bundle, to: base)
        guard case .format(.malformedBlock(_, _, .factorBytes))? = r.error else { return XCTFail("\(String(describing: r.error))") }
        XCTAssertEqual(r.store, base)
    }

    /// Metadata and tensor map are for host tools: the loader never reads them
    /// (a signed bundle with a torn record still applies), `verify` refuses it
    /// and names the record.
    func testMalformedRecordsAreRefusedByVerifyNotRead() throws {
        let tornMap = LoaderHarness.record(.tensorMap, [UInt8](repeating: 0, count: TensorMapEntry.size + 3))
        let tornMetadata = LoaderHarness.record(.metadata, [1, 0, 200, 0, 65])  // tag 1, 200 bytes claimed, 1 present
        for (record, kind) in [(tornMap, SectionKind.tensorMap), (tornMetadata, .metadata)] {
            let bundle = LoaderHarness.crafted([record], base: base, target: base)
            let applied = LoaderHarness.apply(bundle, to: base)
            XCTAssertNil(applied.error, "\(kind)")
            XCTAssertThrowsError(try HostLoader.verify(bundle: bundle, keys: LoaderHarness.keys)) {
                guard case .format(.malformedRecord(section: kind.rawValue, _, .unexpectedEnd))? = $0 as? LoaderError else {
                    return XCTFail("\(kind): \($0)")
                }
            }
        }
    }
}
