/// The low-rank prediction of `lowRankResidual` (opcode 8, Spec/FORMAT.md
/// §4.5): the one definition the host's planner and the device's loader both
/// run, so predictions, and therefore the coded residuals, agree bit for bit.
/// Integer arithmetic only.
///
/// A re-quantized fine-tune changes an int8 weight tensor in two ways: every
/// row's float32 scale is re-derived (the row's int8 values are re-expressed
/// by the ratio old scale / new scale), and the real-valued weights change by
/// a low-rank ΔW. The operation predicts each target byte from its base byte
/// by both, and codes only what the prediction misses; unapply predicts each
/// base byte back from the target byte the same way and codes a second
/// residual for that direction.
///
/// Per row o the factor block (§4.2) gives Δ = roundShift(acc·M, n) through
/// `LoRAExpansion`: the change in units of 2^−m target steps. A ratio record
/// after the block gives the forward ratio ρ = R / 2^m (old scale / new scale)
/// and the inverse ratio ρ' = R' / 2^m' (new scale / old scale).
public enum LowRankResidual {
    /// Bytes of one ratio record: u16 R, u8 m, u16 R', u8 m'.
    public static let ratioRecordSize = 6
    /// Largest m or m' (keeps every product inside 64 bits: |(t·2^m − Δ)·R'| < 2^55).
    public static let maxRatioShift = 24

    /// The forward prediction of a target byte from base byte `w`:
    /// clamp(roundShift(w·R + Δ, m), −127, 127).
    @inline(__always)
    public static func forward(_ w: UInt8, _ delta: Int64, _ ratio: LowRankRatio) -> UInt8 {
        let x = Int64(Int8(bitPattern: w)) &* Int64(ratio.forward) &+ delta
        return clamp(LoRAExpansion.roundShift(x, Int(ratio.forwardShift)))
    }

    /// The inverse prediction of a base byte from target byte `t`:
    /// clamp(roundShift((t·2^m − Δ)·R', m + m'), −127, 127).
    @inline(__always)
    public static func inverse(_ t: UInt8, _ delta: Int64, _ ratio: LowRankRatio) -> UInt8 {
        let x = (Int64(Int8(bitPattern: t)) << Int64(ratio.forwardShift)) &- delta
        return clamp(LoRAExpansion.roundShift(x &* Int64(ratio.inverse),
                                              Int(ratio.forwardShift) + Int(ratio.inverseShift)))
    }

    @inline(__always)
    static func clamp(_ v: Int64) -> UInt8 {
        UInt8(bitPattern: Int8(v < -127 ? -127 : (v > 127 ? 127 : v)))
    }

    /// Section offset of the ratio records of the block at `block`: right after the block.
    @inline(__always)
    public static func ratiosOffset(block: UInt32, _ header: LoRABlockHeader) -> UInt64 {
        UInt64(block) + UInt64(header.blockSize)
    }

    /// Bytes the block and its ratio records take in the factors section.
    public static func extent(_ header: LoRABlockHeader) -> Int {
        header.blockSize + Int(header.rows) * ratioRecordSize
    }
}

/// One row's ratio record (after the factor block; Spec/FORMAT.md §4.5).
public struct LowRankRatio: Equatable, Sendable {
    /// R: forward ratio R / 2^m (old scale / new scale); also the unit of Δ is 2^−m.
    public var forward: UInt16
    /// m, 1 … 24.
    public var forwardShift: UInt8
    /// R': inverse ratio R' / 2^m' (new scale / old scale).
    public var inverse: UInt16
    /// m', 1 … 24.
    public var inverseShift: UInt8

    public init(forward: UInt16, forwardShift: UInt8, inverse: UInt16, inverseShift: UInt8) {
        self.forward = forward
        self.forwardShift = forwardShift
        self.inverse = inverse
        self.inverseShift = inverseShift
    }

    /// Parses the record at `start`; `row` names it in errors ([`lora(badRow)`]).
    public init(parsing b: UnsafeRawBufferPointer, at start: Int, row: Int) throws(FormatError) {
        forward = b.le16(start)
        forwardShift = b[start + 2]
        inverse = b.le16(start + 3)
        inverseShift = b[start + 5]
        guard forward >= 1, inverse >= 1, forwardShift >= 1, Int(forwardShift) <= LowRankResidual.maxRatioShift,
              inverseShift >= 1, Int(inverseShift) <= LowRankResidual.maxRatioShift else {
            throw LoRABlockHeader.bad(.badRow(row: UInt32(row)))
        }
    }

    public func write(into b: UnsafeMutableRawBufferPointer, at start: Int) {
        b.put16(forward, at: start)
        b[start + 2] = forwardShift
        b.put16(inverse, at: start + 3)
        b[start + 5] = inverseShift
    }
}
