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

    /// Decodes the table's u16: low byte codec id, high byte its parameter.
    public init?(rawValue: UInt16) {
        let id = rawValue & 0xFF, parameter = Int(rawValue >> 8)
        switch id {
        case 0 where parameter == 0: self = .stored
        case 1 where (8 ... 15).contains(parameter): self = .deflate(windowBits: parameter)
        default: return nil
        }
    }

    public var rawValue: UInt16 {
        switch self {
        case .stored: return 0
        case .deflate(let bits): return 1 | UInt16(bits) << 8
        }
    }
}

/// One 48-byte section-table entry (Spec/FORMAT.md §3).
public struct SectionEntry: Equatable, Sendable {
    public static let size = 48

    public var kind: SectionKind
    public var codec: SectionCodec
    public var offset: UInt32
    public var storedLength: UInt32
    public var decodedLength: UInt32
    /// SHA-256 of the stored bytes; all zero for the signature section.
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

    /// Parses entry `index` from its 48 bytes; checks kind and codec are known.
    public init(parsing bytes: UnsafeRawBufferPointer, index: Int) throws(FormatError) {
        guard bytes.count >= Self.size else {
            throw .truncated(offset: BundleHeader.size + index * Self.size, needed: Self.size, available: bytes.count)
        }
        let rawKind = bytes.le16(0)
        guard let kind = SectionKind(rawValue: rawKind) else {
            throw .invalidSection(index: index, .unknownKind(rawKind))
        }
        let rawCodec = bytes.le16(2)
        guard let codec = SectionCodec(rawValue: rawCodec) else {
            throw .invalidSection(index: index, .unknownCodec(rawCodec))
        }
        self.kind = kind
        self.codec = codec
        offset = bytes.le32(4)
        storedLength = bytes.le32(8)
        decodedLength = bytes.le32(12)
        digest = bytes.digest(16)
    }

    public func write(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.size)
        bytes.put16(kind.rawValue, at: 0)
        bytes.put16(codec.rawValue, at: 2)
        bytes.put32(offset, at: 4)
        bytes.put32(storedLength, at: 8)
        bytes.put32(decodedLength, at: 12)
        bytes.putDigest(digest, at: 16)
    }
}
