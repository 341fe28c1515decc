import AdapterFormat

/// Where a bundle's bytes go: the front, the signature, the block chain's
/// trailers, each record kind, the record headers, and how much the
/// compressed op streams shrank.
public struct BundleSizeAnalysis: Codable, Equatable, Sendable {
    public struct Part: Codable, Equatable, Sendable {
        /// `front`, `signature`, `block-chain`, `record-headers`, or a record
        /// kind (`metadata`, `tensor-map`, `factors`, `layout`, `scales`, `payload`, `undo`).
        public var name: String
        /// `stored`, `deflate-wN` (comma-separated when records differ), or `fixed`.
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
        add("front", "fixed", StreamHeader.size, StreamHeader.size)
        add("signature", "fixed", StreamHeader.signatureSize, StreamHeader.signatureSize)
        let trailers = (bundle.blocks.count - 1) * BlockTrailer.size
        add("block-chain", "fixed", trailers, trailers)
        var headers = 0
        var opStored = 0, opDecoded = 0
        for kind in SectionKind.allCases where kind != .signature {
            let records = bundle.records(of: kind)
            guard !records.isEmpty else { continue }
            let stored = records.reduce(0) { $0 + Int($1.storedLength) }, decoded = records.reduce(0) { $0 + Int($1.decodedLength) }
            let codecs = Set(records.map { BundleDescription.name($0.codec) }).sorted().joined(separator: ",")
            add(kind.description, codecs, stored, decoded)
            if kind.isOpStream {
                opStored += stored
                opDecoded += decoded
            }
            headers += records.reduce(0) { $0 + $1.headerLength }
        }
        add("record-headers", "fixed", headers, headers)
        self.parts = parts
        totalBytes = total
        decodedBytes = parts.reduce(0) { $0 + $1.decodedBytes }
        compressionRatio = total > 0 ? Double(decodedBytes) / Double(total) : 1
        opStreamStoredBytes = opStored
        opStreamDecodedBytes = opDecoded
        opStreamCompressionRatio = opStored > 0 ? Double(opDecoded) / Double(opStored) : 1
    }
}
