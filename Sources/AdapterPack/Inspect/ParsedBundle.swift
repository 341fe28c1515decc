import AdapterFormat

/// A bundle's structure read on the host for inspection, re-signing and
/// reports. Parsing checks layout rules but not digests or the signature:
/// that is the loader's job (`HostLoader.verify`).
public struct ParsedBundle: Sendable {
    public let bytes: [UInt8]
    public let header: BundleHeader
    public let table: SectionTable
    public let signature: SignatureBlock

    public init(bytes: [UInt8]) throws(FormatError) {
        self.bytes = bytes
        let parsed: (BundleHeader, SectionTable, SignatureBlock) = try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(FormatError) in
            let header = try BundleHeader(parsing: raw)
            let tableEnd = header.firstSectionOffset
            guard raw.count >= tableEnd else {
                throw .truncated(offset: BundleHeader.size, needed: tableEnd, available: raw.count)
            }
            guard raw.count == Int(header.bundleLength) else {
                throw .truncated(offset: raw.count, needed: Int(header.bundleLength), available: raw.count)
            }
            let table = try SectionTable(parsing: UnsafeRawBufferPointer(rebasing: raw[BundleHeader.size ..< tableEnd]),
                                         header: header)
            let sigStart = Int(table.signature.offset)
            let signature = try SignatureBlock(
                parsing: UnsafeRawBufferPointer(rebasing: raw[sigStart ..< sigStart + SignatureBlock.size]),
                sectionIndex: table.count - 1, offset: sigStart)
            return (header, table, signature)
        }
        (header, table, signature) = parsed
    }

    /// The stored bytes of a section.
    public func stored(_ entry: SectionEntry) -> ArraySlice<UInt8> {
        bytes[Int(entry.offset) ..< Int(entry.offset) + Int(entry.storedLength)]
    }

    /// The chunks of a content section (scales, payload).
    public func chunks(_ entry: SectionEntry) throws(FormatError) -> [ContentChunk] {
        let data = Array(stored(entry))
        return try data.withBytes { (raw: UnsafeRawBufferPointer) throws(FormatError) in
            var reader = try ChunkDirectoryReader(input: BufferInput(raw), section: entry, segmentCount: header.segmentCount)
            var list: [ContentChunk] = []
            while let chunk = try reader.next() { list.append(chunk) }
            return list
        }
    }

    /// The decoded op-stream pieces of a section: one per chunk for content
    /// sections, one for the others.
    public func decodedPieces(_ entry: SectionEntry) throws(FormatError) -> [[UInt8]] {
        guard entry.kind.isSegmented else { return [try decoded(entry)] }
        return try chunks(entry).map { (chunk: ContentChunk) throws(FormatError) in try decoded(chunk.asEntry(of: entry)) }
    }

    /// The decoded bytes of a stored range (inflated when needed); for content
    /// sections, the concatenated chunks.
    public func decoded(_ entry: SectionEntry) throws(FormatError) -> [UInt8] {
        if entry.kind.isSegmented && entry.offset == table.entry(entry.kind)?.offset {
            return try decodedPieces(entry).flatMap { $0 }
        }
        return try Self.decode(Array(stored(entry)), entry: entry)
    }

    /// `stored` decoded with `entry`'s codec; its decoded length must match.
    static func decode(_ stored: [UInt8], entry: SectionEntry) throws(FormatError) -> [UInt8] {
        switch entry.codec {
        case .stored:
            return stored
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

    /// Metadata records as (tag, value bytes), in order.
    public func metadata() throws(FormatError) -> [(tag: UInt16, value: [UInt8])] {
        guard let entry = table.metadata else { return [] }
        return try Self.metadataRecords(Array(stored(entry)))
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

    /// Tensor-map entries.
    public func tensorMap() throws(FormatError) -> [TensorMapEntry] {
        guard let entry = table.tensorMap else { return [] }
        return try Self.tensorMapEntries(Array(stored(entry)), targetLength: header.targetLength)
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

    /// The operations of an op-stream section, their data skipped as each
    /// opcode's descriptor says.
    public func operations(_ entry: SectionEntry) throws(FormatError) -> [Operation] {
        var ops: [Operation] = []
        for data in try decodedPieces(entry) {
            try data.withBytes { (raw: UnsafeRawBufferPointer) throws(FormatError) in
                var reader = OpReader(input: BufferInput(raw), kind: entry.kind)
                while let op = try reader.next() {
                    ops.append(op)
                    try reader.skipData(of: op)
                }
            }
        }
        return ops
    }
}
