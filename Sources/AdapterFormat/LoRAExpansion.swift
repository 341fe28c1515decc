/// The fixed-point LoRA expansion (Spec/FORMAT.md §4.2, §4.3): the one
/// definition the host's reference and the device's loader both run, so the
/// bundle's target hash is exact. Integer arithmetic only.
///
/// A factor block in the factors section describes one adapted weight tensor
/// W (rows × columns int8, one output channel per row) and its low-rank
/// change ΔW = s·B·A, quantized: Aᵀ as columns × r int8 values and, per row,
/// r int8 values of B with a multiplier and shift that turn the int32 dot
/// product into a change in the row's int8 units. Rows whose result would
/// leave the int8 range are *rescaled*: their values are multiplied by a
/// fixed-point ratio ρ = R / 2^m ≤ 1 (the row's float32 scale widens by 1/ρ,
/// sent as data in the scales section) and so is the row's int32 bias.
public enum LoRAExpansion {
    /// Largest rank a factor block may have (bounds the loader's buffers).
    public static let maxRank = 128
    /// Largest right shift of a multiplier.
    public static let maxShift = 62

    /// `round(x / 2^n)` with ties toward +∞: `(x + 2^(n-1)) >> n`, an
    /// arithmetic shift on a 64-bit two's-complement value; `n` in 1 … 62.
    @inline(__always)
    public static func roundShift(_ x: Int64, _ n: Int) -> Int64 {
        (x &+ (Int64(1) << (n - 1))) >> Int64(n)
    }

    /// Σ B[k]·Aᵀ[k] over the rank: int32 accumulation of int8 products.
    @inline(__always)
    public static func dot(_ b: UnsafeRawBufferPointer, _ bStart: Int,
                           _ a: UnsafeRawBufferPointer, _ aStart: Int, rank: Int) -> Int32 {
        var acc: Int32 = 0
        var k = 0
        while k < rank {
            acc &+= Int32(Int8(bitPattern: b[bStart + k])) &* Int32(Int8(bitPattern: a[aStart + k]))
            k += 1
        }
        return acc
    }

    /// The change of one weight in its row's int8 units: roundShift(acc · M, n).
    @inline(__always)
    public static func delta(_ acc: Int32, _ row: LoRARow) -> Int64 {
        roundShift(Int64(acc) &* Int64(row.multiplier), Int(row.shift))
    }

    /// Fraction bits a rescaled row keeps of Δ until its one rounding.
    public static let fractionBits = 8

    /// The new int8 weight (as its byte) for base byte `w` and dot product
    /// `acc`. Shifted rows: (w + Δ) mod 256, Δ = roundShift(acc·M, n).
    /// Rescaled rows round once, after the ratio: with F = 8 fraction bits,
    /// Δ_F = roundShift(acc·M, n − F) (or acc·M·2^(F − n) when n ≤ F) and the
    /// weight is clamp(roundShift((w·2^F + Δ_F)·R, m + F), −127, 127).
    @inline(__always)
    public static func forward(_ w: UInt8, acc: Int32, _ row: LoRARow) -> UInt8 {
        guard row.rescaled else { return UInt8(truncatingIfNeeded: Int64(Int8(bitPattern: w)) &+ delta(acc, row)) }
        let product = Int64(acc) &* Int64(row.multiplier)            // |·| < 2^37
        let n = Int(row.shift), f = fractionBits
        let deltaF = n > f ? roundShift(product, n - f) : product << Int64(f - n)
        let v = (Int64(Int8(bitPattern: w)) << Int64(f)) &+ deltaF   // |·| < 2^46
        let scaled = roundShift(v &* Int64(row.ratio), Int(row.ratioShift) + f)
        return UInt8(bitPattern: Int8(scaled < -127 ? -127 : (scaled > 127 ? 127 : scaled)))
    }

    /// The base byte back from a shifted row's new byte: (w' − Δ) mod 256.
    /// (Rescaled rows are not inverted by expansion: undo restores them.)
    @inline(__always)
    public static func inverse(_ w: UInt8, _ delta: Int64) -> UInt8 {
        w &- UInt8(truncatingIfNeeded: delta)
    }

    /// A rescaled row's new float32 scale: old / ρ = old · 2^m / R, rounded
    /// to nearest, ties to even (IEEE 754's division, done in integers so
    /// that host and device agree bit for bit). nil unless `bits` is a
    /// positive normal float32 and so is the result.
    public static func rescaleScale(_ bits: UInt32, _ row: LoRARow) -> UInt32? {
        let exponent = Int((bits >> 23) & 0xFF)
        guard bits >> 31 == 0, exponent >= 1, exponent <= 254, row.ratio > 0 else { return nil }
        // old = mantissa · 2^(exponent − 150); old · 2^m / R = (mantissa · 2^40 / R) · 2^(exponent − 190 + m).
        let numerator = (UInt64(bits & 0x7F_FFFF) | 0x80_0000) << 40      // < 2^64
        let ratio = UInt64(row.ratio)
        let quotient = numerator / ratio, sticky = numerator % ratio != 0 // quotient ≥ 2^47
        let shift = (64 - quotient.leadingZeroBitCount) - 24              // ≥ 24: keep 24 bits
        var kept = quotient >> UInt64(shift)
        let dropped = quotient & ((UInt64(1) << UInt64(shift)) - 1), half = UInt64(1) << UInt64(shift - 1)
        if dropped > half || (dropped == half && (sticky || kept & 1 == 1)) { kept += 1 }
        var biased = exponent - 40 + Int(row.ratioShift) + shift
        if kept == 1 << 24 {
            kept >>= 1
            biased += 1
        }
        guard biased >= 1, biased <= 254 else { return nil }
        return UInt32(biased) << 23 | UInt32(kept & 0x7F_FFFF)
    }

    /// A rescaled row's new int32 bias: roundShift(b · R, m), clamped to int32.
    @inline(__always)
    public static func rescaleBias(_ b: Int32, _ row: LoRARow) -> Int32 {
        let scaled = roundShift(Int64(b) &* Int64(row.ratio), Int(row.ratioShift))
        return Int32(clamping: scaled)
    }
}

/// The 16-byte header of a factor block (Spec/FORMAT.md §5.2).
public struct LoRABlockHeader: Equatable, Sendable {
    public static let size = 16
    /// Bias offset meaning "no bias tensor".
    public static let noBias: UInt32 = 0xFFFF_FFFF

    /// Model offset of W[0][0].
    public var weights: UInt32
    /// Model offset of the row-0 int32 bias, or `noBias`.
    public var bias: UInt32
    public var rows: UInt16
    public var columns: UInt16
    public var rank: UInt8
    /// n, 1 … 62: every row's Δ = roundShift(acc · M, n).
    public var shift: UInt8
    /// m: a rescaled row's ratio is R / 2^m; 1 … 54, or 0 when no row is rescaled.
    public var ratioShift: UInt8

    public init(weights: UInt32, bias: UInt32, rows: UInt16, columns: UInt16, rank: UInt8,
                shift: UInt8 = 1, ratioShift: UInt8 = 0) {
        self.weights = weights
        self.bias = bias
        self.rows = rows
        self.columns = columns
        self.rank = rank
        self.shift = shift
        self.ratioShift = ratioShift
    }

    /// Bytes of one row record: r values of B, u16 M, u8 R.
    public var rowRecordSize: Int { Int(rank) + LoRARow.parameterBytes }
    /// Offset of Aᵀ (columns × r int8) from the block start.
    public var aOffset: Int { Self.size }
    /// Offset of the row records from the block start.
    public var rowsOffset: Int { Self.size + Int(columns) * Int(rank) }
    /// Total bytes of the block.
    public var blockSize: Int { rowsOffset + Int(rows) * rowRecordSize }
    /// Bytes of the weight tensor.
    public var weightBytes: UInt64 { UInt64(rows) * UInt64(columns) }

    /// Parses and checks the header; `block` is its section offset (for errors).
    public init(parsing b: UnsafeRawBufferPointer, block: UInt32) throws(FormatError) {
        guard b.count >= Self.size else { throw Self.bad(.badBlock(block: block)) }
        weights = b.le32(0)
        bias = b.le32(4)
        rows = b.le16(8)
        columns = b.le16(10)
        rank = b[12]
        shift = b[13]
        ratioShift = b[14]
        guard rows > 0, columns > 0, rank > 0, Int(rank) <= LoRAExpansion.maxRank,
              shift >= 1, Int(shift) <= LoRAExpansion.maxShift,
              Int(ratioShift) + LoRAExpansion.fractionBits <= LoRAExpansion.maxShift,
              b[15] == 0 else { throw Self.bad(.badBlock(block: block)) }
    }

    public func write(into b: UnsafeMutableRawBufferPointer) {
        precondition(b.count >= Self.size)
        b.put32(weights, at: 0)
        b.put32(bias, at: 4)
        b.put16(rows, at: 8)
        b.put16(columns, at: 10)
        b[12] = rank
        b[13] = shift
        b[14] = ratioShift
        b[15] = 0
    }

    static func bad(_ problem: LoRAProblem) -> FormatError {
        .malformedRecord(section: SectionKind.factors.rawValue, offset: 0, .lora(problem))
    }
}

/// One row's expansion parameters: its record's M and R with the block's
/// n and m (Spec/FORMAT.md §5.2).
public struct LoRARow: Equatable, Sendable {
    /// Bytes of a row record after its r values of B: u16 M, u8 R.
    public static let parameterBytes = 3
    /// Largest R a row record holds.
    public static let maxRatio: UInt16 = 255

    /// M: Δ = roundShift(acc · M, n). 0 for a row without change.
    public var multiplier: UInt16
    /// n, 1 … 62 (the block's).
    public var shift: UInt8
    /// Whether the row is rescaled by ρ = R / 2^m.
    public var rescaled: Bool
    /// R (1 … min(255, 2^m)); 0 when not rescaled.
    public var ratio: UInt16
    /// m, 1 … 54 (the block's); 0 when not rescaled.
    public var ratioShift: UInt8

    public init(multiplier: UInt16, shift: UInt8, rescaled: Bool = false, ratio: UInt16 = 0, ratioShift: UInt8 = 0) {
        self.multiplier = multiplier
        self.shift = shift
        self.rescaled = rescaled
        self.ratio = ratio
        self.ratioShift = ratioShift
    }

    /// Parses the 3 bytes after a record's B values with the block's n and m;
    /// `row` names it in errors. R ≠ 0 marks a rescaled row, which needs a
    /// block m ≥ 1 and R ≤ 2^m.
    public init(parsing b: UnsafeRawBufferPointer, at start: Int, row: Int, header: LoRABlockHeader) throws(FormatError) {
        multiplier = b.le16(start)
        ratio = UInt16(b[start + 2])
        shift = header.shift
        rescaled = ratio != 0
        ratioShift = rescaled ? header.ratioShift : 0
        guard !rescaled || (ratioShift >= 1 && UInt64(ratio) <= UInt64(1) << UInt64(ratioShift)) else {
            throw LoRABlockHeader.bad(.badRow(row: UInt32(row)))
        }
    }

    /// Writes the 3 parameter bytes at `start` (the block header holds n and m).
    public func write(into b: UnsafeMutableRawBufferPointer, at start: Int) {
        precondition(ratio <= Self.maxRatio && (ratio == 0) == !rescaled, "row ratio out of the record's range")
        b.put16(multiplier, at: start)
        b[start + 2] = UInt8(ratio)
    }
}

/// What is wrong with a LoRA operation or the factor block it names. (The
/// `- message:` lines are the host's text; see FormatError.swift.)
public enum LoRAProblem: Equatable, Sendable {
    /// A LoRA operation in a bundle without a factors section.
    /// - message: "LoRA operation in a bundle without a factors section (kind 7)"
    case noFactorsSection
    /// The block (section offset) does not fit in the factors section, or its header is invalid.
    /// - message: "factor block at factors offset \(block) is invalid or runs past the factors section"
    case badBlock(block: UInt32)
    /// A row record's ratio R is nonzero in a block whose m is 0, or above 2^m.
    /// - message: "factor block row \(row) has an invalid ratio for its block's ratio shift"
    case badRow(row: UInt32)
    /// The operation's bytes are not inside the block's weight (or bias) tensor.
    /// - message: "LoRA operation on \(offset) (length \(length)) is not inside its factor block's tensor"
    case outsideTensor(offset: UInt32, length: UInt32)
    /// `loraScales`: the float32 at this model offset is not a positive normal
    /// number, or divided by its row's ratio it leaves float32's range.
    /// - message: "the quantization scale at model offset \(offset) is not a positive normal float32, or its rescaled value overflows"
    case badScale(offset: UInt32)
}
