import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack

/// Bundles that are validly signed but whose op streams are wrong: the loader
/// refuses them before writing, or restores the base when the result is wrong.
final class SignedButMalformedTests: XCTestCase {
    let base = LoaderHarness.model("base")

    func run(_ payload: [UInt8], kind: SectionKind = .payload, target: [UInt8]? = nil,
             extra: [SectionPayload] = []) -> LoaderHarness.Run {
        let bundle = LoaderHarness.crafted([.stored(kind, payload)] + extra, base: base, target: target ?? base)
        return LoaderHarness.apply(bundle, to: base)
    }

    func testOperationPastTheModelIsRefusedBeforeWriting() {
        var ops = OpStreamWriter()
        ops.bytesOp(.xor, offset: 10, data: [1, 2, 3])
        ops.bytesOp(.xor, offset: base.count - 1, data: [1, 2])
        let r = run(ops.bytes)
        guard case .format(.malformedRecord(section: 5, _, .outOfModel(offset: UInt64(base.count - 1), length: 2, limit: UInt32(base.count))))? = r.error else {
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
        var section = SectionPayload.smallest(.payload, ops.bytes + [UInt8](repeating: 0, count: 0), maxWindow: 4096)
        section.codec = .deflate(windowBits: 9)
        section.stored = Deflate.compress(ops.bytes, windowBits: 9)
        section.decodedLength = ops.bytes.count + 1
        let bundle = LoaderHarness.crafted([section], base: base, target: base)
        let r = LoaderHarness.apply(bundle, to: base)
        XCTAssertEqual(r.error, .format(.malformedRecord(section: 5, offset: ops.bytes.count,
                                                         .decodedLength(expected: UInt32(ops.bytes.count + 1), actual: UInt64(ops.bytes.count)))))
    }

    func testCorruptDeflateStreamIsRefused() {
        var section = SectionPayload(kind: .payload, codec: .deflate(windowBits: 9), stored: [0xFF, 0xFF, 0xFF], decodedLength: 10)
        section.stored = [0x07, 0x00, 0x00]
        let bundle = LoaderHarness.crafted([section], base: base, target: base)
        let r = LoaderHarness.apply(bundle, to: base)
        guard case .format(.inflate)? = r.error else { return XCTFail("\(String(describing: r.error))") }
        XCTAssertEqual(r.store, base)
    }

    func testWrongResultRestoresTheBase() {
        var ops = OpStreamWriter()
        ops.bytesOp(.add8, offset: 6_000, data: [3, 4, 5])
        var claimed = base
        claimed[6_000] &+= 9
        let r = run(ops.bytes, target: claimed)
        var produced = base
        produced[6_000] &+= 3; produced[6_001] &+= 4; produced[6_002] &+= 5
        XCTAssertEqual(r.error, .targetMismatch(expected: sha256(claimed), actual: sha256(produced)))
        XCTAssertEqual(r.store, base, "the base must be restored after a wrong result")
    }

    func testLayoutWithoutUndoIsRefused() {
        var ops = OpStreamWriter()
        ops.setLength(base.count + 4)
        let r = run(ops.bytes, kind: .layout, target: base + [0, 0, 0, 0])
        guard case .format(.invalidSection(_, .missingRequired(kind: SectionKind.undo.rawValue)))? = r.error else {
            return XCTFail("\(String(describing: r.error))")
        }
    }
}
