import Foundation
import AdapterFormat

/// One int8 weight tensor's change, set up once for the low-rank coding
/// (Spec/FORMAT.md §4.5): ΔW = W_t − W_b in float (each side dequantized with
/// its own per-row scales), its leading singular triplets, and the per-row
/// ratio records. Both the exact planner (prediction + residual) and the lossy
/// diff (prediction alone) cut candidates of any rank from it.
public struct LowRankProblem: Sendable {
    public let tensorIndex: Int
    public let rows: Int
    public let columns: Int
    /// Base and target bytes of the tensor.
    public let old: [UInt8]
    public let new: [UInt8]
    public let range: Range<Int>
    let targetScales: [Double]
    let ratios: [LowRankRatio]
    let u: [[Double]]
    public let sigma: [Double]
    let v: [[Double]]
    /// ‖ΔW‖² (float).
    public let energy: Double

    /// Nil when the tensor does not qualify (`LowRankPlanner.geometry`, a
    /// ratio out of the 16-bit fixed-point range) or `range` does not match its size.
    public init?(base: [UInt8], target: [UInt8], baseTensor: TFLiteTensor, targetTensor: TFLiteTensor,
                 baseStart: Int, range: Range<Int>, maxRank: Int) {
        guard let g = LowRankPlanner.geometry(base: baseTensor, target: targetTensor), g.rows * g.columns == range.count,
              baseStart >= 0, baseStart + range.count <= base.count, range.upperBound <= target.count else { return nil }
        rows = g.rows
        columns = g.columns
        tensorIndex = targetTensor.index
        self.range = range
        old = Array(base[baseStart ..< baseStart + range.count])
        new = Array(target[range])
        targetScales = g.targetScales
        var delta = [Double](repeating: 0, count: rows * columns)
        var energy = 0.0
        for o in 0 ..< rows {
            for i in 0 ..< columns {
                let p = o * columns + i
                delta[p] = Double(Int8(bitPattern: new[p])) * g.targetScales[o] - Double(Int8(bitPattern: old[p])) * g.baseScales[o]
                energy += delta[p] * delta[p]
            }
        }
        self.energy = energy
        // Per-row ratios (old/new scale forward, new/old inverse) as 16-bit fixed point.
        var ratios: [LowRankRatio] = []
        for o in 0 ..< rows {
            guard let f = LowRankPlanner.fixedRatio(g.baseScales[o] / g.targetScales[o]),
                  let b = LowRankPlanner.fixedRatio(g.targetScales[o] / g.baseScales[o]) else { return nil }
            ratios.append(LowRankRatio(forward: f.ratio, forwardShift: f.shift, inverse: b.ratio, inverseShift: b.shift))
        }
        self.ratios = ratios
        (u, sigma, v) = LowRankSVD.top(delta, rows: rows, columns: columns, k: maxRank)
    }

    /// Share of ‖ΔW‖² in the leading `rank` singular values.
    public func captured(rank: Int) -> Double {
        guard energy > 0 else { return 1 }
        return sigma.prefix(rank).reduce(0) { $0 + $1 * $1 } / energy
    }

    /// The coding at `rank` (≤ `sigma.count`): with `tolerance` 0 it codes
    /// what the prediction misses, so the operation writes the target's bytes;
    /// above 0 it drops misses up to that many int8 steps (`Int.max`: the
    /// prediction alone) and `Candidate.produced` says what the device will
    /// hold. Nil when the factors cannot be quantized.
    public func candidate(rank r: Int, tolerance: Int = 0, bits: FactorBits = .exact, segmentSize: Int,
                          block: Int) -> LowRankPlanner.Candidate? {
        guard r >= 1, r <= sigma.count, sigma[r - 1] > 0 else { return nil }
        var a = [Double](repeating: 0, count: r * columns), b = [Double](repeating: 0, count: rows * r)
        for k in 0 ..< r {
            for i in 0 ..< columns { a[k * columns + i] = v[k][i] }
            for o in 0 ..< rows { b[o * r + k] = u[k][o] * sigma[k] }
        }
        let module = LoRAModule(name: "tensor \(tensorIndex)", rank: r, inFeatures: columns, outFeatures: rows,
                                scaling: 1, a: a, b: b)
        // Δ in units of 2^−m target steps: the row's "weight scale" is s_t / 2^m.
        let units = (0 ..< rows).map { targetScales[$0] / Foundation.pow(2, Double(ratios[$0].forwardShift)) }
        guard let q = try? LoRAQuantizer.quantize(module, weightScales: units, bits: bits) else { return nil }
        var candidate = LowRankPlanner.encode(q, ratios: ratios, old: old, new: new, tolerance: tolerance, range: range,
                                              segmentSize: segmentSize, block: block)
        candidate.report.tensorIndex = tensorIndex
        candidate.report.energy = captured(rank: r)
        return candidate
    }
}
