import XCTest
import AdapterFormat
@testable import AdapterPack

typealias Op = AdapterFormat.Operation

/// The writer and the device reader agree on every operation, through the
/// descriptors: each opcode written once, read back with its fields, its data
/// skipped exactly, in every section kind that allows it (and refused in the others).
final class OpStreamWriterTests: XCTestCase {
    /// One operation of each opcode as the host writes it, with the header it must read back as.
    static func sample(_ opcode: Opcode) -> (writer: OpStreamWriter, expected: Op) {
        var w = OpStreamWriter()
        let expected: Op
        switch opcode {
        case .xor, .add8, .write:
            w.bytesOp(opcode, offset: 300, data: [1, 2, 3, 200][...])
            expected = Op(opcode: opcode, offset: 300, length: 4)
        case .add32:
            w.add32(offset: 64, deltas: [1, UInt32(bitPattern: -70_000), 5])
            expected = Op(opcode: .add32, offset: 64, length: 3)
        case .move:
            w.move(from: 1_000, to: 90_000, length: 4_100)
            expected = Op(opcode: .move, offset: 1_000, destination: 90_000, length: 4_100)
        case .setLength:
            w.setLength(123_456)
            expected = Op(opcode: .setLength, offset: 0, length: 123_456)
        case .coded:
            w.coded(offset: 4_096, values: [0, 1, 255, 0, 0, 2][...], mode: CodedDeltaMode(xor: false, laneBits: 0))
            expected = Op(opcode: .coded, offset: 4_096, length: 6)
        case .lowRankResidual:
            w.lowRankResidual(offset: 8_192, length: 512, block: 96, forward: [9, 8, 7], inverse: [6, 5])
            expected = Op(opcode: .lowRankResidual, offset: 8_192, destination: 96, length: 512)
        case .loraWeights, .loraBias, .loraScales:
            let op = Op(opcode: opcode, offset: 700, destination: 40, length: 48)
            w.dataless(op)
            expected = op
        }
        return (w, expected)
    }

    func testEveryOpcodeRoundTripsThroughItsDescriptor() throws {
        for opcode in Opcode.allCases {
            let (writer, expected) = Self.sample(opcode)
            XCTAssertEqual(writer.operationCount, 1)
            // Followed by a second operation: the skip must end exactly at its opcode.
            var stream = writer
            stream.bytesOp(.write, offset: 1, data: [42][...])
            for kind in SectionKind.allCases where kind.isOpStream {
                try stream.bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                    var reader = OpReader(input: BufferInput(raw), kind: kind)
                    guard opcode.descriptor.sections.contains(kind) else {
                        XCTAssertThrowsError(try reader.next(), "\(opcode) in \(kind)") { error in
                            XCTAssertEqual(error as? FormatError, .malformedRecord(section: kind.rawValue, offset: 0,
                                                                                   .unknownOpcode(opcode.rawValue)))
                        }
                        return
                    }
                    XCTAssertEqual(try reader.next(), expected, "\(opcode) in \(kind)")
                    try reader.skipData(of: expected)
                    XCTAssertEqual(reader.consumed, writer.bytes.count, "\(opcode): data skipped exactly")
                    if SectionKinds([.content, .undo]).contains(kind) {
                        XCTAssertEqual(try reader.next()?.opcode, .write)
                    }
                }
            }
        }
    }

    func testDescriptorsAreConsistent() {
        var names = Set<String>()
        for opcode in Opcode.allCases {
            let d = opcode.descriptor
            XCTAssertTrue(names.insert("\(d.name)").inserted, "name \(d.name) used twice")
            XCTAssertFalse(d.sections.isEmpty, "\(opcode) is allowed nowhere")
            XCTAssertFalse(d.sections.contains(.metadata) || d.sections.contains(.factors) || d.sections.contains(.signature),
                           "\(opcode) allowed in a section that holds no op stream")
            XCTAssertTrue(d.unitBytes == 1 || d.unitBytes == 4)
            // Layout operations move bytes or the length: a loader without layout support lacks them.
            if d.fields == .sourceDestinationLength || d.fields == .length { XCTAssertEqual(d.feature, .layout) }
            // Factor-block operations live in payload chunks, except the scale rewrite (scales chunks).
            if d.fields == .offsetLengthBlock { XCTAssertEqual(d.sections, opcode == .loraScales ? .scales : .payload) }
        }
        // `inspect --json` prints these names (golden vectors); they must not drift.
        XCTAssertEqual(Opcode.allCases.map { "\($0.descriptor.name)" },
                       ["xor", "add8", "add32", "write", "move", "setLength", "coded", "lowRankResidual",
                        "loraWeights", "loraBias", "loraScales"])
    }
}
