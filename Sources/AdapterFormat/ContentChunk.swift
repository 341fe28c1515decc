/// One content record's op stream as the executor runs it (Spec/FORMAT.md §5.1).
public struct ContentChunk: Equatable, Sendable {
    /// Segment index: the chunk's operations lie in [segment × S, (segment + 1) × S).
    public var segment: UInt32
    /// Offset of the stored bytes in the loader's source (the block buffer).
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
