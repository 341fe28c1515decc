/// What a section holds. Sections appear in increasing kind order, each at most once.
public enum SectionKind: UInt16, Sendable, CaseIterable {
    /// Name, tool, source hashes: tag-length-value records (informational).
    case metadata = 1
    /// The model tensors the bundle changes: 32-byte entries.
    case tensorMap = 2
    /// Structural op stream run first on apply: moves and length changes.
    case layout = 3
    /// Content op stream on quantization parameters (scales, zero points).
    case scales = 4
    /// Content op stream on weights, biases and everything else.
    case payload = 5
    /// Op stream run last on unapply: restores the base layout and bytes.
    case undo = 6
    /// LoRA factor blocks, read by random access while payload chunks expand them (§4.2).
    case factors = 7
    /// Ed25519 or ECDSA P-256 signature over everything before it; always last.
    case signature = 15

    /// Whether the section holds per-segment chunks of content operations.
    public var isSegmented: Bool { self == .scales || self == .payload }

    /// Whether the section holds an op stream (and may be compressed).
    public var isOpStream: Bool {
        switch self {
        case .layout, .scales, .payload, .undo: return true
        default: return false
        }
    }
}

/// How a section's stored bytes become its decoded bytes.
public enum SectionCodec: Equatable, Sendable {
    case stored
    /// Raw RFC 1951 deflate with a history window of `1 << windowBits` bytes.
    case deflate(windowBits: Int)
    /// Range-coded values (`CodedValues`); factors records only.
    case values

    /// Decodes the table's u16: low byte codec id, high byte its parameter.
    public init?(rawValue: UInt16) {
        let id = rawValue & 0xFF, parameter = Int(rawValue >> 8)
        switch id {
        case 0 where parameter == 0: self = .stored
        case 1 where (8 ... 15).contains(parameter): self = .deflate(windowBits: parameter)
        case 2 where parameter == 0: self = .values
        default: return nil
        }
    }

    public var rawValue: UInt16 {
        switch self {
        case .stored: return 0
        case .deflate(let bits): return 1 | UInt16(bits) << 8
        case .values: return 2
        }
    }
}

/// A stored range of bytes the op-stream machinery reads: a record's bytes
/// in the block buffer, or the factor area (its digest is checked, by the
/// block chain, before anything reads it).
public struct SectionEntry: Equatable, Sendable {
    public var kind: SectionKind
    public var codec: SectionCodec
    public var offset: UInt32
    public var storedLength: UInt32
    public var decodedLength: UInt32
    /// Not used by the loader (the block chain covers the bytes); zero.
    public var digest: Digest32

    public init(kind: SectionKind, codec: SectionCodec, offset: UInt32, storedLength: UInt32,
                decodedLength: UInt32, digest: Digest32) {
        self.kind = kind
        self.codec = codec
        self.offset = offset
        self.storedLength = storedLength
        self.decodedLength = decodedLength
        self.digest = digest
    }
}
