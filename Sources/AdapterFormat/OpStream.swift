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
        let descriptor = opcode.descriptor
        switch descriptor.fields {
        case .sourceDestinationLength: return (UInt64(destination), UInt64(length))
        case .length: return (0, UInt64(length))
        case .offsetLength, .offsetLengthBlock: return (UInt64(offset), UInt64(length) * UInt64(descriptor.unitBytes))
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
        switch opcode.descriptor.fields {
        case .sourceDestinationLength:
            let source = try varint(), destination = try varint(), length = try varint()
            return Operation(opcode: opcode, offset: source, destination: destination, length: length)
        case .length:
            return Operation(opcode: opcode, offset: 0, length: try varint())
        case .offsetLengthBlock:
            let offset = try varint(), length = try varint(), block = try varint()
            return Operation(opcode: opcode, offset: offset, destination: block, length: length)
        case .offsetLength:
            let offset = try varint(), length = try varint()
            return Operation(opcode: opcode, offset: offset, length: length)
        }
    }

    /// Consumes the data of `operation` (just returned by `next`) without
    /// acting on it, as its descriptor's data shape says.
    public mutating func skipData(of operation: Operation) throws(FormatError) {
        switch operation.opcode.descriptor.data {
        case .none: return
        case .bytes: try skip(Int(operation.length))
        case .zigzag:
            var k: UInt32 = 0
            while k < operation.length { _ = try varint(); k += 1 }
        case .modeAndCoded:
            _ = try varint()
            try skip(Int(try varint()))
        case .twoCoded:
            try skip(Int(try varint()))
            try skip(Int(try varint()))
        }
    }

    /// Consumes `count` data bytes.
    public mutating func skip(_ count: Int) throws(FormatError) {
        var k = 0
        while k < count { _ = try byte(); k += 1 }
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
        try LEB128Decoder.read(&input, consumed: &consumed, section: kind.rawValue)
    }

    /// A zigzag-coded signed 32-bit delta (`add32` data).
    public mutating func zigzag() throws(FormatError) -> UInt32 {
        let raw = try varint()
        return (raw >> 1) ^ (0 &- (raw & 1))
    }
}

/// The format's one varint decoder (unsigned LEB128, at most 32 bits), shared
/// by op streams and chunk directories.
public enum LEB128Decoder {
    /// Reads one number from `input`, counting its bytes in `consumed`;
    /// errors name `section` and the offset where the number started.
    public static func read<Input: ByteInput>(_ input: inout Input, consumed: inout Int,
                                              section: UInt16) throws(FormatError) -> UInt32 {
        let start = consumed
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let b = try input.nextByte() else {
                throw .malformedRecord(section: section, offset: consumed, .unexpectedEnd)
            }
            consumed += 1
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
            if shift > 28 { throw .malformedRecord(section: section, offset: start, .varintOverflow) }
        }
        guard value <= UInt64(UInt32.max) else {
            throw .malformedRecord(section: section, offset: start, .varintOverflow)
        }
        return UInt32(value)
    }
}
