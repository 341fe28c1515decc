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
        SectionEntry(kind: section.kind, codec: section.codec, offset: offset, storedLength: storedLength,
                     decodedLength: decodedLength, digest: section.digest)
    }
}

/// Walks the chunk directory at the start of a content section's stored bytes:
/// varint directory length, then per chunk varint segment gap (segment minus
/// previous segment minus 1; the first is the segment itself), varint stored
/// length, varint decoded length. Chunk data follows the directory in order.
public struct ChunkDirectoryReader<Input: ByteInput> {
    private var input: Input
    /// The content section whose directory this is.
    public let section: SectionEntry
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
    /// first `next()`. A section of stored length 0 (one the bundle does not
    /// have) yields no chunks.
    public init(deferred input: Input, section: SectionEntry, segmentCount: UInt32) {
        self.input = input
        self.section = section
        self.segmentCount = segmentCount
    }

    private mutating func start() throws(FormatError) {
        started = true
        guard section.storedLength > 0 else { return }
        let length = try varint()
        guard UInt64(consumed) + UInt64(length) <= UInt64(section.storedLength) else { throw bad() }
        directoryEnd = consumed + Int(length)
        nextOffset = UInt64(section.offset) + UInt64(directoryEnd)
    }

    /// The next chunk, or nil after the last (when the totals are checked).
    public mutating func next() throws(FormatError) -> ContentChunk? {
        if !started { try start() }
        if consumed == directoryEnd {
            guard storedTotal == UInt64(section.storedLength) - UInt64(directoryEnd),
                  decodedTotal == UInt64(section.decodedLength) else { throw bad() }
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
        guard nextOffset <= UInt64(section.offset) + UInt64(section.storedLength) else { throw bad() }
        if case .stored = section.codec, stored != decoded { throw bad() }
        return chunk
    }

    private func bad() -> FormatError {
        .malformedRecord(section: section.kind.rawValue, offset: consumed, .badChunkDirectory)
    }

    private mutating func varint() throws(FormatError) -> UInt32 {
        try LEB128Decoder.read(&input, consumed: &consumed, section: section.kind.rawValue)
    }
}
