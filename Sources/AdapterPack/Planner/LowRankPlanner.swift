import Foundation
import AdapterFormat

/// What the low-rank coding did to one weight tensor, for reports and tests.
public struct LowRankReport: Sendable, Equatable {
    public var tensorIndex: Int
    public var rows: Int
    public var columns: Int
    public var rank: Int
    /// Factor block and ratio records in the factors section.
    public var factorBytes: Int
    /// `lowRankResidual` operations (headers and both residual blocks).
    public var operationBytes: Int
    /// Bytes of the two residual blocks alone.
    public var forwardResidualBytes: Int
    public var inverseResidualBytes: Int
    /// What the plain coding (`coded`/`add8`) of the same tensor took.
    public var plainBytes: Int
    /// Share of ΔW's energy in the chosen rank (float SVD).
    public var energy: Double

    public var totalBytes: Int { factorBytes + operationBytes }
}

/// Low-rank prediction plus exact residual for int8 weight tensors whose
/// change is (close to) low rank in float while the converter re-derived the
/// per-row scales (Spec/FORMAT.md §4.5).
///
/// Host side: dequantize base and target with their own scales, take the
/// leading singular triplets of ΔW (`LowRankSVD`), quantize them as LoRA
/// factors (`LoRAQuantizer`, with Δ in units of 2^−m target steps), predict
/// every target byte (and every base byte back) with the device's own
/// functions (`LoRAExpansion`, `LowRankResidual`), range-code what the
/// predictions miss, and keep the rank 1 … 8 whose whole cost — factor block,
/// ratio records, operations with both residual blocks — is smallest (ranks
/// are tried upward until two in a row measure no better than the best).
public enum LowRankPlanner {
    public static let maxRank = 8

    /// One candidate coding of a tensor.
    public struct Candidate: Sendable {
        /// Factor block followed by its ratio records (goes at `block` in the factors section).
        public var factorBytes: [UInt8]
        /// `lowRankResidual` operations by segment.
        public var operations: [(segment: Int, ops: OpStreamWriter)]
        public var report: LowRankReport
        /// The tensor bytes the operations write (the target's, or the prediction's when lossy).
        public var produced: [UInt8]
        public var cost: Int { report.totalBytes }
    }

    /// The tensor's shape as rows (quantized dimension 0) × columns and both
    /// scale vectors per row, when the tensor qualifies: int8, same shape and
    /// quantization layout on both sides, per-row (dimension 0) or per-tensor
    /// scales, zero points 0, rows and columns ≤ 65,535.
    static func geometry(base: TFLiteTensor, target: TFLiteTensor)
        -> (rows: Int, columns: Int, baseScales: [Double], targetScales: [Double])? {
        guard base.type == .int8, target.type == .int8, base.shape == target.shape, base.shape.count >= 2,
              let bq = base.quantization, let tq = target.quantization,
              let count = target.elementCount, count > 0 else { return nil }
        let rows = Int(target.shape[0]), columns = count / max(rows, 1)
        guard rows >= 1, columns >= 1, rows <= Int(UInt16.max), columns <= Int(UInt16.max),
              bq.scales.count == tq.scales.count, bq.scales.count == 1 || (bq.scales.count == rows && bq.quantizedDimension == 0
                                                                          && tq.quantizedDimension == 0),
              (bq.zeroPoints + tq.zeroPoints).allSatisfy({ $0 == 0 }) else { return nil }
        let expand = { (s: [Float]) -> [Double] in s.count == 1 ? [Double](repeating: Double(s[0]), count: rows) : s.map(Double.init) }
        let bs = expand(bq.scales), ts = expand(tq.scales)
        guard (bs + ts).allSatisfy({ $0.isFinite && $0 > 0 }) else { return nil }
        return (rows, columns, bs, ts)
    }

    /// The smallest low-rank coding of the target tensor's bytes at `range`
    /// (base bytes at `baseStart …`), or nil when the tensor does not qualify.
    /// `block` is where the factor block would start in the factors section.
    public static func best(base: [UInt8], target: [UInt8], baseTensor: TFLiteTensor, targetTensor: TFLiteTensor,
                            baseStart: Int, range: Range<Int>, segmentSize: Int, block: Int) -> Candidate? {
        guard let problem = LowRankProblem(base: base, target: target, baseTensor: baseTensor, targetTensor: targetTensor,
                                           baseStart: baseStart, range: range, maxRank: maxRank) else { return nil }
        var best: Candidate?
        var worse = 0
        for r in 1 ... max(1, problem.sigma.count) where r <= problem.sigma.count {
            // Stop at a zero singular value, or after two ranks in a row that did not beat the best.
            guard problem.sigma[r - 1] > 0, worse < 2 else { break }
            guard let candidate = problem.candidate(rank: r, segmentSize: segmentSize, block: block) else { continue }
            if best == nil || candidate.cost < best!.cost {
                best = candidate
                worse = 0
            } else {
                worse += 1
            }
        }
        return best
    }

    /// ρ = R / 2^m with R in [2^15, 2^16) (m in 1 … 24), or nil when out of range.
    static func fixedRatio(_ real: Double) -> (ratio: UInt16, shift: UInt8)? {
        guard real.isFinite, real > 0 else { return nil }
        var m = 15 - Int(Foundation.floor(Foundation.log2(real)))
        var r = (real * Foundation.pow(2, Double(m))).rounded()
        if r >= 65536 { m -= 1; r = (real * Foundation.pow(2, Double(m))).rounded() }
        guard m >= 1, m <= LowRankResidual.maxRatioShift, r >= 1, r <= 65535 else { return nil }
        return (UInt16(r), UInt8(m))
    }

    /// Factor block + ratio records, and the operations with both residuals,
    /// computed with the device's arithmetic.
    /// A `tolerance` above 0 makes it lossy: residuals of magnitude up to
    /// `tolerance` int8 steps are dropped (`Int.max`: the prediction alone),
    /// and the inverse residual is all zero (the bundle is one-way, its
    /// restore bundle brings the base back). `Candidate.produced` holds the
    /// bytes the operation writes.
    static func encode(_ q: QuantizedFactors, ratios: [LowRankRatio], old: [UInt8], new: [UInt8], tolerance: Int = 0,
                       range: Range<Int>, segmentSize: Int, block: Int) -> Candidate {
        let r = q.rank, rows = q.rows, columns = q.columns
        let header = LoRABlockHeader(weights: UInt32(range.lowerBound), bias: LoRABlockHeader.noBias,
                                     rows: UInt16(rows), columns: UInt16(columns), rank: UInt8(r), shift: q.shift)
        var bytes = FactorBlockWriter.block(header, q, extent: LowRankResidual.extent(header))
        var rowParameters: [LoRARow] = []
        bytes.withUnsafeMutableBytes { raw in
            for o in 0 ..< rows {
                let record = header.rowsOffset + o * header.rowRecordSize
                let parameters = LoRARow(multiplier: q.multipliers[o].multiplier, shift: q.multipliers[o].shift)
                parameters.write(into: raw, at: record + r)
                rowParameters.append(parameters)
                ratios[o].write(into: raw, at: header.blockSize + o * LowRankResidual.ratioRecordSize)
            }
        }
        // Residuals: forward r = t − p(w), inverse r2 = w − q(t), mod 256.
        var forward = [UInt8](repeating: 0, count: range.count), inverse = forward
        var produced = new
        bytes.withUnsafeBytes { raw in
            for o in 0 ..< rows {
                let record = header.rowsOffset + o * header.rowRecordSize
                for i in 0 ..< columns {
                    let p = o * columns + i
                    let delta = LoRAExpansion.delta(LoRAExpansion.dot(raw, record, raw, header.aOffset + i * r, rank: r),
                                                    rowParameters[o])
                    let predicted = LowRankResidual.forward(old[p], delta, ratios[o])
                    let missed = Int(Int8(bitPattern: new[p])) - Int(Int8(bitPattern: predicted))
                    if tolerance == 0 {
                        forward[p] = new[p] &- predicted
                        inverse[p] = old[p] &- LowRankResidual.inverse(new[p], delta, ratios[o])
                    } else {
                        forward[p] = abs(missed) > tolerance ? new[p] &- predicted : 0
                        produced[p] = predicted &+ forward[p]
                    }
                }
            }
        }
        var operations: [(segment: Int, ops: OpStreamWriter)] = []
        var forwardBytes = 0, inverseBytes = 0
        var start = range.lowerBound
        while start < range.upperBound {
            let segment = start / segmentSize
            let end = min(range.upperBound, (segment + 1) * segmentSize)
            let piece = start - range.lowerBound ..< end - range.lowerBound
            let r1 = CodedDeltaEncoder.encode(forward[piece], mode: CodedDeltaMode(xor: false, laneBits: 0))
            let r2 = CodedDeltaEncoder.encode(inverse[piece], mode: CodedDeltaMode(xor: false, laneBits: 0))
            var op = OpStreamWriter()
            op.lowRankResidual(offset: start, length: end - start, block: block, forward: r1, inverse: r2)
            operations.append((segment, op))
            forwardBytes += r1.count
            inverseBytes += r2.count
            start = end
        }
        let report = LowRankReport(tensorIndex: -1, rows: rows, columns: columns, rank: r, factorBytes: bytes.count,
                                   operationBytes: operations.reduce(0) { $0 + $1.ops.bytes.count },
                                   forwardResidualBytes: forwardBytes, inverseResidualBytes: inverseBytes,
                                   plainBytes: 0, energy: 0)
        return Candidate(factorBytes: bytes, operations: operations, report: report, produced: produced)
    }
}
