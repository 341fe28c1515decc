import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack

/// Issue 4's acceptance figures: bundle sizes on the digits pairs, declared
/// windows, and that `coded` data from real model differences round-trips.
final class CompressionTests: XCTestCase {
    /// Sizes this planner reaches (bytes, whole signed bundle), with 1 % room:
    /// a change that makes any bundle larger fails here.
    static let reached = ["full-ft": 25_061, "head-ft": 804, "lora": 12_100]
    /// Issue 11's targets: 0.8 × (the best of the tools in BASELINES.md and
    /// xz -9e of the byte-wise difference, + 192).
    static let targets = ["full-ft": 19_235, "head-ft": 676, "lora": 15_490]

    func bundle(_ variant: String) throws -> (bytes: [UInt8], base: [UInt8], target: [UInt8]) {
        let base = Fixtures.model("base"), target = Fixtures.model(variant)
        var options = BundleOptions()
        options.baseFile = "base.tflite"
        options.targetFile = "\(variant).tflite"
        return (try DiffBundler.bundle(base: base, target: target, key: Fixtures.ed25519Key, options: options).bytes,
                base, target)
    }

    func testDigitsBundlesDoNotGrow() throws {
        for variant in Fixtures.digitsVariants {
            let size = try bundle(variant).bytes.count
            let limit = Self.reached[variant]! * 101 / 100
            XCTAssertLessThanOrEqual(size, limit, "digits/\(variant)")
            XCTAssertLessThanOrEqual(size, 102_400, "digits/\(variant): every bundle under 100 KB")
            print("digits/\(variant): \(size) bytes (issue target \(Self.targets[variant]!))")
        }
    }

    /// The issue's targets. lora meets it (low-rank prediction + exact
    /// residual). full-ft and head-ft do not: their changes are close to
    /// incompressible noise and the invertible floor lies above the target
    /// (Benchmarks/README.md), so for those two the test records the gap and
    /// `testDigitsBundlesDoNotGrow` guards against regressions.
    func testIssueTargets() throws {
        let lora = try bundle("lora").bytes.count
        XCTAssertLessThanOrEqual(lora, Self.targets["lora"]!, "digits/lora must meet issue 11's target")
        for variant in ["full-ft", "head-ft"] {
            let size = try bundle(variant).bytes.count
            print("issue 11 target gap: digits/\(variant) \(size) bytes, target \(Self.targets[variant]!)"
                  + (size > Self.targets[variant]! ? " (\(size - Self.targets[variant]!) over)" : " (met)"))
        }
    }

    func testDeclaredWindowIsExactAndAtMost8K() throws {
        for variant in Fixtures.digitsVariants {
            let (bytes, base, target) = try bundle(variant)
            let declared = HostLoader.declaredWindow(bytes)
            XCTAssertLessThanOrEqual(declared, 8192, variant)
            let out = try HostLoader.apply(bundle: bytes, base: base, keys: Fixtures.trusted, window: declared)
            XCTAssertEqual(out.model, target, variant)
            let back = try HostLoader.unapply(bundle: bytes, target: target, keys: Fixtures.trusted, window: declared)
            XCTAssertEqual(back.model, base, variant)
            XCTAssertThrowsError(try HostLoader.apply(bundle: bytes, base: base, keys: Fixtures.trusted, window: declared - 1)) {
                XCTAssertEqual($0 as? LoaderError, .windowTooSmall(needed: declared, given: declared - 1))
            }
        }
    }

    func testPlannerUsesCodedValuesForDenseWeightChanges() throws {
        let (bytes, _, _) = try bundle("full-ft")
        let parsed = try ParsedBundle(bytes: bytes)
        let ops = try parsed.operations(.payload)
        XCTAssertGreaterThan(ops.filter { $0.opcode == .coded }.count, 0)
    }

    func testRealDeltasRoundTripAndCompress() throws {
        let base = Fixtures.model("base")
        for variant in Fixtures.digitsVariants {
            let target = Fixtures.model(variant)
            let deltas = (5536 ..< 30112).map { target[$0] &- base[$0] }   // fc1 weights
            let mode = CodedDeltaMode(xor: false, laneBits: 0)
            let coded = CodedDeltaEncoder.encode(deltas, mode: mode)
            var tables = [UInt8](repeating: 0, count: CodedDelta.maxTableBytes)
            let decoded: [UInt8] = try coded.withUnsafeBytes { raw in
                try tables.withUnsafeMutableBytes { t in
                    var d = try CodedDeltaDecoder(input: BufferInput(raw), length: coded.count, mode: mode, tables: t, section: 5)
                    let out = try (0 ..< deltas.count).map { _ in try d.next() }
                    try d.finish()
                    return out
                }
            }
            XCTAssertEqual(decoded, deltas, variant)
            if deltas.contains(where: { $0 != 0 }) { XCTAssertLessThan(coded.count, deltas.count, variant) }
        }
    }

    func testSyntheticTFLMFineTunesRoundTripAtTheirWindow() throws {
        for (i, name) in Fixtures.tflmModels.enumerated() {
            let base = Fixtures.model(name)
            let target = Fixtures.perturbed(base, seed: UInt64(i + 1))
            let bytes = try DiffBundler.bundle(base: base, target: target, key: Fixtures.ed25519Key).bytes
            let declared = HostLoader.declaredWindow(bytes)
            XCTAssertLessThanOrEqual(declared, 4096, name)
            XCTAssertEqual(try HostLoader.apply(bundle: bytes, base: base, keys: Fixtures.trusted, window: declared).model,
                           target, name)
            XCTAssertEqual(try HostLoader.unapply(bundle: bytes, target: target, keys: Fixtures.trusted,
                                                  window: declared).model, base, name)
        }
    }
}
