import AdapterFormat

/// A format-2 bundle's structure read on the host for inspection and
/// reports: the front, the signature, the chain of blocks and their records.
/// Parsing follows the chain and checks every block's digest and record
/// rules, but not the signature (that is the loader's job).
public struct StreamParsedBundle: Sendable {
    /// One block: where it is, and its records (offsets from the bundle start).
    public struct Block: Sendable {
        public var index: Int
        public var offset: Int
        public var length: Int
        public var sha256: Digest32
        public var records: [BlockRecord]
    }

    public let bytes: [UInt8]
    public let header: StreamHeader
    public let blocks: [Block]

    public init(bytes: [UInt8]) throws(FormatError) {
        self.bytes = bytes
        let header = try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(FormatError) in try StreamHeader(parsing: raw) }
        guard bytes.count == Int(header.bundleLength) else {
            throw .truncated(offset: bytes.count, needed: Int(header.bundleLength), available: bytes.count)
        }
        self.header = header
        var blocks: [Block] = []
        var offset = StreamHeader.firstBlockOffset
        var length = Int(header.firstBlockLength)
        var expected: Digest32?
        var order = BlockRecordReader.Order()
        while true {
            let index = blocks.count
            guard length >= 1, length <= header.blockLimit, offset + length <= bytes.count else {
                throw .malformedBlock(block: index, offset: 0, .badBlockLength(UInt32(length)))
            }
            let block = Array(bytes[offset ..< offset + length])
            let digest = sha256(block)
            if let expected, digest != expected { throw .malformedBlock(block: index, offset: 0, .digestMismatch) }
            let last = offset + length == bytes.count
            guard last || length >= BlockTrailer.size else {
                throw .malformedBlock(block: index, offset: 0, .badBlockLength(UInt32(length)))
            }
            let payloadLength = last ? length : length - BlockTrailer.size
            var records: [BlockRecord] = []
            var next: (length: UInt16, digest: Digest32) = (0, .zero)
            try block.withBytes { (raw: UnsafeRawBufferPointer) throws(FormatError) in
                var reader = BlockRecordReader(payload: UnsafeRawBufferPointer(rebasing: raw[0 ..< payloadLength]), block: index,
                                               segmentCount: header.segmentCount)
                while var record = try reader.next(order: &order) {
                    record.start += offset
                    records.append(record)
                }
                if !last { next = BlockTrailer.parse(raw) }
            }
            blocks.append(Block(index: index, offset: offset, length: length, sha256: digest, records: records))
            if last { break }
            offset += length
            length = Int(next.length)
            expected = next.digest
        }
        self.blocks = blocks
        let factorTotal = records(of: .factors).reduce(0) { $0 + Int($1.storedLength) }
        guard factorTotal == Int(header.factorBytes) else {
            throw .malformedBlock(block: blocks.count - 1, offset: 0, .factorBytes)
        }
    }

    /// The 64-byte signature that follows the front.
    public var signature: ArraySlice<UInt8> { bytes[StreamHeader.size ..< StreamHeader.firstBlockOffset] }

    /// The exact message the signature covers.
    public var signedMessage: [UInt8] {
        StreamBundleWriter.signedMessage(front: Array(bytes[0 ..< StreamHeader.size]),
                                         firstBlock: Array(bytes[blocks[0].offset ..< blocks[0].offset + blocks[0].length]))
    }

    /// Every record of `kind`, in bundle order.
    public func records(of kind: SectionKind) -> [BlockRecord] {
        blocks.flatMap { $0.records.filter { $0.kind == kind } }
    }

    /// A record's stored bytes.
    public func stored(_ record: BlockRecord) -> ArraySlice<UInt8> {
        bytes[record.start ..< record.start + Int(record.storedLength)]
    }

    /// A record's decoded bytes (inflated when needed).
    public func decoded(_ record: BlockRecord) throws(FormatError) -> [UInt8] {
        let entry = SectionEntry(kind: record.kind, codec: record.codec, offset: UInt32(record.start),
                                 storedLength: record.storedLength, decodedLength: record.decodedLength, digest: .zero)
        return try ParsedBundle.decode(Array(stored(record)), entry: entry)
    }

    /// The concatenated bytes of a kind's records (metadata, tensor map, factors).
    public func joined(_ kind: SectionKind) -> [UInt8] { records(of: kind).flatMap { stored($0) } }

    /// The operations of every record of an op-stream kind.
    public func operations(_ kind: SectionKind) throws(FormatError) -> [Operation] {
        var ops: [Operation] = []
        for record in records(of: kind) {
            let data = try decoded(record)
            try data.withBytes { (raw: UnsafeRawBufferPointer) throws(FormatError) in
                var reader = OpReader(input: BufferInput(raw), kind: kind)
                while let op = try reader.next() {
                    ops.append(op)
                    try reader.skipData(of: op)
                }
            }
        }
        return ops
    }

    /// Metadata records as (tag, value bytes), in order.
    public func metadata() throws(FormatError) -> [(tag: UInt16, value: [UInt8])] {
        try ParsedBundle.metadataRecords(joined(.metadata))
    }

    /// Tensor-map entries.
    public func tensorMap() throws(FormatError) -> [TensorMapEntry] {
        try ParsedBundle.tensorMapEntries(joined(.tensorMap), targetLength: header.targetLength)
    }
}

extension BundleFormat {
    /// Stored bytes per section kind (format 2: the records of each kind
    /// added up), signature excluded, in kind order.
    public static func sectionSizes(_ bytes: [UInt8]) throws(FormatError) -> [(SectionKind, Int)] {
        guard of(bytes) == 2 else {
            return try ParsedBundle(bytes: bytes).table.entries.filter { $0.kind != .signature }.map { ($0.kind, Int($0.storedLength)) }
        }
        let parsed = try StreamParsedBundle(bytes: bytes)
        return SectionKind.allCases.compactMap { kind in
            let records = parsed.records(of: kind)
            return records.isEmpty ? nil : (kind, records.reduce(0) { $0 + Int($1.storedLength) })
        }
    }
}
