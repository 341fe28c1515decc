import AdapterFormat
import AdapterLoader

/// Writes a `BundlePlan` as a bundle (Spec/FORMAT.md): the signed
/// front, the signature, then the plan's content as records packed into
/// chained blocks in apply order (factors, layout, content by ascending
/// segment, undo).
public enum BundleWriter {
    /// Largest record header: tag and three 5-byte varints.
    static let recordHeaderLimit = 16

    /// One record before packing.
    public struct Record: Sendable {
        public var kind: SectionKind
        public var codec: SectionCodec
        public var segment: Int
        public var stored: [UInt8]
        public var decodedLength: Int

        public init(kind: SectionKind, codec: SectionCodec, segment: Int, stored: [UInt8], decodedLength: Int) {
            self.kind = kind
            self.codec = codec
            self.segment = segment
            self.stored = stored
            self.decodedLength = decodedLength
        }

        var encoded: [UInt8] {
            var out: [UInt8] = []
            let fields = BlockRecord.headerFields(kind: kind, codec: codec, storedLength: UInt32(stored.count),
                                                  decodedLength: UInt32(decodedLength), segment: UInt32(segment))
            out.append(fields.tag)
            LEB128.append(Int(fields.numbers.0), to: &out)
            if let decoded = fields.numbers.1 { LEB128.append(Int(decoded), to: &out) }
            if let segment = fields.numbers.2 { LEB128.append(Int(segment), to: &out) }
            return out + stored
        }
    }

    /// Builds and signs the bundle. `options.blockSize` is the largest block
    /// (a power of two, 256 ... 32 KB).
    public static func write(_ plan: BundlePlan, base: [UInt8], key: SigningKey, options: BundleOptions) throws -> [UInt8] {
        let records = try makeRecords(plan, options: options)
        return try assemble(records, base: base, target: plan.target, factorBytes: plan.factors.count, key: key,
                            options: options, stepBound: StepBound.count(records, segmentSize: options.segmentSize),
                            oneWay: plan.oneWay)
    }

    /// The plan's sections as records, each at most one block's payload.
    static func makeRecords(_ plan: BundlePlan, options: BundleOptions) throws -> [Record] {
        let payloadRoom = options.blockSize - BlockTrailer.size - recordHeaderLimit
        // The window holds the block buffer, the factors, the fixed buffers and
        // (with factors) the factor buffer; deflate gets what is left (§6).
        let needed = options.blockSize + plan.factors.count + WindowLayout.fixed
            + (plan.factors.isEmpty ? 0 : WindowLayout.factorBuffer)
        guard needed <= options.maxWindow else {
            throw BundleBuildError.windowTooSmall(needed: needed, maxWindow: options.maxWindow, blockSize: options.blockSize,
                                                  factorBytes: plan.factors.count)
        }
        let decoderWindow = options.deflate ? WindowLayout.fixed + options.maxWindow - needed : 0
        var records: [Record] = []
        func raw(_ kind: SectionKind, _ bytes: [UInt8]) {
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + payloadRoom)
                records.append(Record(kind: kind, codec: .stored, segment: 0, stored: Array(bytes[start ..< end]),
                                      decodedLength: end - start))
                start = end
            }
        }
        func coded(_ kind: SectionKind, _ stream: [UInt8], segment: Int) throws {
            for piece in try OpStreamSplitter.split(stream, kind: kind, capacity: payloadRoom) {
                let best = SectionPayload.smallest(kind, piece, maxWindow: decoderWindow)
                let fits = best.stored.count <= payloadRoom
                records.append(Record(kind: kind, codec: fits ? best.codec : .stored, segment: segment,
                                      stored: fits ? best.stored : piece, decodedLength: piece.count))
            }
        }
        if options.describe {
            var metadata = MetadataWriter()
            if let name = options.name { metadata.add(.name, name) }
            metadata.add(.tool, BundleAssembler.toolVersion)
            if let file = options.baseFile { metadata.add(.baseFile, file) }
            if let file = options.targetFile { metadata.add(.targetFile, file) }
            for record in plan.metadata { metadata.add(record.tag, record.value) }
            raw(.metadata, metadata.bytes)
            if !plan.tensorMap.isEmpty { raw(.tensorMap, SectionPayload.tensorMap(plan.tensorMap).stored) }
        } else {
            // The name when asked; an approximate bundle's measured accuracy
            // always (it says what the device's model is); the rest only with describe.
            let carried = plan.metadata.filter { $0.tag == .accuracy }
            if options.name != nil || !carried.isEmpty {
                var metadata = MetadataWriter()
                if let name = options.name { metadata.add(.name, name) }
                for record in carried { metadata.add(record.tag, record.value) }
                raw(.metadata, metadata.bytes)
            }
        }
        records += factorRecords(plan.factors, room: payloadRoom)
        if !plan.layout.isEmpty { try coded(.layout, plan.layout.bytes, segment: 0) }
        let segments = Set(plan.scales.segments.keys).union(plan.payload.segments.keys).sorted()
        for segment in segments {
            if let stream = plan.scales.segments[segment] { try coded(.scales, stream.bytes, segment: segment) }
            if let stream = plan.payload.segments[segment] { try coded(.payload, stream.bytes, segment: segment) }
        }
        if !plan.undo.isEmpty { try coded(.undo, plan.undo.bytes, segment: 0) }
        return records
    }

    /// The factor area as records of at most `room` stored bytes: each piece
    /// range-coded (`values`, FORMAT.md §4) as long as its coded form fits,
    /// stored where coding would not save a byte. On digits/lora-adapter the
    /// 2,678-byte area codes to about 2,350 bytes (int8 factors at ≈ 7 bits).
    static func factorRecords(_ area: [UInt8], room: Int) -> [Record] {
        var records: [Record] = []
        let lane = CodedDeltaMode(xor: false, laneBits: 0)
        var start = 0
        while start < area.count {
            func coded(_ end: Int) -> [UInt8] { CodedDeltaEncoder.encode(area[start ..< end], mode: lane) }
            // The longest piece whose coding fits the room (coding is never 4× smaller).
            var end = min(area.count, start + 4 * room)
            var best = coded(end)
            if best.count > room {
                var fits = start, over = end
                best = []
                while over - fits > 1 {
                    let middle = (fits + over) / 2
                    let trial = coded(middle)
                    if trial.count <= room { fits = middle; best = trial } else { over = middle }
                }
                end = fits
            }
            if end > start, best.count < end - start {
                records.append(Record(kind: .factors, codec: .values, segment: 0, stored: best, decodedLength: end - start))
            } else {
                end = min(area.count, start + room)
                records.append(Record(kind: .factors, codec: .stored, segment: 0, stored: Array(area[start ..< end]),
                                      decodedLength: end - start))
            }
            start = end
        }
        return records
    }

    /// Packs records (in the order given) into blocks, chains them and signs
    /// the front; the plan-free path for hand-made records (tests, tools).
    /// `oneWay` sets the front's one-way flag (FORMAT.md §2).
    public static func assemble(_ records: [Record], base: [UInt8], target: [UInt8], factorBytes: Int, key: SigningKey,
                         options: BundleOptions, stepBound: UInt32, oneWay: Bool = false) throws -> [UInt8] {
        let blockSize = options.blockSize
        guard blockSize >= 256, blockSize <= 1 << 15, blockSize & (blockSize - 1) == 0 else {
            throw BundleBuildError.streamLimit(field: "block size", value: blockSize, limit: 1 << 15)
        }
        guard options.sequence <= UInt64(UInt32.max) else {
            throw BundleBuildError.streamLimit(field: "sequence", value: Int(clamping: options.sequence), limit: Int(UInt32.max))
        }
        guard factorBytes <= 0xFFFF else {
            throw BundleBuildError.streamLimit(field: "factor bytes", value: factorBytes, limit: 0xFFFF)
        }
        // Greedy packing: a block takes records while they fit before its trailer.
        var payloads: [[UInt8]] = [[]]
        for record in records {
            let bytes = record.encoded
            guard bytes.count <= blockSize - BlockTrailer.size else {
                throw BundleBuildError.recordTooLarge(offset: 0, bytes: bytes.count, capacity: blockSize - BlockTrailer.size)
            }
            if payloads[payloads.count - 1].count + bytes.count > blockSize - BlockTrailer.size {
                payloads.append([])
            }
            payloads[payloads.count - 1] += bytes
        }
        // Chain from the last block back: each block ends with its successor's length and digest.
        var blocks = [[UInt8]](repeating: [], count: payloads.count)
        for index in stride(from: payloads.count - 1, through: 0, by: -1) {
            var block = payloads[index]
            if index + 1 < payloads.count {
                let next = blocks[index + 1]
                var trailer = [UInt8](repeating: 0, count: BlockTrailer.size)
                trailer.withUnsafeMutableBytes {
                    BlockTrailer.write(length: UInt16(next.count), digest: sha256(next), into: $0)
                }
                block += trailer
            }
            blocks[index] = block
        }
        let workspace = records.map { WindowLayout.decoderWorkspace($0.codec) }.max() ?? 0
        let total = StreamHeader.firstBlockOffset + blocks.reduce(0) { $0 + $1.count }
        let keyID = key.verifyingKey.keyID.withUnsafeBytes { Digest32(bytes: $0) }
        var header = StreamHeader(algorithm: key.algorithm.rawValue, bundleLength: UInt32(total),
                                  baseLength: UInt32(base.count), targetLength: UInt32(target.count),
                                  windowSize: 0, firstBlockLength: UInt16(blocks[0].count), stepBound: stepBound,
                                  factorBytes: UInt16(factorBytes),
                                  segmentBits: UInt8(options.segmentSize.trailingZeroBitCount),
                                  blockBits: UInt8(blockSize.trailingZeroBitCount), sequence: UInt32(options.sequence),
                                  keyID: keyID, baseSHA256: sha256(base), targetSHA256: sha256(target))
        header.windowSize = UInt32(StreamWindow.required(for: header, workspace: workspace))
        header.flags = features(records).reduce(oneWay ? StreamHeader.oneWayFlag : 0) { $0 | StreamHeader.flag($1) }
        var front = [UInt8](repeating: 0, count: StreamHeader.size)
        front.withUnsafeMutableBytes { header.write(into: $0) }
        let message = signedMessage(front: front, firstBlock: blocks[0])
        let signature = try key.sign(message)
        return front + signature + blocks.flatMap { $0 }
    }

    /// The optional loader features the records use (the front's flags).
    static func features(_ records: [Record]) -> Set<LoaderFeature> {
        var used = Set<LoaderFeature>()
        for record in records {
            if case .deflate = record.codec { used.insert(.deflate) }
            if record.kind == .layout || record.kind == .undo { used.insert(.layout) }
            guard record.kind.isOpStream else { continue }
            let decoded = (try? ParsedBundle.decode(record.stored, entry: SectionEntry(
                kind: record.kind, codec: record.codec, offset: 0, storedLength: UInt32(record.stored.count),
                decodedLength: UInt32(record.decodedLength), digest: .zero))) ?? []
            decoded.withUnsafeBytes { raw in
                var reader = OpReader(input: BufferInput(raw), kind: record.kind)
                while let op = try? reader.next() {
                    if let feature = op.opcode.descriptor.feature { used.insert(feature) }
                    if (try? reader.skipData(of: op)) == nil { break }
                }
            }
        }
        return used
    }

    /// Replaces a bundle's signature with one made by `key` (`adapterpack sign`):
    /// the front takes the new key's id and algorithm, the blocks stay as they
    /// are. Refuses (`BundleNotVerified`) a bundle whose chain or records do not
    /// check, or, with `trusted`, whose current signature does not verify.
    public static func resign(_ bundle: [UInt8], key: SigningKey, trusted: TrustedKeys? = nil,
                              path: String = "bundle") throws -> [UInt8] {
        let (parsed, check) = BundleVerification.check(bundle, keys: trusted)
        guard let parsed, !check.hasProblems else { throw BundleNotVerified(path: path, problems: check.problems) }
        var header = parsed.header
        header.algorithm = key.algorithm.rawValue
        header.keyID = key.verifyingKey.keyID.withUnsafeBytes { Digest32(bytes: $0) }.keyIDPrefix
        var front = [UInt8](repeating: 0, count: StreamHeader.size)
        front.withUnsafeMutableBytes { header.write(into: $0) }
        let first = parsed.blocks[0]
        let block0 = Array(bundle[first.offset ..< first.offset + first.length])
        let signature = try key.sign(signedMessage(front: front, firstBlock: block0))
        return front + signature + Array(bundle[StreamHeader.firstBlockOffset...])
    }

    /// The 64 bytes a signature covers: the domain, then SHA-256(front ‖ block 0).
    public static func signedMessage(front: [UInt8], firstBlock: [UInt8]) -> [UInt8] {
        var message = [UInt8](repeating: 0, count: StreamSignature.messageSize)
        message.withUnsafeMutableBytes { StreamSignature.message(digest: sha256(front + firstBlock), into: $0) }
        return message
    }
}
