import AdapterFormat
import Foundation

/// One module's factors as int8, with a fixed-point multiplier per row.
///
/// A is quantized per rank (each row of A gets scale a_k = max|A_k| / 127),
/// a_k is folded into column k of B, and B is quantized per output row (scale
/// b_o = max_k |s·B_ok·a_k / w_o| / 127, w_o the row's weight scale), so
/// Δ_oi = b_o · Σ_k Bq_ok · Aq_ki is one int32 dot product per weight and one
/// multiplier per row. Measured on digits/lora-adapter this has the smallest
/// error of the four per-rank/per-tensor × per-row/per-tensor choices
/// (Spec/FORMAT.md §4.2, Benchmarks/lora/README.md).
public struct QuantizedFactors: Sendable, Equatable {
    public var rank: Int
    public var rows: Int
    public var columns: Int
    /// Aᵀ: columns × rank, row-major (column i's rank values together).
    public var aT: [Int8]
    /// B: rows × rank.
    public var b: [Int8]
    /// Per row: M and n with Δ = roundShift(acc · M, n); every row has the
    /// same n (the factor block's header holds it once).
    public var multipliers: [LoRARowMultiplier]

    /// The block's n.
    public var shift: UInt8 { multipliers.first?.shift ?? 1 }
}

/// Bit widths of a module's factors: A's values lie in ±(2^(a−1) − 1), B's in
/// ±(2^(b−1) − 1). They are still int8 bytes in the factor block (the device
/// expands them as always), but fewer levels code in fewer bits (FORMAT.md §4,
/// `values`): the accuracy guard trades them for bundle bytes.
public struct FactorBits: Sendable, Equatable, CustomStringConvertible {
    public var a: Int
    public var b: Int
    public static let exact = FactorBits(a: 8, b: 8)
    /// Narrowest width a factor may take (±1 levels).
    public static let narrowest = 2

    public init(a: Int, b: Int) {
        precondition((Self.narrowest ... 8).contains(a) && (Self.narrowest ... 8).contains(b), "factor bits 2 … 8")
        self.a = a
        self.b = b
    }

    /// Largest magnitude of a `bits`-bit factor.
    static func largest(_ bits: Int) -> Double { Double((1 << (bits - 1)) - 1) }

    public var description: String { a == b ? "\(a)-bit" : "A \(a)-bit, B \(b)-bit" }
}

public struct LoRARowMultiplier: Sendable, Equatable {
    public var multiplier: UInt16
    public var shift: UInt8
}

/// Real numbers as 16-bit mantissas with a right shift.
public enum FixedPoint {
    /// M / 2^n nearest to `real` ≥ 0 with M in [2^15, 2^16) (0 → M = 0, n = 1);
    /// nil when `real` is too large for n ≥ 1.
    public static func multiplier(_ real: Double) -> LoRARowMultiplier? {
        guard real > 0 else { return LoRARowMultiplier(multiplier: 0, shift: 1) }
        guard real.isFinite else { return nil }
        var n = 15 - Int(Foundation.floor(Foundation.log2(real)))
        if n > LoRAExpansion.maxShift {
            let m = (real * Foundation.pow(2, Double(LoRAExpansion.maxShift))).rounded()
            return m < 1 ? LoRARowMultiplier(multiplier: 0, shift: 1)
                         : LoRARowMultiplier(multiplier: UInt16(m), shift: UInt8(LoRAExpansion.maxShift))
        }
        var m = (real * Foundation.pow(2, Double(n))).rounded()
        if m >= 65536 { m = (m / 2).rounded(); n -= 1 }
        guard n >= 1 else { return nil }
        return LoRARowMultiplier(multiplier: UInt16(m), shift: UInt8(n))
    }

    /// The rows' multipliers with one shift for all: the smallest n of the rows
    /// that change, the others' M rounded to it. A row keeps 16 significant
    /// bits relative to the block's largest change, so its Δ moves by at most
    /// 2^-16 of that (on digits/lora-adapter, fc1: n 21 … 24).
    public static func sharedShift(_ rows: [LoRARowMultiplier]) -> [LoRARowMultiplier] {
        let n = rows.filter { $0.multiplier != 0 }.map(\.shift).min() ?? 1
        return rows.map { row in
            let k = Int(row.shift) - Int(n)
            guard row.multiplier != 0, k > 0 else { return LoRARowMultiplier(multiplier: row.multiplier, shift: n) }
            return LoRARowMultiplier(multiplier: UInt16((UInt32(row.multiplier) + (1 << (k - 1))) >> k), shift: n)
        }
    }

    /// The block's m for rescaled rows whose largest wanted ratio is `largest`
    /// (< 1): the largest m, at most 54 (m + F ≤ 62, LoRAExpansion.forward keeps
    /// F fraction bits), at which ⌊largest · 2^m⌋ fits a row record's R (≤ 255).
    public static func ratioShift(largest: Double) -> UInt8 {
        precondition(largest > 0 && largest < 1)
        return UInt8(min(LoRAExpansion.maxShift - LoRAExpansion.fractionBits,
                         7 - Int(Foundation.floor(Foundation.log2(largest)))))
    }

    /// R = ⌊real · 2^m⌋ (at least 1), rounded down so that max|v| · ρ never
    /// exceeds 127 (a ratio below 2^-m is clamped by the expansion instead).
    public static func ratio(_ real: Double, shift m: UInt8) -> UInt16 {
        precondition(real > 0 && real < 1)
        let r = (real * Foundation.pow(2, Double(m))).rounded(.down)
        return UInt16(max(1, min(r, Double(LoRARow.maxRatio))))
    }
}

public enum LoRAQuantizer {
    /// Quantizes `module` for a weight tensor whose rows have scales
    /// `weightScales` (one per row, or one for all).
    ///
    /// With `refit` (the default), B is re-fitted to the *quantized* A before
    /// it is quantized itself: B̂ = s·B·(A Âᵀ)(Â Âᵀ)⁻¹ minimizes ‖s·B·A − B̂·Â‖
    /// row by row (Â = dequantized A), so B absorbs part of A's rounding error.
    public static func quantize(_ module: LoRAModule, weightScales: [Double], refit: Bool = true,
                                bits: FactorBits = .exact) throws -> QuantizedFactors {
        let aLargest = FactorBits.largest(bits.a), bLargest = FactorBits.largest(bits.b)
        let r = module.rank, rows = module.outFeatures, columns = module.inFeatures
        // Hostile or broken inputs are refused here, before any arithmetic
        // converts them: a scale of 0, ∞ or NaN, or factors that are not finite.
        for (o, w) in weightScales.enumerated() where !(w.isFinite && w > 0) {
            throw PEFTError.tensors("module \(module.name): the weight tensor's quantization scale \(o) is \(w), "
                + "not a positive finite number")
        }
        guard module.scaling.isFinite, module.a.allSatisfy(\.isFinite), module.b.allSatisfy(\.isFinite) else {
            throw PEFTError.tensors("module \(module.name): the adapter's factors or scaling are not all finite numbers")
        }
        var aScale = [Double](repeating: 1, count: r)
        var aT = [Int8](repeating: 0, count: columns * r)
        for k in 0 ..< r {
            var largest = 0.0
            for i in 0 ..< columns { largest = max(largest, abs(module.a[k * columns + i])) }
            guard largest > 0 else { continue }
            aScale[k] = largest / aLargest
            for i in 0 ..< columns { aT[i * r + k] = quantize(module.a[k * columns + i] / aScale[k]) }
        }
        // s·B, or its refit to the quantized A.
        var scaledB = module.b.map { $0 * module.scaling }
        if refit, let mixing = refitMatrix(module, aT: aT, aScale: aScale) {
            for o in 0 ..< rows {
                let row = Array(scaledB[o * r ..< (o + 1) * r])
                for k in 0 ..< r { scaledB[o * r + k] = (0 ..< r).reduce(0.0) { $0 + row[$1] * mixing[$1 * r + k] } }
            }
        }
        var b = [Int8](repeating: 0, count: rows * r)
        var multipliers: [LoRARowMultiplier] = []
        for o in 0 ..< rows {
            let w = weightScales.count == 1 ? weightScales[0] : weightScales[o]
            // Row o of B in int8 units of W per unit of Aq.
            let folded = (0 ..< r).map { scaledB[o * r + $0] * aScale[$0] / w }
            let largest = folded.map(abs).max() ?? 0
            guard largest > 0 else {
                multipliers.append(LoRARowMultiplier(multiplier: 0, shift: 1))
                continue
            }
            guard largest.isFinite else {
                throw PEFTError.tensors("module \(module.name): the change of row \(o) overflows (factors × scaling / weight scale is not finite)")
            }
            let rowScale = largest / bLargest
            for k in 0 ..< r { b[o * r + k] = quantize(folded[k] / rowScale) }
            guard let m = FixedPoint.multiplier(rowScale) else {
                throw PEFTError.tensors("module \(module.name): the change of row \(o) is too large for int8 weights "
                    + "(\(largest * 127) steps)")
            }
            multipliers.append(m)
        }
        return QuantizedFactors(rank: r, rows: rows, columns: columns, aT: aT, b: b,
                                multipliers: FixedPoint.sharedShift(multipliers))
    }

    /// X = (A Âᵀ)(Â Âᵀ)⁻¹ (r × r), so that B·A ≈ (B·X)·Â in least squares;
    /// nil when Â Âᵀ is singular (a rank whose A row is all zero).
    static func refitMatrix(_ module: LoRAModule, aT: [Int8], aScale: [Double]) -> [Double]? {
        let r = module.rank, columns = module.inFeatures
        func dequantized(_ k: Int, _ i: Int) -> Double { Double(aT[i * r + k]) * aScale[k] }
        var gram = [Double](repeating: 0, count: r * r), cross = [Double](repeating: 0, count: r * r)
        for j in 0 ..< r {
            for k in 0 ..< r {
                var g = 0.0, h = 0.0
                for i in 0 ..< columns {
                    g += dequantized(j, i) * dequantized(k, i)
                    h += module.a[j * columns + i] * dequantized(k, i)
                }
                gram[j * r + k] = g
                cross[j * r + k] = h
            }
        }
        // Solve X·G = H, i.e. G·Xᵀ = Hᵀ (G symmetric), by Gauss–Jordan with partial pivoting.
        var m = gram, rhs = [Double](repeating: 0, count: r * r)
        for j in 0 ..< r { for k in 0 ..< r { rhs[j * r + k] = cross[k * r + j] } }
        let largest = gram.map(abs).max() ?? 0
        for c in 0 ..< r {
            guard let p = (c ..< r).max(by: { abs(m[$0 * r + c]) < abs(m[$1 * r + c]) }),
                  abs(m[p * r + c]) > 1e-12 * largest else { return nil }
            if p != c { for k in 0 ..< r { m.swapAt(p * r + k, c * r + k); rhs.swapAt(p * r + k, c * r + k) } }
            let pivot = m[c * r + c]
            for k in 0 ..< r { m[c * r + k] /= pivot; rhs[c * r + k] /= pivot }
            for row in 0 ..< r where row != c {
                let f = m[row * r + c]
                guard f != 0 else { continue }
                for k in 0 ..< r { m[row * r + k] -= f * m[c * r + k]; rhs[row * r + k] -= f * rhs[c * r + k] }
            }
        }
        // rhs = Xᵀ.
        var x = [Double](repeating: 0, count: r * r)
        for j in 0 ..< r { for k in 0 ..< r { x[j * r + k] = rhs[k * r + j] } }
        return x
    }

    /// Error of the device's Δ (int8 factors, fixed-point expansion) against
    /// the exact float Δ = s·B·A / w, in int8 steps, over every weight of `targets`.
    public static func deltaError(_ targets: [LoRATarget], refit: Bool = true) -> (rms: Double, max: Double, count: Int) {
        var squared = 0.0, largest = 0.0, count = 0
        for target in targets {
            let m = target.module
            let scales = target.weight.quantization!.scales.map(Double.init)
            guard let q = try? quantize(m, weightScales: scales, refit: refit) else { continue }
            q.b.withUnsafeBytes { b in
                q.aT.withUnsafeBytes { a in
                    for o in 0 ..< m.outFeatures {
                        let row = LoRARow(multiplier: q.multipliers[o].multiplier, shift: q.multipliers[o].shift)
                        let w = scales.count == 1 ? scales[0] : scales[o]
                        for i in 0 ..< m.inFeatures {
                            var exact = 0.0
                            for k in 0 ..< m.rank { exact += m.b[o * m.rank + k] * m.a[k * m.inFeatures + i] }
                            exact *= m.scaling / w
                            let delta = Double(LoRAExpansion.delta(LoRAExpansion.dot(b, o * m.rank, a, i * m.rank, rank: m.rank), row))
                            squared += (delta - exact) * (delta - exact)
                            largest = max(largest, abs(delta - exact))
                            count += 1
                        }
                    }
                }
            }
        }
        return ((squared / Double(max(count, 1))).squareRoot(), largest, count)
    }

    static func quantize(_ x: Double) -> Int8 {
        Int8(max(-127, min(127, x.rounded())))
    }
}
