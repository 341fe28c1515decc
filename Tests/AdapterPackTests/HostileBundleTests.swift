import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack
import TestSupport

/// Signed bundles with hostile values: the host refuses them with a message
/// (never traps while formatting it), sizes memory only from verified
/// headers within its limit, and `verify --base` decodes what `apply` would.
final class HostileBundleTests: XCTestCase {
    var key: SigningKey { get throws { try SigningKey(pemFile: RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path) } }
    var keys: TrustedKeys { get throws { TrustedKeys([try key.verifyingKey]) } }
    var base: [UInt8] { get throws { try RepoPaths.bytes(RepoPaths.root.appendingPathComponent("Examples/digits/base.tflite")) } }

    /// A signed bundle whose payload xors 32 bytes at 0xFFFF_FFF0 (far past the model).
    func farOffsetBundle() throws -> [UInt8] {
        let base = try base
        var plan = BundlePlan(target: base, segmentSize: 4096)
        var op = OpStreamWriter()
        op.bytesOp(.xor, offset: 0xFFFF_FFF0, data: [UInt8](repeating: 1, count: 32)[...])
        plan.payload.append(segment: 0, op)
        return try BundleAssembler.assemble(plan, base: base, key: try key, options: BundleOptions())
    }

    func testOperationPastTheModelIsRefusedWithAMessageThatDoesNotOverflow() throws {
        let bundle = try farOffsetBundle()
        XCTAssertThrowsError(try HostLoader.apply(bundle: bundle, base: try base, keys: try keys)) { error in
            let text = "\(error)"
            // 0xFFFF_FFF0 + 32 does not fit in 32 bits: the message computes it in 64.
            XCTAssertTrue(text.contains("4294967280..<4294967312"), text)
        }
    }

    /// Verify streams every block through the loader, which decodes every
    /// operation as apply does: "verified" means the bundle's streams are sound.
    func testVerifyDecodesTheStreamsAsApplyDoes() throws {
        let bundle = try farOffsetBundle()
        for base in [nil, try base] {
            XCTAssertThrowsError(try HostLoader.verify(bundle: bundle, keys: try keys, base: base)) { error in
                guard case .format(.malformedRecord(_, _, .outOfModel)) = error as? LoaderError else {
                    return XCTFail("\(error)")
                }
            }
        }
    }

    func testMessagesWithExtremeValuesDoNotTrap() {
        let extremes: [RecordProblem] = [
            .outOfModel(offset: .max, length: .max, limit: .max),
            .outsideSegment(segment: .max, offset: .max, length: .max),
            .decodedLength(expected: .max, actual: .max),
        ]
        for problem in extremes { XCTAssertFalse("\(problem)".isEmpty) }
    }

    /// A signed header may declare a target far beyond any model the host
    /// handles: refused by its size, not allocated.
    func testHugeSignedTargetLengthIsRefusedBeforeAllocating() throws {
        let base = try base
        let bundle = try BundleWriter.assemble([BundleWriter.Record(kind: .metadata, codec: .stored, segment: 0, stored: [], decodedLength: 0)],
                                               base: base, target: [0], factorBytes: 0, key: try key, options: BundleOptions(),
                                               stepBound: 1)
        // The front's target length made huge, then re-signed as a signer would.
        var front = Array(bundle[0 ..< StreamHeader.size])
        front[16] = 0x00; front[17] = 0x00; front[18] = 0xFF; front[19] = 0x7F
        let block0 = Array(bundle[StreamHeader.firstBlockOffset...])
        let resigned = front + (try key.sign(BundleWriter.signedMessage(front: front, firstBlock: block0))) + block0
        XCTAssertThrowsError(try HostLoader.apply(bundle: resigned, base: base, keys: try keys)) { error in
            XCTAssertEqual(error as? LoaderError, .storeTooSmall(needed: 0x7FFF_0000, capacity: HostLoader.maxModelBytes))
        }
    }

    /// An unsigned change to the header's target length is caught by the
    /// signature check, which runs before the host sizes any store from it.
    func testTamperedTargetLengthIsRefusedByVerification() throws {
        var bundle = try farOffsetBundle()
        bundle.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(0x7FFF_FFFF).littleEndian, toByteOffset: 16, as: UInt32.self) }
        XCTAssertThrowsError(try HostLoader.apply(bundle: bundle, base: try base, keys: try keys)) { error in
            XCTAssertEqual(error as? LoaderError, .signatureInvalid, "\(error)")
        }
    }
}
