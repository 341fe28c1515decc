import XCTest
import AdapterFormat
@testable import AdapterPack
import TestSupport

/// The device decoder of `coded` values against the host encoder, on random
/// data, every lane count, and truncated or padded blocks. (The mode field and
/// fixed coded blocks are tested on the decoder alone in AdapterFormatTests.)
final class CodedDeltaRoundTripTests: XCTestCase {
    func decode(_ coded: [UInt8], count: Int, mode: CodedDeltaMode) throws -> [UInt8] {
        var tables = [UInt8](repeating: 0xAA, count: CodedDelta.maxTableBytes)
        return try coded.withUnsafeBytes { raw in
            try tables.withUnsafeMutableBytes { table in
                var decoder = try CodedDeltaDecoder(input: BufferInput(raw), length: coded.count, mode: mode,
                                                    tables: table, section: 5)
                var out: [UInt8] = []
                for _ in 0 ..< count { out.append(try decoder.next()) }
                try decoder.finish()
                return out
            }
        }
    }

    func roundTrip(_ values: [UInt8], _ mode: CodedDeltaMode, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let coded = CodedDeltaEncoder.encode(values, mode: mode)
        XCTAssertEqual(try decode(coded, count: values.count, mode: mode), values, file: file, line: line)
        return coded.count
    }

    func testRandomDataEveryDistributionAndLaneCount() throws {
        var rng = TestRNG(seed: 42)
        for trial in 0 ..< 120 {
            let count = [0, 1, 2, 3, 5, 17, 255, 256, 1000, 4096][trial % 10]
            let values: [UInt8] = (0 ..< count).map { _ in
                switch trial % 5 {
                case 0: return UInt8(truncatingIfNeeded: rng.next())                        // uniform
                case 1: return rng.next() % 4 == 0 ? UInt8(truncatingIfNeeded: Int(rng.next() % 5) - 2) : 0 // sparse
                case 2: return UInt8(truncatingIfNeeded: Int(rng.next() % 41) - 20)           // small signed
                case 3: return [0x00, 0x80, 0x7F, 0x81, 0xFF, 0x01][Int(rng.next() % 6)]      // extremes
                default: return 0
                }
            }
            for lanes in 0 ... CodedDelta.maxLaneBits {
                for xor in [false, true] { _ = try roundTrip(values, CodedDeltaMode(xor: xor, laneBits: lanes)) }
            }
        }
    }

    func testEveryByteValueInEveryLane() throws {
        let values = (0 ..< 1024).map { UInt8(truncatingIfNeeded: $0 * 7) }
        for lanes in 0 ... 2 { _ = try roundTrip(values, CodedDeltaMode(xor: false, laneBits: lanes)) }
    }

    func testTruncatedPaddedAndBadStartAreRefused() throws {
        let values = (0 ..< 300).map { UInt8(truncatingIfNeeded: $0 % 13) }
        let mode = CodedDeltaMode(xor: false, laneBits: 0)
        let coded = CodedDeltaEncoder.encode(values, mode: mode)
        XCTAssertThrowsError(try decode(Array(coded.dropLast()), count: values.count, mode: mode))
        XCTAssertThrowsError(try decode(coded + [0], count: values.count, mode: mode)) {
            guard case .malformedRecord(_, _, .decodedLength) = $0 as? FormatError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try decode([0xFF, 0xFF, 0xFF, 0xFF], count: 1, mode: mode)) {
            XCTAssertEqual($0 as? FormatError, .malformedRecord(section: 5, offset: 0, .badValue(0xFFFF_FFFF)))
        }
        XCTAssertThrowsError(try decode([0, 0], count: 0, mode: mode))
    }
}
