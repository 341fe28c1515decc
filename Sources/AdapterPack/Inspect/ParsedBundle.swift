import AdapterFormat

/// A bundle's structure read on the host for inspection and
/// reports: the front, the signature, the chain of blocks and their records.
/// Parsing follows the chain and checks every block's digest and record
/// rules, but not the signature (that is the loader's job).
public struct ParsedBundle: Sendable {
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
        let factorTotal = records(of: .factors).reduce(0) { $0 + Int($1.decodedLength) }
        guard factorTotal == Int(header.factorBytes) else {
            throw .malformedBlock(block: blocks.count - 1, offset: 0, .factorBytes)
        }
    }

    /// The 64-byte signature that follows the front.
    public var signature: ArraySlice<UInt8> { bytes[StreamHeader.size ..< StreamHeader.firstBlockOffset] }

    /// The exact message the signature covers.
    public var signedMessage: [UInt8] {
        BundleWriter.signedMessage(front: Array(bytes[0 ..< StreamHeader.size]),
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

    /// The concatenated decoded bytes of a kind's records (metadata, tensor map, factors).
    public func joined(_ kind: SectionKind) throws(FormatError) -> [UInt8] {
        var bytes: [UInt8] = []
        for record in records(of: kind) { bytes += try decoded(record) }
        return bytes
    }

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
        try ParsedBundle.metadataRecords(try joined(.metadata))
    }

    /// Tensor-map entries.
    public func tensorMap() throws(FormatError) -> [TensorMapEntry] {
        try ParsedBundle.tensorMapEntries(try joined(.tensorMap), targetLength: header.targetLength)
    }
}

extension ParsedBundle {
    /// `stored` decoded with `entry`'s codec; its decoded length must match.
    static func decode(_ stored: [UInt8], entry: SectionEntry) throws(FormatError) -> [UInt8] {
        switch entry.codec {
        case .stored:
            return stored
        case .values:
            var out = [UInt8](repeating: 0, count: Int(entry.decodedLength))
            var tables = [UInt8](repeating: 0, count: CodedValues.tableBytes)
            try stored.withBytes { (input: UnsafeRawBufferPointer) throws(FormatError) in
                try out.withMutableBytes { (output: UnsafeMutableRawBufferPointer) throws(FormatError) in
                    try tables.withMutableBytes { (t: UnsafeMutableRawBufferPointer) throws(FormatError) in
                        try CodedValues.decode(input, into: output, tables: t)
                    }
                }
            }
            return out
        case .deflate(let bits):
            var workspace = [UInt8](repeating: 0, count: Inflater<BufferInput>.workspaceSize(windowBits: bits))
            var out: [UInt8] = []
            out.reserveCapacity(Int(entry.decodedLength))
            try stored.withBytes { (input: UnsafeRawBufferPointer) throws(FormatError) in
                try workspace.withMutableBytes { (ws: UnsafeMutableRawBufferPointer) throws(FormatError) in
                    var inflater = Inflater(input: BufferInput(input), windowBits: bits, workspace: ws)
                    while let b = try inflater.nextByte() {
                        out.append(b)
                        if out.count > Int(entry.decodedLength) { break }
                    }
                }
            }
            guard out.count == Int(entry.decodedLength) else {
                throw .malformedRecord(section: entry.kind.rawValue, offset: out.count,
                                       .decodedLength(expected: entry.decodedLength, actual: UInt32(clamping: out.count)))
            }
            return out
        }
    }

    /// Parses tag-length-value metadata records.
    static func metadataRecords(_ data: [UInt8]) throws(FormatError) -> [(tag: UInt16, value: [UInt8])] {
        var records: [(UInt16, [UInt8])] = []
        var p = 0
        while p < data.count {
            guard p + 4 <= data.count else {
                throw .malformedRecord(section: SectionKind.metadata.rawValue, offset: p, .unexpectedEnd)
            }
            let tag = UInt16(data[p]) | UInt16(data[p + 1]) << 8
            let length = Int(UInt16(data[p + 2]) | UInt16(data[p + 3]) << 8)
            guard p + 4 + length <= data.count else {
                throw .malformedRecord(section: SectionKind.metadata.rawValue, offset: p, .unexpectedEnd)
            }
            records.append((tag, Array(data[p + 4 ..< p + 4 + length])))
            p += 4 + length
        }
        return records
    }

    /// Parses 32-byte tensor-map entries.
    static func tensorMapEntries(_ data: [UInt8], targetLength: UInt32) throws(FormatError) -> [TensorMapEntry] {
        guard data.count % TensorMapEntry.size == 0 else {
            throw .malformedRecord(section: SectionKind.tensorMap.rawValue, offset: data.count, .unexpectedEnd)
        }
        var list: [TensorMapEntry] = []
        try data.withBytes { (raw: UnsafeRawBufferPointer) throws(FormatError) in
            for p in stride(from: 0, to: raw.count, by: TensorMapEntry.size) {
                list.append(try TensorMapEntry(parsing: UnsafeRawBufferPointer(rebasing: raw[p ..< p + TensorMapEntry.size]),
                                               at: p, targetLength: targetLength))
            }
        }
        return list
    }

    /// Stored bytes per record kind (the records of each kind added up), in kind order.
    public var sectionSizes: [(SectionKind, Int)] {
        SectionKind.allCases.compactMap { kind in
            let list = records(of: kind)
            return list.isEmpty ? nil : (kind, list.reduce(0) { $0 + Int($1.storedLength) })
        }
    }

    /// The algorithm's name as reports print it.
    public var algorithmName: String { header.algorithm == StreamSignature.ed25519 ? "ed25519" : "ecdsa-p256-sha256" }
    /// The short key id as hex (16 digits).
    public var keyIDHex: String { hexString(header.keyID.bytes.prefix(StreamHeader.keyIDSize)) }
}
