/// How a `coded` operation (opcode 7, Spec/FORMAT.md §4.4) combines its
/// decoded bytes with the model, and how many interleaved lanes it models.
public struct CodedDeltaMode: Equatable, Sendable {
    /// True: model byte ^= value (its own inverse). False: model byte += value
    /// mod 256 (inverse: subtract).
    public var xor: Bool
    /// log2 of the lane count: byte i uses the contexts of lane i mod 2^laneBits.
    public var laneBits: Int

    public init(xor: Bool, laneBits: Int) {
        precondition((0 ... CodedDelta.maxLaneBits).contains(laneBits))
        self.xor = xor
        self.laneBits = laneBits
    }

    /// Parses the `mode` field: bit 0 xor, bits 1–2 lane bits (≤ 2), nothing else set.
    public init?(raw: UInt32) {
        guard raw >> 3 == 0, Int(raw >> 1) <= CodedDelta.maxLaneBits else { return nil }
        xor = raw & 1 == 1
        laneBits = Int(raw >> 1)
    }

    public var raw: UInt32 { (xor ? 1 : 0) | UInt32(laneBits) << 1 }
    public var lanes: Int { 1 << laneBits }
}

/// The context model of coded deltas, shared by the device decoder and the
/// host encoder (which mirrors `CodedDeltaDecoder.next()` bit for bit).
///
/// Each lane has 18 adaptive probabilities (36 bytes):
///
///   0 … 2   value ≠ 0, by the lane's run of zero values just before (0, 1, ≥ 2)
///   3       sign (1 = negative)
///   4 … 10  unary exponent k of the magnitude m: bit i says k > i (i = 0 … 6)
///   11 … 17 the first mantissa bit below the leading one, for k = 1 … 7
///
/// A byte is read as a two's-complement value v (so 0xFF is -1); m = |v| with
/// 2^k ≤ m < 2^(k+1); the k - 1 lower mantissa bits are even bits.
public enum CodedDelta {
    public static let maxLaneBits = 2
    public static let contextsPerLane = 18
    public static let bytesPerLane = 2 * contextsPerLane
    /// Table bytes for the largest lane count (4 lanes): 144.
    public static var maxTableBytes: Int { bytesPerLane << maxLaneBits }

    public static let zeroContext = 0
    public static let signContext = 3
    public static let exponentContext = 4
    public static let mantissaContext = 10  // + k, k = 1 … 7

    /// Sets every probability of `lanes` lanes to one half.
    public static func reset(_ tables: UnsafeMutableRawPointer, lanes: Int) {
        for i in 0 ..< lanes * contextsPerLane {
            tables.storeBytes(of: UInt16(2048), toByteOffset: 2 * i, as: UInt16.self)
        }
    }
}

/// Decodes the values of one `coded` operation: a range decoder plus the
/// context model, with the probability tables in caller memory
/// (`CodedDelta.bytesPerLane × lanes` bytes, any alignment).
public struct CodedDeltaDecoder<Input: ByteInput> {
    public var decoder: RangeDecoder<Input>
    @usableFromInline internal let tables: UnsafeMutableRawPointer
    @usableFromInline internal let laneMask: Int
    @usableFromInline internal var index: Int
    /// Zero-run state (0, 1, 2) of each lane, two bits per lane.
    @usableFromInline internal var runs: UInt32

    public init(input: Input, length: Int, mode: CodedDeltaMode, tables: UnsafeMutableRawBufferPointer,
                section: UInt16) throws(FormatError) {
        precondition(tables.count >= CodedDelta.bytesPerLane * mode.lanes, "coded-delta tables too small")
        self.tables = tables.baseAddress!
        laneMask = mode.lanes - 1
        index = 0
        runs = 0
        CodedDelta.reset(tables.baseAddress!, lanes: mode.lanes)
        decoder = try RangeDecoder(input: input, length: length, section: section)
    }

    /// The next value (a byte to add or xor). Not inlined: on the device one
    /// copy serves every caller (its inlined bit decoders are most of its code).
    @inline(never)
    public mutating func next() throws(FormatError) -> UInt8 {
        let lane = index & laneMask
        index &+= 1
        let t = tables + lane * CodedDelta.bytesPerLane
        let shift = UInt32(2 * lane)
        let run = (runs >> shift) & 3
        if try decoder.bit(t + 2 * Int(run)) == 0 {
            runs = (runs & ~(3 << shift)) | (min(run + 1, 2) << shift)
            return 0
        }
        runs &= ~(3 << shift)
        let negative = try decoder.bit(t + 2 * CodedDelta.signContext) == 1
        var k = 0
        while k < 7, try decoder.bit(t + 2 * (CodedDelta.exponentContext + k)) == 1 { k += 1 }
        var m: UInt32 = 1
        if k >= 1 {
            m = 2 | (try decoder.bit(t + 2 * (CodedDelta.mantissaContext + k)))
            var i = 1
            while i < k {
                m = m << 1 | (try decoder.evenBit())
                i += 1
            }
        }
        let byte = UInt8(truncatingIfNeeded: m)
        return negative ? 0 &- byte : byte
    }

    /// Checks the coded block was consumed exactly.
    public func finish() throws(FormatError) { try decoder.finish() }
}
