/// One record of a format-2 block (Spec/FORMAT.md §4): a piece of one
/// section's content that decodes on its own, wholly inside its block.
public struct BlockRecord: Equatable, Sendable {
    /// The section the record belongs to (format 1's kinds; never `.signature`).
    public var kind: SectionKind
    public var codec: SectionCodec
    /// Content records (scales, payload): the model segment its operations lie in.
    public var segment: UInt32
    /// Offset of the record's stored bytes from the start of its block.
    public var start: Int
    public var storedLength: UInt32
    public var decodedLength: UInt32
    /// Bytes of the record's tag and varints.
    public var headerLength: Int = 0

    public init(kind: SectionKind, codec: SectionCodec, segment: UInt32, start: Int,
                storedLength: UInt32, decodedLength: UInt32) {
        self.kind = kind
        self.codec = codec
        self.segment = segment
        self.start = start
        self.storedLength = storedLength
        self.decodedLength = decodedLength
    }

    /// Records must come in this order of ranks; content records (scales and
    /// payload) share one rank and ascend by segment.
    public static func rank(_ kind: SectionKind) -> UInt8 {
        switch kind {
        case .metadata: return 1
        case .tensorMap: return 2
        case .factors: return 3
        case .layout: return 4
        case .scales, .payload: return 5
        case .undo: return 6
        case .signature: return 0
        }
    }

    /// The tag byte: kind in the low nibble, codec in the high one
    /// (0 stored, c = 1 ... 8 raw deflate with a 2^(c + 7)-byte window,
    /// 9 range-coded values).
    public var tag: UInt8 {
        switch codec {
        case .stored: return UInt8(kind.rawValue)
        case .deflate(let bits): return UInt8(kind.rawValue) | UInt8(bits - 7) << 4
        case .values: return UInt8(kind.rawValue) | Self.valuesCodecID << 4
        }
    }

    /// The tag's codec nibble of `values`.
    public static let valuesCodecID: UInt8 = 9

    /// Bytes of the record's header (tag and varints) as a writer encodes it.
    public static func headerFields(kind: SectionKind, codec: SectionCodec, storedLength: UInt32,
                                    decodedLength: UInt32, segment: UInt32) -> (tag: UInt8, numbers: (UInt32, UInt32?, UInt32?)) {
        let record = BlockRecord(kind: kind, codec: codec, segment: segment, start: 0,
                                 storedLength: storedLength, decodedLength: decodedLength)
        let deflated = codec != .stored
        return (record.tag, (storedLength, deflated ? decodedLength : nil, kind.isSegmented ? segment : nil))
    }

    /// The record's bytes as a stored range of the block, so format 1's
    /// stream machinery runs it unchanged (the block's digest covers it).
    public func asEntry(blockBase: Int) -> SectionEntry {
        SectionEntry(kind: kind, codec: codec, offset: UInt32(blockBase + start), storedLength: storedLength,
                     decodedLength: decodedLength, digest: .zero)
    }
}

/// Walks the records of one verified block's payload (the bytes before its
/// trailer), checking each header and that records keep the format's order.
public struct BlockRecordReader {
    private let payload: UnsafeRawBufferPointer
    private var position = 0
    /// Block number, for errors.
    public let block: Int
    private let segmentCount: UInt32

    /// Rank and segment of the last record, carried from block to block.
    public struct Order: Equatable, Sendable {
        public var rank: UInt8 = 0
        public var segment: UInt32 = 0
        public init() {}
    }

    public init(payload: UnsafeRawBufferPointer, block: Int, segmentCount: UInt32) {
        self.payload = payload
        self.block = block
        self.segmentCount = segmentCount
    }

    /// The next record, or nil at the end of the payload; `order` is the
    /// previous record's place and is advanced.
    public mutating func next(order: inout Order) throws(FormatError) -> BlockRecord? {
        guard position < payload.count else { return nil }
        let at = position
        let tag = payload[position]
        position += 1
        guard let kind = SectionKind(rawValue: UInt16(tag & 0x0F)), kind != .signature else {
            throw .malformedBlock(block: block, offset: at, .unknownRecord(tag))
        }
        let codecID = Int(tag >> 4)
        let values = codecID == Int(BlockRecord.valuesCodecID)
        let codec: SectionCodec = codecID == 0 ? .stored : values ? .values : .deflate(windowBits: codecID + 7)
        guard codecID == 0 || (codecID <= 8 && kind.isOpStream) || (values && kind == .factors) else {
            throw .malformedBlock(block: block, offset: at, .unknownRecord(tag))
        }
        let stored = try number(at)
        let decoded = codecID == 0 ? stored : try number(at)
        var segment: UInt32 = 0
        if kind.isSegmented {
            segment = try number(at)
            guard segment < segmentCount else { throw .malformedBlock(block: block, offset: at, .segmentOutsideModel(segment)) }
        }
        guard Int(stored) <= payload.count - position else {
            throw .malformedBlock(block: block, offset: at, .recordPastBlock(length: stored))
        }
        let rank = BlockRecord.rank(kind)
        guard rank > order.rank || (rank == order.rank && (!kind.isSegmented || segment >= order.segment)) else {
            throw .malformedBlock(block: block, offset: at, .recordOrder)
        }
        order.rank = rank
        order.segment = segment
        var record = BlockRecord(kind: kind, codec: codec, segment: segment, start: position,
                                 storedLength: stored, decodedLength: decoded)
        record.headerLength = position - at
        position += Int(stored)
        return record
    }

    private mutating func number(_ recordAt: Int) throws(FormatError) -> UInt32 {
        var input = BufferInput(UnsafeRawBufferPointer(rebasing: payload[position...]))
        var consumed = 0
        do {
            let value = try LEB128Decoder.read(&input, consumed: &consumed, section: 0)
            position += consumed
            return value
        } catch {
            throw .malformedBlock(block: block, offset: recordAt, .badRecordHeader)
        }
    }
}

/// The 34 bytes that end every block but the last (Spec/FORMAT.md §3): the
/// next block's length and SHA-256.
public enum BlockTrailer {
    public static let size = 34

    /// Reads the trailer at the end of `block`.
    public static func parse(_ block: UnsafeRawBufferPointer) -> (length: UInt16, digest: Digest32) {
        let at = block.count - size
        return (block.le16(at), block.digest(at + 2))
    }

    /// Writes a trailer into the last 34 bytes of `block`.
    public static func write(length: UInt16, digest: Digest32, into block: UnsafeMutableRawBufferPointer) {
        let at = block.count - size
        block.put16(length, at: at)
        block.putDigest(digest, at: at + 2)
    }
}

/// How the loader divides the caller's RAM window for a format-2 bundle
/// (Spec/FORMAT.md §6): the block buffer, the factor area, then format 1's
/// fixed buffers, the decoder workspace and (with factors) the factor buffer.
public enum StreamWindow {
    /// The block buffer: the largest block the bundle may have.
    public static func blockBuffer(_ header: StreamHeader) -> Int { header.blockLimit }

    /// Window for a bundle whose records are all stored; a deflated record
    /// needs its inflater's workspace on top (checked per record).
    public static func required(for header: StreamHeader) -> Int {
        header.blockLimit + Int(header.factorBytes) + WindowLayout.fixed
            + (header.factorBytes > 0 ? WindowLayout.factorBuffer : 0)
    }

    /// The window a bundle needs with a largest decoder workspace of `workspace`.
    public static func required(for header: StreamHeader, workspace: Int) -> Int {
        required(for: header) + workspace
    }

    /// The largest window any format-2 bundle may declare: a 32 KB block,
    /// 64 KB of factors and the 32 KB inflater.
    public static var maximum: Int {
        (1 << Int(StreamHeader.blockBitsRange.upperBound)) + 0xFFFF + WindowLayout.maximum
    }
}
