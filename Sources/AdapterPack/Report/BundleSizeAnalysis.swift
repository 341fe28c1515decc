import AdapterFormat

/// Where a bundle's bytes go: header, section table, each section, signature,
/// and how much the compressed op streams shrank.
public struct BundleSizeAnalysis: Codable, Equatable, Sendable {
    public struct Part: Codable, Equatable, Sendable {
        /// `header`, `section-table`, or the section kind (`metadata`,
        /// `tensor-map`, `layout`, `scales`, `payload`, `undo`, `signature`).
        public var name: String
        /// `stored`, `deflate-wN`, or `fixed` for header and table.
        public var codec: String
        public var storedBytes: Int
        public var decodedBytes: Int
        /// decodedBytes / storedBytes (1 for uncompressed parts).
        public var compressionRatio: Double
        /// Share of the bundle.
        public var fraction: Double
    }

    public var totalBytes: Int
    public var parts: [Part]
    /// Sum over all parts of stored and decoded bytes.
    public var decodedBytes: Int
    /// decoded / stored over the whole bundle.
    public var compressionRatio: Double
    /// The same over the op-stream sections only (what deflate can act on).
    public var opStreamStoredBytes: Int
    public var opStreamDecodedBytes: Int
    public var opStreamCompressionRatio: Double

    public init(_ bundle: ParsedBundle) {
        let total = bundle.bytes.count
        var parts: [Part] = []
        func add(_ name: String, _ codec: String, _ stored: Int, _ decoded: Int) {
            parts.append(Part(name: name, codec: codec, storedBytes: stored, decodedBytes: decoded,
                              compressionRatio: stored > 0 ? Double(decoded) / Double(stored) : 1,
                              fraction: total > 0 ? Double(stored) / Double(total) : 0))
        }
        add("header", "fixed", BundleHeader.size, BundleHeader.size)
        let entries = bundle.table.entries
        add("section-table", "fixed", entries.count * SectionEntry.size, entries.count * SectionEntry.size)
        var opStored = 0, opDecoded = 0
        for entry in entries {
            add(entry.kind.description, BundleDescription.name(entry.codec),
                Int(entry.storedLength), Int(entry.decodedLength))
            if entry.kind.isOpStream {
                opStored += Int(entry.storedLength)
                opDecoded += Int(entry.decodedLength)
            }
        }
        self.parts = parts
        totalBytes = total
        decodedBytes = parts.reduce(0) { $0 + $1.decodedBytes }
        compressionRatio = total > 0 ? Double(decodedBytes) / Double(total) : 1
        opStreamStoredBytes = opStored
        opStreamDecodedBytes = opDecoded
        opStreamCompressionRatio = opStored > 0 ? Double(opDecoded) / Double(opStored) : 1
    }
}
