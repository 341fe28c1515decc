/// Operations of the op-stream sections (Spec/FORMAT.md §4).
public enum Opcode: UInt8, Sendable {
    /// `offset, length, bytes`: model bytes ^= bytes. Its own inverse.
    case xor = 1
    /// `offset, length, bytes`: model bytes += bytes (mod 256). Inverse: subtract.
    case add8 = 2
    /// `offset, count, zigzag varints`: little-endian int32 values += deltas (mod 2^32).
    case add32 = 3
    /// `offset, length, bytes`: model bytes = bytes (new regions; no inverse needed).
    case write = 4
    /// `source, destination, length`: memmove inside the model.
    case move = 5
    /// `length`: the model's logical length becomes `length`.
    case setLength = 6
    /// `offset, length, mode, n, n bytes`: range-coded values added (mod 256) to or
    /// xored into model bytes (§4.4). Inverse: subtract, or xor again.
    case coded = 7
    /// `offset, length, block, n1, n1 bytes, n2, n2 bytes`: weights predicted from the
    /// old bytes by a factor block's low-rank change and per-row ratios, plus a coded
    /// residual; inverse: the other prediction plus the second residual (§4.5).
    case lowRankResidual = 8
    /// `offset, length, block`: expand a factor block's LoRA change into these weight bytes (§4.3).
    case loraWeights = 10
    /// `offset, count, block`: rescale the int32 biases of the block's rescaled rows (§4.3).
    case loraBias = 11

    /// Whether the opcode may appear in a section of this kind.
    public func isAllowed(in kind: SectionKind) -> Bool {
        if self == .loraWeights || self == .loraBias || self == .lowRankResidual { return kind == .payload }
        switch kind {
        case .layout: return self == .move || self == .setLength
        case .scales, .payload: return self == .xor || self == .add8 || self == .add32 || self == .write || self == .coded
        case .undo: return self == .move || self == .setLength || self == .write
        default: return false
        }
    }
}

/// One decoded operation header; its data bytes (if any) follow in the stream.
public struct Operation: Equatable, Sendable {
    public var opcode: Opcode
    /// Model offset (for `move`: the source offset; for `setLength`: 0).
    public var offset: UInt32
    /// Destination offset of a `move`; the factor block of a LoRA or low-rank operation; 0 otherwise.
    public var destination: UInt32
    /// Byte length (`add32`, `loraBias`: value count; `setLength`: the new length).
    public var length: UInt32

    public init(opcode: Opcode, offset: UInt32, destination: UInt32 = 0, length: UInt32) {
        self.opcode = opcode
        self.offset = offset
        self.destination = destination
        self.length = length
    }

    /// The model byte range the operation writes, as (start, count) in 64 bits.
    public var writtenRange: (start: UInt64, count: UInt64) {
        switch opcode {
        case .add32, .loraBias: return (UInt64(offset), UInt64(length) * 4)
        case .move: return (UInt64(destination), UInt64(length))
        case .setLength: return (0, UInt64(length))
        default: return (UInt64(offset), UInt64(length))
        }
    }
}

/// Pulls operations and their data from a section's decoded bytes.
public struct OpReader<Input: ByteInput> {
    public var input: Input
    public let kind: SectionKind
    /// Decoded bytes consumed so far (the offset used in error reports).
    public private(set) var consumed: Int = 0

    public init(input: Input, kind: SectionKind) {
        self.input = input
        self.kind = kind
    }

    /// The next operation header, or nil at the clean end of the stream.
    public mutating func next() throws(FormatError) -> Operation? {
        let start = consumed
        guard let code = try input.nextByte() else { return nil }
        consumed += 1
        guard let opcode = Opcode(rawValue: code), opcode.isAllowed(in: kind) else {
            throw .malformedRecord(section: kind.rawValue, offset: start, .unknownOpcode(code))
        }
        switch opcode {
        case .move:
            let source = try varint(), destination = try varint(), length = try varint()
            return Operation(opcode: .move, offset: source, destination: destination, length: length)
        case .setLength:
            return Operation(opcode: .setLength, offset: 0, length: try varint())
        case .loraWeights, .loraBias, .lowRankResidual:
            let offset = try varint(), length = try varint(), block = try varint()
            return Operation(opcode: opcode, offset: offset, destination: block, length: length)
        default:
            let offset = try varint(), length = try varint()
            return Operation(opcode: opcode, offset: offset, length: length)
        }
    }

    /// One data byte of the current operation.
    public mutating func byte() throws(FormatError) -> UInt8 {
        guard let b = try input.nextByte() else {
            throw .malformedRecord(section: kind.rawValue, offset: consumed, .unexpectedEnd)
        }
        consumed += 1
        return b
    }

    /// An unsigned LEB128 number that must fit in 32 bits.
    public mutating func varint() throws(FormatError) -> UInt32 {
        let start = consumed
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
            if shift > 28 { throw .malformedRecord(section: kind.rawValue, offset: start, .varintOverflow) }
        }
        guard value <= UInt64(UInt32.max) else {
            throw .malformedRecord(section: kind.rawValue, offset: start, .varintOverflow)
        }
        return UInt32(value)
    }

    /// A zigzag-coded signed 32-bit delta (`add32` data).
    public mutating func zigzag() throws(FormatError) -> UInt32 {
        let raw = try varint()
        return (raw >> 1) ^ (0 &- (raw & 1))
    }
}
