import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack

/// diff → sign → verify → apply → unapply on real models, byte for byte.
final class RoundTripTests: XCTestCase {
    func roundTrip(base: [UInt8], target: [UInt8], key: SigningKey = Fixtures.ed25519Key,
                   file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let (bundle, _) = try DiffBundler.bundle(base: base, target: target, key: key)
        let verified = try HostLoader.verify(bundle: bundle, keys: Fixtures.trusted, base: base)
        XCTAssertEqual(verified.targetSHA256, sha256(target), file: file, line: line)
        let applied = try HostLoader.apply(bundle: bundle, base: base, keys: Fixtures.trusted)
        XCTAssertEqual(applied.model, target, "apply must reproduce the target", file: file, line: line)
        XCTAssertEqual(applied.outcome.modelSHA256, sha256(target), file: file, line: line)
        XCTAssertTrue(applied.outcome.interpreterMustBeRecreated)
        let restored = try HostLoader.unapply(bundle: bundle, target: target, keys: Fixtures.trusted)
        XCTAssertEqual(restored.model, base, "unapply must restore the base", file: file, line: line)
        return bundle
    }

    func testDigitsVariants() throws {
        let base = Fixtures.model("base")
        for variant in Fixtures.digitsVariants {
            let bundle = try roundTrip(base: base, target: Fixtures.model(variant))
            XCTAssertLessThan(bundle.count, 102_400)
            print("digits/\(variant): bundle \(bundle.count) bytes")
        }
    }

    func testTFLMModelsWithSyntheticFineTune() throws {
        for (i, name) in Fixtures.tflmModels.enumerated() {
            let base = Fixtures.model(name)
            let target = Fixtures.perturbed(base, seed: UInt64(i + 1))
            XCTAssertNotEqual(base, target)
            let bundle = try roundTrip(base: base, target: target)
            print("tflm/\(name): bundle \(bundle.count) bytes for \(base.count)-byte model")
        }
    }

    func testP256SignedBundle() throws {
        let base = Fixtures.model("base")
        _ = try roundTrip(base: base, target: Fixtures.model("head-ft"), key: Fixtures.p256Key)
    }

    func testTargetThatGrowsAndShrinks() throws {
        let base = Fixtures.model("base")
        var grown = Fixtures.model("lora")
        grown.insert(contentsOf: [UInt8](repeating: 0xA5, count: 16), at: 20_000)
        _ = try roundTrip(base: base, target: grown)
        var shrunk = Fixtures.model("full-ft")
        shrunk.removeSubrange(1_000 ..< 1_040)
        _ = try roundTrip(base: base, target: shrunk)
        // Re-serialised layout: a block moved left and data appended.
        let moved = Array(base[4_000...]) + Array(base[0 ..< 4_000]) + [1, 2, 3]
        _ = try roundTrip(base: base, target: moved)
    }

    /// Hot swap in RAM: apply A, unapply A, apply B gives B exactly.
    func testHotSwap() throws {
        let base = Fixtures.model("base")
        let a = try DiffBundler.bundle(base: base, target: Fixtures.model("lora"), key: Fixtures.ed25519Key).bytes
        let b = try DiffBundler.bundle(base: base, target: Fixtures.model("head-ft"), key: Fixtures.ed25519Key).bytes
        let withA = try HostLoader.apply(bundle: a, base: base, keys: Fixtures.trusted).model
        let back = try HostLoader.unapply(bundle: a, target: withA, keys: Fixtures.trusted).model
        XCTAssertEqual(back, base)
        XCTAssertEqual(try HostLoader.apply(bundle: b, base: back, keys: Fixtures.trusted).model, Fixtures.model("head-ft"))
        // B cannot be applied on top of A: the base hash check refuses it.
        XCTAssertThrowsError(try HostLoader.apply(bundle: b, base: withA, keys: Fixtures.trusted)) {
            guard case .baseMismatch? = $0 as? LoaderError else { return XCTFail("\($0)") }
        }
    }

    func testSmallWindowsAndChunkSizes() throws {
        let base = Fixtures.model("base")
        let target = Fixtures.model("full-ft")
        let (bundle, _) = try DiffBundler.bundle(base: base, target: target, key: Fixtures.ed25519Key)
        let declared = HostLoader.declaredWindow(bundle)
        XCTAssertLessThanOrEqual(declared, 4096)
        for chunk in [1, 7, 64, 512, 4096] {
            let out = try HostLoader.apply(bundle: bundle, base: base, keys: Fixtures.trusted, piece: chunk, window: declared)
            XCTAssertEqual(out.model, target, "chunk size \(chunk)")
        }
        XCTAssertThrowsError(try HostLoader.apply(bundle: bundle, base: base, keys: Fixtures.trusted, window: declared - 1)) {
            XCTAssertEqual($0 as? LoaderError, .windowTooSmall(needed: declared, given: declared - 1))
        }
    }
}
