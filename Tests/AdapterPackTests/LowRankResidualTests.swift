import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack
import TestSupport

/// Low-rank prediction plus exact residual (`lowRankResidual`, opcode 8,
/// Spec/FORMAT.md §4.5) in the diff planner: exactness both ways, the size
/// reached on digits/lora, the window, the arithmetic and the SVD.
final class LowRankResidualTests: XCTestCase {
    /// Issue 4's target for digits/lora: 0.8 × (19,170 + 192).
    static let loraTarget = 15_490
    /// What this planner reaches on digits/lora (whole signed bundle as the
    /// benchmark makes it), with 1 % room: a change that grows it fails here.
    static let loraReached = 12_338

    func bundle(_ base: [UInt8], _ target: [UInt8], options: BundleOptions = BundleOptions()) throws
        -> (bytes: [UInt8], plan: DeltaPlan) {
        try DiffBundler.bundle(base: base, target: target, key: Fixtures.ed25519Key, options: options)
    }

    func lowRankOperations(_ bytes: [UInt8]) throws -> [AdapterFormat.Operation] {
        let parsed = try ParsedBundle(bytes: bytes)
        return try parsed.operations(.payload).filter { $0.opcode == .lowRankResidual }
    }

    // MARK: digits/lora

    func testDigitsLoRAApplyGivesTargetAndUnapplyGivesBase() throws {
        let base = Fixtures.model("base"), target = Fixtures.model("lora")
        let (bytes, plan) = try bundle(base, target)
        XCTAssertEqual(plan.lowRank.map(\.tensorIndex), [7], "fc1 (48×512) takes the low-rank coding")
        XCTAssertEqual(plan.lowRank.first?.rank, 4)
        let ops = try lowRankOperations(bytes)
        XCTAssertEqual(ops.count, 7, "fc1 spans 7 segments of 4,096 bytes")
        XCTAssertEqual(ops.reduce(0) { $0 + Int($1.length) }, 48 * 512)
        let parsed = try ParsedBundle(bytes: bytes)
        XCTAssertGreaterThan(parsed.header.factorBytes, 0)
        XCTAssertTrue(parsed.records(of: .layout).isEmpty, "the model does not grow: no layout moves, no backups")
        XCTAssertTrue(parsed.records(of: .undo).isEmpty)

        let applied = try HostLoader.apply(bundle: bytes, base: base, keys: Fixtures.trusted)
        XCTAssertEqual(applied.model, target)
        XCTAssertEqual(applied.outcome.modelSHA256, sha256(target))
        XCTAssertEqual(applied.model.count, base.count)
        let removed = try HostLoader.unapply(bundle: bytes, target: applied.model, keys: Fixtures.trusted)
        XCTAssertEqual(removed.model, base)
        // Small source reads (a device reading the bundle from flash in pieces).
        XCTAssertEqual(try HostLoader.apply(bundle: bytes, base: base, keys: Fixtures.trusted, piece: 7).model, target)
        XCTAssertEqual(try HostLoader.unapply(bundle: bytes, target: target, keys: Fixtures.trusted, piece: 7).model, base)
        for r in plan.lowRank {
            print("low-rank: tensor \(r.tensorIndex) \(r.rows)×\(r.columns) rank \(r.rank): factors+ratios \(r.factorBytes),"
                  + " operations \(r.operationBytes) (forward residual \(r.forwardResidualBytes), inverse \(r.inverseResidualBytes));"
                  + " plain coding \(r.plainBytes); energy in rank \(String(format: "%.4f", r.energy))")
        }
    }

    /// Issue 4: digits/lora ≤ 15,490 bytes (the bundle as the benchmark makes it: no file names in metadata).
    func testDigitsLoRASizeReachesIssueTarget() throws {
        let base = Fixtures.model("base"), target = Fixtures.model("lora")
        let size = try bundle(base, target).bytes.count
        var plain = BundleOptions()
        plain.lowRank = false
        let before = try bundle(base, target, options: plain).bytes.count
        print("digits/lora: \(size) bytes with low-rank prediction, \(before) without; issue target \(Self.loraTarget)"
              + " (\(size <= Self.loraTarget ? "reached, \(Self.loraTarget - size) bytes under" : "MISSED by \(size - Self.loraTarget) bytes"))")
        XCTAssertLessThanOrEqual(size, Self.loraTarget, "issue 4 target for digits/lora")
        XCTAssertLessThanOrEqual(size, Self.loraReached * 101 / 100, "digits/lora grew")
        XCTAssertLessThan(size, before)
    }

    /// The declared window stays ≤ 8 KB (one block, the factor area, the
    /// fixed buffers), is exact, and apply in exactly that window works.
    func testWindowAtMost8KB() throws {
        let base = Fixtures.model("base")
        for variant in Fixtures.digitsVariants {
            let target = Fixtures.model(variant)
            let bytes = try bundle(base, target).bytes
            let declared = HostLoader.declaredWindow(bytes)
            XCTAssertLessThanOrEqual(declared, 8192, variant)
            XCTAssertEqual(try HostLoader.apply(bundle: bytes, base: base, keys: Fixtures.trusted, window: declared).model, target)
            XCTAssertEqual(try HostLoader.unapply(bundle: bytes, target: target, keys: Fixtures.trusted, window: declared).model, base)
            XCTAssertThrowsError(try HostLoader.apply(bundle: bytes, base: base, keys: Fixtures.trusted, window: declared - 1))
            if try !lowRankOperations(bytes).isEmpty {
                let parsed = try ParsedBundle(bytes: bytes)
                let workspace = parsed.blocks.flatMap(\.records).map { WindowLayout.decoderWorkspace($0.codec) }.max() ?? 0
                XCTAssertEqual(declared, StreamWindow.required(for: parsed.header, workspace: workspace), variant)
            }
        }
        // A caller window too small for the factor area: the plain coding, inside the window.
        var small = BundleOptions()
        small.maxWindow = 4096
        small.blockSize = 1024
        let (bytes, plan) = try bundle(base, Fixtures.model("lora"), options: small)
        XCTAssertTrue(try lowRankOperations(bytes).isEmpty)
        XCTAssertTrue(plan.notes.contains { $0.contains("do not fit the RAM window") }, "\(plan.notes)")
        XCTAssertLessThanOrEqual(HostLoader.declaredWindow(bytes), 4096)
        XCTAssertEqual(try HostLoader.apply(bundle: bytes, base: base, keys: Fixtures.trusted, window: 4096).model,
                       Fixtures.model("lora"))
    }

    /// Pairs whose change is not low rank keep the plain coding, byte for byte.
    func testOtherPairsKeepThePlainCoding() throws {
        let base = Fixtures.model("base")
        var plain = BundleOptions()
        plain.lowRank = false
        for variant in ["full-ft", "head-ft"] {
            let target = Fixtures.model(variant)
            let (bytes, plan) = try bundle(base, target)
            XCTAssertTrue(plan.lowRank.isEmpty, variant)
            XCTAssertEqual(bytes.count, try bundle(base, target, options: plain).bytes.count, variant)
        }
    }

    // MARK: synthetic low-rank change on a TFLM model

    /// A converter-like fine-tune of an int8 weight tensor of each TFLM
    /// model (they are quantized per tensor): a rank-2 ΔW added in float, the
    /// scale re-derived (max |W| / 127), the weights re-quantized. The planner
    /// must find it, and the bundle must be exact both ways.
    func testSyntheticLowRankChangeOnTFLMModels() throws {
        var tried = 0
        for name in Fixtures.tflmModels {
            let base = Fixtures.model(name)
            let model = try TFLiteModel(bytes: base)
            let candidates = model.subgraphs[0].tensors.filter { t in
                guard let q = t.quantization, t.type == .int8, let range = t.dataRange, t.shape.count >= 2,
                      q.scaleRange != nil, q.zeroPoints.allSatisfy({ $0 == 0 }),
                      q.scales.count == 1 || (q.scales.count == Int(t.shape[0]) && q.quantizedDimension == 0) else { return false }
                return t.shape[0] >= 4 && range.count / Int(t.shape[0]) >= 32
            }
            guard let tensor = candidates.max(by: { $0.dataRange!.count < $1.dataRange!.count }) else { continue }
            tried += 1
            let target = Self.lowRankFineTune(base, tensor, rank: 2, seed: 11)
            // A window that holds the larger tensors' factor areas.
            var wide = BundleOptions()
            wide.maxWindow = 32_768
            let (bytes, plan) = try bundle(base, target, options: wide)
            XCTAssertEqual(plan.lowRank.map(\.tensorIndex), [tensor.index], name)
            XCTAssertFalse(try lowRankOperations(bytes).isEmpty, name)
            XCTAssertEqual(try HostLoader.apply(bundle: bytes, base: base, keys: Fixtures.trusted).model, target, name)
            XCTAssertEqual(try HostLoader.unapply(bundle: bytes, target: target, keys: Fixtures.trusted).model, base, name)
            var plain = wide
            plain.lowRank = false
            let before = try bundle(base, target, options: plain).bytes.count
            XCTAssertLessThan(bytes.count, before, name)
            guard let r = plan.lowRank.first else { continue }
            print("synthetic rank-2 change on \(name) tensor \(tensor.index) \(r.rows)×\(r.columns): \(bytes.count) bytes"
                  + " with rank \(r.rank) (energy \(String(format: "%.4f", r.energy))), \(before) without")
        }
        XCTAssertEqual(tried, 3, "micro_speech, keyword_scrambled and trained_lstm have a tensor of at least 4 × 32")
    }

    /// Base → target as a converter would re-export a low-rank fine-tune:
    /// ΔW = B·A (uniform factors, fixed seed) scaled to 60 % of the weights'
    /// range, scales re-derived per row or per tensor, weights re-quantized.
    static func lowRankFineTune(_ base: [UInt8], _ tensor: TFLiteTensor, rank: Int, seed: UInt64) -> [UInt8] {
        let q = tensor.quantization!, range = tensor.dataRange!
        let rows = Int(tensor.shape[0]), columns = range.count / rows
        var rng = TestRNG(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1 }
        let a = (0 ..< rank * columns).map { _ in uniform() }, b = (0 ..< rows * rank).map { _ in uniform() }
        let scaleOf = { (o: Int) -> Double in Double(q.scales.count == 1 ? q.scales[0] : q.scales[o]) }
        var weights = [Double](repeating: 0, count: rows * columns), change = weights
        for o in 0 ..< rows {
            for i in 0 ..< columns {
                weights[o * columns + i] = Double(Int8(bitPattern: base[range.lowerBound + o * columns + i])) * scaleOf(o)
                change[o * columns + i] = (0 ..< rank).reduce(0.0) { $0 + b[o * rank + $1] * a[$1 * columns + i] }
            }
        }
        let largest = weights.map(abs).max() ?? 1, norm = max(change.map(abs).max() ?? 1, 1e-12)
        let updated = zip(weights, change).map { $0 + $1 / norm * 0.6 * largest }
        // New scales: per row, or one for the tensor.
        let groups = q.scales.count == 1 ? [0 ..< rows] : (0 ..< rows).map { $0 ..< $0 + 1 }
        var out = base
        for (g, group) in groups.enumerated() {
            let values = group.flatMap { o in updated[o * columns ..< (o + 1) * columns] }
            let scale = Float((values.map(abs).max() ?? 1) / 127)
            for o in group {
                for i in 0 ..< columns {
                    let v = max(-127, min(127, (updated[o * columns + i] / Double(scale)).rounded()))
                    out[range.lowerBound + o * columns + i] = UInt8(bitPattern: Int8(v))
                }
            }
            let at = q.scaleRange!.lowerBound + 4 * g
            for k in 0 ..< 4 { out[at + k] = UInt8(truncatingIfNeeded: scale.bitPattern >> (8 * UInt32(k))) }
        }
        return out
    }

    // MARK: arithmetic and SVD

    func testPredictionArithmeticAndRounding() {
        let one = LowRankRatio(forward: 32768, forwardShift: 15, inverse: 32768, inverseShift: 15)
        XCTAssertEqual(Int8(bitPattern: LowRankResidual.forward(UInt8(bitPattern: 10), 0, one)), 10)
        XCTAssertEqual(Int8(bitPattern: LowRankResidual.forward(UInt8(bitPattern: 10), 3 << 15, one)), 13)
        // ρ = 1/2: 3 → 1.5 → 2, −3 → −1.5 → −1 (ties toward +∞).
        let half = LowRankRatio(forward: 16384, forwardShift: 15, inverse: 32768, inverseShift: 14)
        XCTAssertEqual(Int8(bitPattern: LowRankResidual.forward(UInt8(bitPattern: 3), 0, half)), 2)
        XCTAssertEqual(Int8(bitPattern: LowRankResidual.forward(UInt8(bitPattern: -3), 0, half)), -1)
        // Half a target step of Δ (2^14 in units of 2^−15) tips −1.5 − 0.5 = −2 exactly.
        XCTAssertEqual(Int8(bitPattern: LowRankResidual.forward(UInt8(bitPattern: -3), -(1 << 14), half)), -2)
        // Inverse: ρ' = 2, t = 2, Δ = 0 → 4; Δ = one target step → (2 − 1)·2 = 2.
        XCTAssertEqual(Int8(bitPattern: LowRankResidual.inverse(UInt8(bitPattern: 2), 0, half)), 4)
        XCTAssertEqual(Int8(bitPattern: LowRankResidual.inverse(UInt8(bitPattern: 2), 1 << 15, half)), 2)
        // Clamped to ±127.
        let wide = LowRankRatio(forward: 65535, forwardShift: 15, inverse: 65535, inverseShift: 15)
        XCTAssertEqual(Int8(bitPattern: LowRankResidual.forward(UInt8(bitPattern: 127), 0, wide)), 127)
        XCTAssertEqual(Int8(bitPattern: LowRankResidual.forward(UInt8(bitPattern: -128), 0, wide)), -127)
        XCTAssertEqual(Int8(bitPattern: LowRankResidual.inverse(UInt8(bitPattern: -100), 0, wide)), -127)
        // The largest values valid fields allow never overflow (64-bit products stay in range).
        let extreme = LowRankRatio(forward: 65535, forwardShift: 24, inverse: 65535, inverseShift: 24)
        let bigDelta = LoRAExpansion.delta(Int32(127 * 127 * 128), LoRARow(multiplier: 65535, shift: 1))
        for w in [0, 1, 127, 128, 255] as [UInt8] {
            for d in [bigDelta, -bigDelta, 0] {
                _ = LowRankResidual.forward(w, d, extreme)
                _ = LowRankResidual.inverse(w, d, extreme)
            }
        }
    }

    func testRatioRecordRules() throws {
        func parse(_ bytes: [UInt8]) -> LowRankRatio? {
            bytes.withUnsafeBytes { try? LowRankRatio(parsing: $0, at: 0, row: 0) }
        }
        XCTAssertEqual(parse([0x00, 0x80, 15, 0x00, 0x80, 15]),
                       LowRankRatio(forward: 32768, forwardShift: 15, inverse: 32768, inverseShift: 15))
        XCTAssertNil(parse([0x00, 0x80, 0, 0x00, 0x80, 15]), "m = 0")
        XCTAssertNil(parse([0x00, 0x80, 25, 0x00, 0x80, 15]), "m > 24")
        XCTAssertNil(parse([0x00, 0x00, 15, 0x00, 0x80, 15]), "R = 0")
        XCTAssertNil(parse([0x00, 0x80, 15, 0x00, 0x80, 25]), "m' > 24")
        XCTAssertNil(parse([0x00, 0x80, 15, 0x00, 0x00, 15]), "R' = 0")
        // Host fixed-point ratios: R in [2^15, 2^16).
        for real in [0.37, 0.5, 1.0, 1.999, 3.1] {
            let f = try XCTUnwrap(LowRankPlanner.fixedRatio(real))
            XCTAssertGreaterThanOrEqual(f.ratio, 32768)
            XCTAssertEqual(Double(f.ratio) / pow(2, Double(f.shift)), real, accuracy: real / 30000)
        }
        XCTAssertNil(LowRankPlanner.fixedRatio(1e-9), "needs m > 24")
    }

    func testSVDRecoversALowRankMatrix() {
        var rng = TestRNG(seed: 5)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1 }
        // Direct Jacobi (small side ≤ 96) on both orientations, and the subspace path.
        for (rows, columns) in [(20, 30), (40, 12), (150, 200)] {
            let sigma = [9.0, 4.0, 1.5]
            var u = (0 ..< 3).map { _ in (0 ..< rows).map { _ in uniform() } }
            var v = (0 ..< 3).map { _ in (0 ..< columns).map { _ in uniform() } }
            LowRankSVD.orthonormalize(&u)
            LowRankSVD.orthonormalize(&v)
            var x = [Double](repeating: 0, count: rows * columns)
            for k in 0 ..< 3 { for r in 0 ..< rows { for c in 0 ..< columns { x[r * columns + c] += sigma[k] * u[k][r] * v[k][c] } } }
            let svd = LowRankSVD.top(x, rows: rows, columns: columns, k: 5)
            XCTAssertEqual(svd.sigma.count, 5)
            for k in 0 ..< 3 { XCTAssertEqual(svd.sigma[k], sigma[k], accuracy: 1e-9, "\(rows)×\(columns) σ\(k)") }
            XCTAssertLessThan(svd.sigma[3], 1e-6)
            var error = 0.0
            for r in 0 ..< rows {
                for c in 0 ..< columns {
                    let y = (0 ..< 3).reduce(0.0) { $0 + svd.sigma[$1] * svd.u[$1][r] * svd.v[$1][c] }
                    error = max(error, abs(y - x[r * columns + c]))
                }
            }
            XCTAssertLessThan(error, 1e-9, "\(rows)×\(columns)")
        }
    }
}
