/// The validated section table: at most one entry per kind, back to back after
/// the table, in increasing kind order, the signature last (Spec/FORMAT.md §3).
public struct SectionTable: Equatable, Sendable {
    public private(set) var metadata: SectionEntry?
    public private(set) var tensorMap: SectionEntry?
    public private(set) var layout: SectionEntry?
    public private(set) var scales: SectionEntry?
    public private(set) var payload: SectionEntry?
    public private(set) var undo: SectionEntry?
    public private(set) var factors: SectionEntry?
    public private(set) var signature: SectionEntry

    /// Parses `header.sectionCount` entries from `tableBytes` (the bytes right
    /// after the header) and checks every rule the table must obey.
    public init(parsing tableBytes: UnsafeRawBufferPointer, header: BundleHeader) throws(FormatError) {
        let count = Int(header.sectionCount)
        let needed = count * SectionEntry.size
        guard tableBytes.count >= needed else {
            throw .truncated(offset: BundleHeader.size, needed: needed, available: tableBytes.count)
        }
        var expectedOffset = UInt32(header.firstSectionOffset)
        var previousKind: UInt16 = 0
        var found = Slots()
        var signature: SectionEntry?
        for index in 0 ..< count {
            let start = index * SectionEntry.size
            let entry = try SectionEntry(
                parsing: UnsafeRawBufferPointer(rebasing: tableBytes[start ..< start + SectionEntry.size]),
                index: index)
            let kind = entry.kind.rawValue
            if kind == previousKind { throw .invalidSection(index: index, .duplicateKind(kind)) }
            if signature != nil || kind < previousKind { throw .invalidSection(index: index, .signatureNotLast) }
            previousKind = kind
            guard entry.offset == expectedOffset else {
                throw .invalidSection(index: index, .misplaced(expectedOffset: expectedOffset, actualOffset: entry.offset))
            }
            let end = UInt64(entry.offset) + UInt64(entry.storedLength)
            guard end <= UInt64(header.bundleLength) else {
                throw .invalidSection(index: index, .outOfBounds(end: end, bundleLength: header.bundleLength))
            }
            expectedOffset = UInt32(end)
            try Self.checkCodec(entry, index: index)
            if entry.kind == .signature {
                guard entry.storedLength == UInt32(SignatureBlock.size),
                      entry.decodedLength == UInt32(SignatureBlock.size) else {
                    throw .invalidSection(index: index, .badLength(entry.storedLength))
                }
                guard entry.digest == Digest32.zero else { throw .invalidSection(index: index, .nonzeroDigest) }
                signature = entry
            } else {
                found.set(entry)
            }
        }
        guard let signature else {
            throw .invalidSection(index: count - 1, .missingRequired(kind: SectionKind.signature.rawValue))
        }
        guard signature.offset + signature.storedLength == header.bundleLength else {
            throw .invalidSection(index: count - 1, .outOfBounds(
                end: UInt64(signature.offset) + UInt64(signature.storedLength), bundleLength: header.bundleLength))
        }
        // A changed layout can only be undone with its undo stream.
        if found.layout != nil && found.undo == nil {
            throw .invalidSection(index: count - 1, .missingRequired(kind: SectionKind.undo.rawValue))
        }
        metadata = found.metadata
        tensorMap = found.tensorMap
        layout = found.layout
        scales = found.scales
        payload = found.payload
        undo = found.undo
        factors = found.factors
        self.signature = signature
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
        switch kind {
        case .metadata: return metadata
        case .tensorMap: return tensorMap
        case .layout: return layout
        case .scales: return scales
        case .payload: return payload
        case .undo: return undo
        case .factors: return factors
        case .signature: return signature
        }
    }

    /// The entry at table position `index` (0 ..< count), without allocating.
    public func entry(at index: Int) -> SectionEntry? {
        var position = 0
        for raw in UInt16(1) ... 15 {
            guard let kind = SectionKind(rawValue: raw), let found = entry(kind) else { continue }
            if position == index { return found }
            position += 1
        }
        return nil
    }

    /// Number of sections, signature included.
    public var count: Int {
        var n = 0
        while entry(at: n) != nil { n += 1 }
        return n
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

/// Collects the optional entries while the table is read.
private struct Slots {
    var metadata, tensorMap, layout, scales, payload, undo, factors: SectionEntry?
    mutating func set(_ entry: SectionEntry) {
        switch entry.kind {
        case .metadata: metadata = entry
        case .tensorMap: tensorMap = entry
        case .layout: layout = entry
        case .scales: scales = entry
        case .payload: payload = entry
        case .undo: undo = entry
        case .factors: factors = entry
        case .signature: break
        }
    }
}
