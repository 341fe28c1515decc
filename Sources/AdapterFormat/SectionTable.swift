/// The validated section table: at most one entry per kind, back to back after
/// the table, in increasing kind order, the signature last (Spec/FORMAT.md §3).
public struct SectionTable: Equatable, Sendable {
    /// The entries in table order; the first `count` are valid. One inline
    /// array rather than a field per kind: the device stores each entry once
    /// while parsing instead of copying optionals around (1.5 KB of code).
    private var storage: (SectionEntry, SectionEntry, SectionEntry, SectionEntry,
                          SectionEntry, SectionEntry, SectionEntry, SectionEntry)
    /// Number of sections, signature included (1 ... `BundleHeader.maxSections`).
    public private(set) var count: Int

    public var metadata: SectionEntry? { entry(.metadata) }
    public var tensorMap: SectionEntry? { entry(.tensorMap) }
    public var layout: SectionEntry? { entry(.layout) }
    public var scales: SectionEntry? { entry(.scales) }
    public var payload: SectionEntry? { entry(.payload) }
    public var undo: SectionEntry? { entry(.undo) }
    public var factors: SectionEntry? { entry(.factors) }
    /// The signature entry, always the last one.
    public var signature: SectionEntry { self[count - 1] }

    /// Parses `header.sectionCount` entries from `tableBytes` (the bytes right
    /// after the header) and checks every rule the table must obey.
    public init(parsing tableBytes: UnsafeRawBufferPointer, header: BundleHeader) throws(FormatError) {
        let count = Int(header.sectionCount)
        let needed = count * SectionEntry.size
        guard tableBytes.count >= needed else {
            throw .truncated(offset: BundleHeader.size, needed: needed, available: tableBytes.count)
        }
        guard count >= 1 && count <= BundleHeader.maxSections else {
            throw .invalidHeaderField(.sectionCount, value: UInt32(header.sectionCount))
        }
        let empty = SectionEntry(kind: .signature, codec: .stored, offset: 0, storedLength: 0, decodedLength: 0,
                                 digest: .zero)
        storage = (empty, empty, empty, empty, empty, empty, empty, empty)
        self.count = count
        var expectedOffset = UInt32(header.firstSectionOffset)
        var previousKind: UInt16 = 0
        var hasLayout = false, hasUndo = false
        for index in 0 ..< count {
            let start = index * SectionEntry.size
            let entry = try SectionEntry(
                parsing: UnsafeRawBufferPointer(rebasing: tableBytes[start ..< start + SectionEntry.size]),
                index: index)
            let kind = entry.kind.rawValue
            if kind == previousKind { throw .invalidSection(index: index, .duplicateKind(kind)) }
            // Kinds increase, so nothing can follow the signature (kind 15).
            if kind < previousKind { throw .invalidSection(index: index, .signatureNotLast) }
            previousKind = kind
            guard entry.offset == expectedOffset else {
                throw .invalidSection(index: index, .misplaced(expectedOffset: expectedOffset, actualOffset: entry.offset))
            }
            let end = UInt64(entry.offset) + UInt64(entry.storedLength)
            guard end <= UInt64(header.bundleLength) else {
                throw .invalidSection(index: index, .outOfBounds(offset: entry.offset, length: entry.storedLength,
                                                                 bundleLength: header.bundleLength))
            }
            expectedOffset = UInt32(end)
            try Self.checkCodec(entry, index: index)
            if entry.kind == .signature {
                guard entry.storedLength == UInt32(SignatureBlock.size),
                      entry.decodedLength == UInt32(SignatureBlock.size) else {
                    throw .invalidSection(index: index, .badLength(entry.storedLength))
                }
                guard entry.digest == Digest32.zero else { throw .invalidSection(index: index, .nonzeroDigest) }
            }
            hasLayout = hasLayout || entry.kind == .layout
            hasUndo = hasUndo || entry.kind == .undo
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.baseAddress!.assumingMemoryBound(to: SectionEntry.self)[index] = entry
            }
        }
        let last = self[count - 1]
        guard last.kind == .signature else {
            throw .invalidSection(index: count - 1, .missingRequired(kind: SectionKind.signature.rawValue))
        }
        guard last.offset + last.storedLength == header.bundleLength else {
            throw .invalidSection(index: count - 1, .outOfBounds(offset: last.offset, length: last.storedLength,
                                                                 bundleLength: header.bundleLength))
        }
        // A changed layout can only be undone with its undo stream.
        if hasLayout && !hasUndo {
            throw .invalidSection(index: count - 1, .missingRequired(kind: SectionKind.undo.rawValue))
        }
    }

    /// The entry at table position `index` (0 ..< count).
    private subscript(index: Int) -> SectionEntry {
        precondition(index >= 0 && index < count, "section index out of range")
        return withUnsafeBytes(of: storage) { raw in raw.baseAddress!.assumingMemoryBound(to: SectionEntry.self)[index] }
    }

    public static func == (lhs: SectionTable, rhs: SectionTable) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for i in 0 ..< lhs.count where lhs[i] != rhs[i] { return false }
        return true
    }

    private static func checkCodec(_ entry: SectionEntry, index: Int) throws(FormatError) {
        switch entry.codec {
        case .stored:
            // Content sections also hold a chunk directory; their chunks are checked one by one.
            guard entry.kind.isSegmented || entry.decodedLength == entry.storedLength else {
                throw .invalidSection(index: index, .badLength(entry.decodedLength))
            }
        case .deflate:
            guard entry.kind.isOpStream else {
                throw .invalidSection(index: index, .unknownCodec(entry.codec.rawValue))
            }
        }
    }

    /// The entry of `kind`, if the bundle has that section.
    @inline(never)
    public func entry(_ kind: SectionKind) -> SectionEntry? {
        for i in 0 ..< count where self[i].kind == kind { return self[i] }
        return nil
    }

    /// The entry at table position `index`, or nil past the end.
    public func entry(at index: Int) -> SectionEntry? {
        index >= 0 && index < count ? self[index] : nil
    }

    #if !hasFeature(Embedded)
    /// The entries in table order (host convenience; allocates, so not on the device).
    public var entries: [SectionEntry] {
        (0 ..< count).compactMap { entry(at: $0) }
    }
    #endif

    /// Bytes covered by the signature: everything before the signature section.
    public var signedLength: Int { Int(signature.offset) }

    /// The largest decoder workspace any section needs.
    public var largestDecoderWorkspace: Int {
        var largest = 0
        var index = 0
        while let entry = entry(at: index) {
            largest = max(largest, WindowLayout.decoderWorkspace(entry.codec))
            index += 1
        }
        return largest
    }
}
