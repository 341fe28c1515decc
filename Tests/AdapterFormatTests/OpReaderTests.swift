import AdapterFormat
import XCTest

/// Op-stream headers (Spec/FORMAT.md §3's opcode sets per kind, §4's fields),
/// on hand-made streams, through `OpReader.next()` only.
final class OpReaderTests: XCTestCase {
    /// The opcodes §3 allows in each op-stream section.
    static let allowed: [SectionKind: Set<UInt8>] = [
        .layout: [5, 6],
        .scales: [1, 2, 3, 4, 7, 12],
        .payload: [1, 2, 3, 4, 7, 8, 10, 11],
        .undo: [4, 5, 6],
    ]

    /// Every operation header of `bytes`, or the first error.
    func read(_ bytes: [UInt8], _ kind: SectionKind) -> (ops: [AdapterFormat.Operation], error: FormatError?) {
        bytes.withUnsafeBytes { raw in
            var reader = OpReader(input: BufferInput(raw), kind: kind)
            var ops: [AdapterFormat.Operation] = []
            do throws(FormatError) {
                while let op = try reader.next() { ops.append(op) }
                return (ops, nil)
            } catch {
                return (ops, error)
            }
        }
    }

    func testOpcodeNumbers() {
        let table: [(Opcode, UInt8)] = [
            (.xor, 1), (.add8, 2), (.add32, 3), (.write, 4), (.move, 5), (.setLength, 6), (.coded, 7),
            (.lowRankResidual, 8), (.loraWeights, 10), (.loraBias, 11), (.loraScales, 12),
        ]
        for (opcode, code) in table {
            XCTAssertEqual(opcode.rawValue, code)
            XCTAssertEqual(Opcode(rawValue: code), opcode)
        }
        for code: UInt8 in [0, 9, 13, 14, 0x80, 0xFF] { XCTAssertNil(Opcode(rawValue: code), "\(code)") }
    }

    func testHeadersOfFieldOnlyOperations() {
        // layout: move 300 → 7, 16 bytes; setLength 70000.
        let layout = read([5, 0xAC, 0x02, 7, 16, 6, 0xF0, 0xA2, 0x04], .layout)
        XCTAssertNil(layout.error)
        XCTAssertEqual(layout.ops, [
            AdapterFormat.Operation(opcode: .move, offset: 300, destination: 7, length: 16),
            AdapterFormat.Operation(opcode: .setLength, offset: 0, length: 70000),
        ])
        // payload: loraWeights at 64, 32 bytes, block 0; loraBias at 128, 2 values, block 16;
        // xor with no data bytes.
        let payload = read([10, 64, 32, 0, 11, 0x80, 0x01, 2, 16, 1, 9, 0], .payload)
        XCTAssertNil(payload.error)
        XCTAssertEqual(payload.ops, [
            AdapterFormat.Operation(opcode: .loraWeights, offset: 64, destination: 0, length: 32),
            AdapterFormat.Operation(opcode: .loraBias, offset: 128, destination: 16, length: 2),
            AdapterFormat.Operation(opcode: .xor, offset: 9, length: 0),
        ])
        // The largest 32-bit value takes five bytes.
        XCTAssertEqual(read([6, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], .undo).ops,
                       [AdapterFormat.Operation(opcode: .setLength, offset: 0, length: 0xFFFF_FFFF)])
        // An empty stream has no operations.
        XCTAssertEqual(read([], .payload).ops, [])
        XCTAssertNil(read([], .payload).error)
    }

    func testUnknownOpcodes() {
        for code: UInt8 in [0, 9, 12, 0x7F, 0xFF] {
            XCTAssertEqual(read([code, 0, 0], .payload).error,
                           .malformedRecord(section: 5, offset: 0, .unknownOpcode(code)), "\(code)")
        }
        // The offset is the opcode's, after a valid operation.
        XCTAssertEqual(read([6, 0x10, 9], .layout).error, .malformedRecord(section: 3, offset: 2, .unknownOpcode(9)))
        XCTAssertEqual(read([1, 0, 0, 2, 0, 0, 0], .scales).error,
                       .malformedRecord(section: 4, offset: 6, .unknownOpcode(0)))
    }

    /// Every byte value in every section kind: an opcode the kind does not
    /// allow is refused at once as unknown; an allowed one reads its fields
    /// (here: the stream ends before the first).
    func testOpcodeAllowedOnlyInItsSectionKinds() {
        for kind in SectionKind.allCases {
            let allowed = Self.allowed[kind] ?? []
            for code in UInt8.min ... UInt8.max {
                let error = read([code], kind).error
                if allowed.contains(code) {
                    XCTAssertEqual(error, .malformedRecord(section: kind.rawValue, offset: 1, .unexpectedEnd), "\(kind) \(code)")
                    XCTAssertTrue(Opcode(rawValue: code)!.isAllowed(in: kind), "\(kind) \(code)")
                } else {
                    XCTAssertEqual(error, .malformedRecord(section: kind.rawValue, offset: 0, .unknownOpcode(code)),
                                   "\(kind) \(code)")
                    if let opcode = Opcode(rawValue: code) { XCTAssertFalse(opcode.isAllowed(in: kind), "\(kind) \(code)") }
                }
            }
        }
        // Some cases by name: content operations in layout, moves in payload.
        XCTAssertEqual(read([1, 0, 0], .layout).error, .malformedRecord(section: 3, offset: 0, .unknownOpcode(1)))
        XCTAssertEqual(read([5, 0, 0, 0], .payload).error, .malformedRecord(section: 5, offset: 0, .unknownOpcode(5)))
        XCTAssertEqual(read([10, 0, 0, 0], .scales).error, .malformedRecord(section: 4, offset: 0, .unknownOpcode(10)))
        XCTAssertEqual(read([7, 0, 0], .undo).error, .malformedRecord(section: 6, offset: 0, .unknownOpcode(7)))
    }

    func testVarintOverflow() {
        // Five bytes whose value is 2^32 or more, and a sixth byte: refused at the varint's first byte.
        XCTAssertEqual(read([6, 0xFF, 0xFF, 0xFF, 0xFF, 0x10], .layout).error,
                       .malformedRecord(section: 3, offset: 1, .varintOverflow))
        XCTAssertEqual(read([6, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], .layout).error,
                       .malformedRecord(section: 3, offset: 1, .varintOverflow))
        // In a later field: move's destination, at offset 2.
        XCTAssertEqual(read([5, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 3], .undo).error,
                       .malformedRecord(section: 6, offset: 2, .varintOverflow))
        // A zero written in too many bytes is still too long.
        XCTAssertEqual(read([1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0], .payload).error,
                       .malformedRecord(section: 5, offset: 1, .varintOverflow))
        // Five bytes are fine when the value fits.
        XCTAssertNil(read([6, 0x80, 0x80, 0x80, 0x80, 0x01], .layout).error)
    }

    func testStreamCutShort() {
        // Ends after the opcode, inside a varint, before the last field.
        XCTAssertEqual(read([6], .layout).error, .malformedRecord(section: 3, offset: 1, .unexpectedEnd))
        XCTAssertEqual(read([6, 0x80], .layout).error, .malformedRecord(section: 3, offset: 2, .unexpectedEnd))
        XCTAssertEqual(read([5, 1, 2], .layout).error, .malformedRecord(section: 3, offset: 3, .unexpectedEnd))
        XCTAssertEqual(read([11, 4, 1], .payload).error, .malformedRecord(section: 5, offset: 3, .unexpectedEnd))
        // After a complete operation: the second is cut.
        let cut = read([6, 9, 5, 1], .undo)
        XCTAssertEqual(cut.ops, [AdapterFormat.Operation(opcode: .setLength, offset: 0, length: 9)])
        XCTAssertEqual(cut.error, .malformedRecord(section: 6, offset: 4, .unexpectedEnd))
    }
}
