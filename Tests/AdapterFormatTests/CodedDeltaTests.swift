import AdapterFormat
import XCTest

/// The device decoder of `coded` values (Spec/FORMAT.md §4.4) on fixed coded
/// blocks, and the mode field. The round trips against the host encoder are
/// AdapterPackTests' CodedDeltaRoundTripTests.
final class CodedDeltaTests: XCTestCase {
    func decode(_ coded: [UInt8], count: Int, mode: CodedDeltaMode) -> Result<[UInt8], FormatError> {
        var tables = [UInt8](repeating: 0xAA, count: CodedDelta.maxTableBytes)
        return coded.withUnsafeBytes { raw in
            tables.withUnsafeMutableBytes { table in
                do throws(FormatError) {
                    var decoder = try CodedDeltaDecoder(input: BufferInput(raw), length: coded.count, mode: mode,
                                                        tables: table, section: 5)
                    var out: [UInt8] = []
                    for _ in 0 ..< count { out.append(try decoder.next()) }
                    try decoder.finish()
                    return .success(out)
                } catch {
                    return .failure(error)
                }
            }
        }
    }

    static let add1 = CodedDeltaMode(xor: false, laneBits: 0)

    /// Blocks made once with the host encoder (CodedDeltaEncoder) and kept as bytes.
    static let vectors: [(values: [UInt8], mode: CodedDeltaMode, coded: [UInt8])] = [
        ([0, 0, 0, 0, 0], add1, [0x00, 0x00, 0x00, 0x00]),
        ([1, 0xFF, 0, 0x80, 0x7F, 2, 0, 0, 0xFE], add1, [0x99, 0xF0, 0x15, 0x28, 0xE8, 0x7D, 0x3C, 0x0E, 0x34, 0x00]),
        ([0x10, 0, 0, 0, 0x11, 0, 0, 0, 0x12, 0, 0, 1], CodedDeltaMode(xor: true, laneBits: 2),
         [0xBC, 0x02, 0xE5, 0xB4, 0x13, 0xD1, 0x21, 0xC2, 0x00]),
    ]

    func testFixedBlocksDecode() throws {
        for (values, mode, coded) in Self.vectors {
            XCTAssertEqual(try decode(coded, count: values.count, mode: mode).get(), values, "\(values)")
        }
    }

    func testReadingPastTheBlockOrLeavingBytesIsRefused() {
        let (values, mode, coded) = Self.vectors[1]
        // Cut short: the decoder reads past the block's 9 bytes.
        XCTAssertEqual(decode(Array(coded.dropLast()), count: values.count, mode: mode).failure,
                       .malformedRecord(section: 5, offset: 9, .unexpectedEnd))
        // Padded: one of the 11 bytes is left unread.
        XCTAssertEqual(decode(coded + [0], count: values.count, mode: mode).failure,
                       .malformedRecord(section: 5, offset: 10, .decodedLength(expected: 11, actual: 10)))
        // Fewer than the 4 bytes the range decoder starts with.
        XCTAssertEqual(decode([0, 0], count: 0, mode: mode).failure, .malformedRecord(section: 5, offset: 2, .unexpectedEnd))
    }

    func testStartCodeNotBelowRangeIsRefused() {
        XCTAssertEqual(decode([0xFF, 0xFF, 0xFF, 0xFF], count: 1, mode: Self.add1).failure,
                       .malformedRecord(section: 5, offset: 0, .badValue(0xFFFF_FFFF)))
    }

    func testModeField() {
        XCTAssertEqual(CodedDeltaMode(raw: 0), CodedDeltaMode(xor: false, laneBits: 0))
        XCTAssertEqual(CodedDeltaMode(raw: 5), CodedDeltaMode(xor: true, laneBits: 2))
        XCTAssertNil(CodedDeltaMode(raw: 6))   // 8 lanes
        XCTAssertNil(CodedDeltaMode(raw: 8))
    }
}
