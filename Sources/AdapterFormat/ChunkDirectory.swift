/// One independently decodable chunk of a content section (Spec/FORMAT.md §4.1).
public struct ContentChunk: Equatable, Sendable {
    /// Segment index: the chunk's operations lie in [segment × S, (segment + 1) × S).
    public var segment: UInt32
    /// Absolute bundle offset of the chunk's stored bytes.
    public var offset: UInt32
    public var storedLength: UInt32
    public var decodedLength: UInt32

    public init(segment: UInt32, offset: UInt32, storedLength: UInt32, decodedLength: UInt32) {
        self.segment = segment
        self.offset = offset
        self.storedLength = storedLength
        self.decodedLength = decodedLength
    }

    /// The chunk as a stored range with its section's kind and codec, so the
    /// same stream machinery runs it.
    public func asEntry(of section: SectionEntry) -> SectionEntry {
        asEntry(kind: section.kind, codec: section.codec)
    }

    /// The same from the section's kind and codec (the digest is the section's
    /// business, checked before any chunk runs; it is left zero here).
    public func asEntry(kind: SectionKind, codec: SectionCodec) -> SectionEntry {
        SectionEntry(kind: kind, codec: codec, offset: offset, storedLength: storedLength,
                     decodedLength: decodedLength, digest: .zero)
    }
}

/// Walks the chunk directory at the start of a content section's stored bytes:
/// varint directory length, then per chunk varint segment gap (segment minus
/// previous segment minus 1; the first is the segment itself), varint stored
/// length, varint decoded length. Chunk data follows the directory in order.
public struct ChunkDirectoryReader<Input: ByteInput> {
    private var input: Input
    /// Kind and codec of the content section whose directory this is.
    public let kind: SectionKind
    public let codec: SectionCodec
    // The section's place and lengths (its digest is not needed here).
    private let sectionOffset: UInt32
    private let storedLength: UInt32
    private let decodedLength: UInt32
    private let segmentCount: UInt32
    private var consumed = 0
    private var directoryEnd = 0
    private var nextOffset: UInt64 = 0
    private var previousSegment: Int64 = -1
    private var storedTotal: UInt64 = 0
    private var decodedTotal: UInt64 = 0

    private var started = false

    /// `input` yields the section's stored bytes from their first byte; the
    /// directory's length is read (and checked) at once.
    public init(input: Input, section: SectionEntry, segmentCount: UInt32) throws(FormatError) {
        self.init(deferred: input, section: section, segmentCount: segmentCount)
        try start()
    }

    /// Like `init(input:section:segmentCount:)`, but reads nothing until the
    /// first `next()`; a section that is not `present` (the bundle has none
    /// of this kind) yields no chunks.
    public init(deferred input: Input, section: SectionEntry, present: Bool = true, segmentCount: UInt32) {
        self.input = input
        kind = section.kind
        codec = section.codec
        sectionOffset = section.offset
        storedLength = section.storedLength
        decodedLength = section.decodedLength
        self.segmentCount = segmentCount
        started = !present
    }

    private mutating func start() throws(FormatError) {
        started = true
        let length = try varint()
        guard UInt64(consumed) + UInt64(length) <= UInt64(storedLength) else { throw bad() }
        directoryEnd = consumed + Int(length)
        nextOffset = UInt64(sectionOffset) + UInt64(directoryEnd)
    }

    /// The next chunk, or nil after the last (when the totals are checked).
    public mutating func next() throws(FormatError) -> ContentChunk? {
        if !started { try start() }
        if consumed == directoryEnd {
            guard storedTotal == UInt64(storedLength) - UInt64(directoryEnd),
                  decodedTotal == UInt64(decodedLength) else { throw bad() }
            return nil
        }
        let gap = Int64(try varint())
        let stored = try varint(), decoded = try varint()
        guard consumed <= directoryEnd else { throw bad() }
        let segment = previousSegment + 1 + gap
        guard segment < Int64(segmentCount) else { throw bad() }
        previousSegment = segment
        let chunk = ContentChunk(segment: UInt32(segment), offset: UInt32(truncatingIfNeeded: nextOffset),
                                 storedLength: stored, decodedLength: decoded)
        nextOffset += UInt64(stored)
        storedTotal += UInt64(stored)
        decodedTotal += UInt64(decoded)
        guard nextOffset <= UInt64(sectionOffset) + UInt64(storedLength) else { throw bad() }
        if case .stored = codec, stored != decoded { throw bad() }
        return chunk
    }

    private func bad() -> FormatError {
        .malformedRecord(section: kind.rawValue, offset: consumed, .badChunkDirectory)
    }

    private mutating func varint() throws(FormatError) -> UInt32 {
        try LEB128Decoder.read(&input, consumed: &consumed, section: kind.rawValue)
    }
}
