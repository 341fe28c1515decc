/// Binary adaptive range decoder of coded deltas (Spec/FORMAT.md §4.4).
///
/// State is two 32-bit words (`range`, `code`) plus the count of bytes taken
/// from a coded block of known length; the adaptive probabilities live in
/// memory the caller provides. Every block is decoded on its own: it starts
/// with four bytes of `code` and must be consumed exactly.
///
/// A probability is a `UInt16` holding P(bit = 0) in units of 1/4096. Decoding
/// a bit splits the range at `bound = (range >> 12) × P`; both parts are never
/// empty because `P` stays inside 31 … 4065 and `range ≥ 2^24`. The invariant
/// `code < range` holds from the first byte on (checked once), so no value
/// decoded from any input can break an arithmetic assumption: corrupt input
/// yields wrong bytes or an error, never a trap.
public struct RangeDecoder<Input: ByteInput> {
    /// Probability precision in bits.
    public static var probabilityBits: UInt32 { 12 }
    /// Adaptation speed: a probability moves 1/32 of the way to the bit seen.
    public static var adaptShift: UInt16 { 5 }
    /// The initial (and the fixed "even") probability: one half.
    public static var half: UInt16 { 2048 }

    public var input: Input
    @usableFromInline internal var range: UInt32
    @usableFromInline internal var code: UInt32
    /// Coded bytes taken so far.
    public private(set) var consumed: Int
    /// Coded bytes of this block.
    public let length: Int
    @usableFromInline internal let section: UInt16

    /// Starts a block of `length` coded bytes; reads its first four bytes.
    /// `section` names the section in error reports.
    public init(input: Input, length: Int, section: UInt16) throws(FormatError) {
        self.input = input
        self.length = length
        self.section = section
        range = 0xFFFF_FFFF
        code = 0
        consumed = 0
        for _ in 0 ..< 4 { code = code << 8 | UInt32(try take()) }
        guard code < range else { throw .malformedRecord(section: section, offset: 0, .badValue(code)) }
    }

    @inline(never)
    @usableFromInline
    internal mutating func take() throws(FormatError) -> UInt8 {
        guard consumed < length, let byte = try input.nextByte() else {
            throw .malformedRecord(section: section, offset: consumed, .unexpectedEnd)
        }
        consumed += 1
        return byte
    }

    /// One bit coded with the adaptive probability at `p` (P(0) × 4096), which is updated.
    @inlinable
    public mutating func bit(_ p: UnsafeMutableRawPointer) throws(FormatError) -> UInt32 {
        var probability = p.loadUnaligned(as: UInt16.self)
        let bound = (range >> Self.probabilityBits) &* UInt32(probability)
        let bit: UInt32
        if code < bound {
            range = bound
            probability &+= (4096 &- probability) >> Self.adaptShift
            bit = 0
        } else {
            code &-= bound
            range &-= bound
            probability &-= probability >> Self.adaptShift
            bit = 1
        }
        p.storeBytes(of: probability, as: UInt16.self)
        try normalize()
        return bit
    }

    /// One bit with the fixed probability one half (no state).
    @inlinable
    public mutating func evenBit() throws(FormatError) -> UInt32 {
        let bound = (range >> Self.probabilityBits) &* UInt32(Self.half)
        let bit: UInt32
        if code < bound {
            range = bound
            bit = 0
        } else {
            code &-= bound
            range &-= bound
            bit = 1
        }
        try normalize()
        return bit
    }

    @inlinable
    internal mutating func normalize() throws(FormatError) {
        if range < 1 << 24 { try refill() }
    }

    /// The rare part of `normalize()`, kept out of line so that each inlined
    /// `bit()` stays small (the input's byte reader is not copied into each).
    @inline(never)
    @usableFromInline
    internal mutating func refill() throws(FormatError) {
        while range < 1 << 24 {
            range <<= 8
            code = code << 8 | UInt32(try take())
        }
    }

    /// Checks the block was consumed exactly.
    public func finish() throws(FormatError) {
        guard consumed == length else {
            throw .malformedRecord(section: section, offset: consumed,
                                   .decodedLength(expected: UInt32(truncatingIfNeeded: length), actual: UInt32(clamping: consumed)))
        }
    }
}
