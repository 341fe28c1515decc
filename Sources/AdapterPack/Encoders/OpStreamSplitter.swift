import AdapterFormat

/// Cuts a decoded op stream into pieces of at most `capacity` bytes, each a
/// complete op stream, so that every piece fits one record of a format-2
/// block (Spec/FORMAT.md §4). Pieces keep the operations' order; an
/// `xor`, `add8`, `write` or `add32` too large for one piece becomes several
/// operations over consecutive ranges. Other operations must fit whole.
public enum OpStreamSplitter {
    public static func split(_ stream: [UInt8], kind: SectionKind, capacity: Int) throws(BundleBuildError) -> [[UInt8]] {
        // A stream that fits goes whole, unread (so hand-made streams pass as they are).
        if stream.count <= capacity { return [stream] }
        var pieces: [[UInt8]] = []
        var current: [UInt8] = []
        func emit(_ op: [UInt8]) {
            if !current.isEmpty && current.count + op.count > capacity {
                pieces.append(current)
                current = []
            }
            current += op
        }
        do throws(FormatError) {
            try stream.withBytes { (raw: UnsafeRawBufferPointer) throws(FormatError) in
                var reader = OpReader(input: BufferInput(raw), kind: kind)
                while true {
                    let start = reader.consumed
                    guard let op = try reader.next() else { break }
                    try reader.skipData(of: op)
                    let encoded = Array(stream[start ..< reader.consumed])
                    if encoded.count <= capacity {
                        emit(encoded)
                        continue
                    }
                    let parts = try cut(op, encoded: encoded, kind: kind, capacity: capacity)
                    guard !parts.isEmpty else { throw .malformedRecord(section: kind.rawValue, offset: start, .badValue(UInt32(encoded.count))) }
                    for part in parts { emit(part) }
                }
            }
        } catch {
            if case .malformedRecord(_, let offset, .badValue(let size)) = error {
                throw .recordTooLarge(offset: offset, bytes: Int(size), capacity: capacity)
            }
            throw .selfCheck("the planner wrote an op stream its own reader refuses: \(error)")
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// An operation too large for one piece, as several smaller ones.
    private static func cut(_ op: Operation, encoded: [UInt8], kind: SectionKind,
                            capacity: Int) throws(FormatError) -> [[UInt8]] {
        // Re-read the data that follows the header.
        var reader = OpReader(input: ArrayInput(encoded), kind: kind)
        guard let again = try reader.next() else { return [encoded] }
        let room = max(1, capacity - 16)
        var parts: [[UInt8]] = []
        switch again.opcode {
        case .xor, .add8, .write:
            var data: [UInt8] = []
            for _ in 0 ..< Int(again.length) { data.append(try reader.byte()) }
            var start = 0
            while start < data.count {
                let end = min(data.count, start + room)
                var writer = OpStreamWriter()
                writer.bytesOp(again.opcode, offset: Int(again.offset) + start, data: data[start ..< end])
                parts.append(writer.bytes)
                start = end
            }
        case .add32:
            var deltas: [UInt32] = []
            for _ in 0 ..< Int(again.length) { deltas.append(try reader.zigzag()) }
            let perPart = max(1, room / 5)
            var start = 0
            while start < deltas.count {
                let end = min(deltas.count, start + perPart)
                var writer = OpStreamWriter()
                writer.add32(offset: Int(again.offset) + 4 * start, deltas: Array(deltas[start ..< end]))
                parts.append(writer.bytes)
                start = end
            }
        case .coded:
            let mode = try reader.varint()
            guard let codedMode = CodedDeltaMode(raw: mode) else { return [] }
            let values = try decodeValues(&reader, count: Int(again.length), mode: codedMode, kind: kind)
            // Worst case two coded bytes a value; cut at lane boundaries.
            let perPart = max(codedMode.lanes, (room / 2) / 4 * 4)
            var start = 0
            while start < values.count {
                let end = min(values.count, start + perPart)
                var writer = OpStreamWriter()
                writer.coded(offset: Int(again.offset) + start, values: values[start ..< end], mode: codedMode)
                parts.append(writer.bytes)
                start = end
            }
        case .lowRankResidual:
            let single = CodedDeltaMode(xor: false, laneBits: 0)
            let forward = try decodeValues(&reader, count: Int(again.length), mode: single, kind: kind)
            let inverse = try decodeValues(&reader, count: Int(again.length), mode: single, kind: kind)
            let perPart = max(1, room / 4)
            var start = 0
            while start < forward.count {
                let end = min(forward.count, start + perPart)
                var writer = OpStreamWriter()
                writer.lowRankResidual(offset: Int(again.offset) + start, length: end - start, block: Int(again.destination),
                                       forward: CodedDeltaEncoder.encode(forward[start ..< end], mode: single),
                                       inverse: CodedDeltaEncoder.encode(inverse[start ..< end], mode: single))
                parts.append(writer.bytes)
                start = end
            }
        default:
            return []  // not divisible here: the caller reports it
        }
        return parts
    }

    /// Reads one varint-counted coded block and decodes `count` values from it.
    private static func decodeValues<I: ByteInput>(_ reader: inout OpReader<I>, count: Int, mode: CodedDeltaMode,
                                                   kind: SectionKind) throws(FormatError) -> [UInt8] {
        let n = Int(try reader.varint())
        var coded: [UInt8] = []
        for _ in 0 ..< n { coded.append(try reader.byte()) }
        var tables = [UInt8](repeating: 0, count: CodedDelta.maxTableBytes)
        var values: [UInt8] = []
        try coded.withBytes { (raw: UnsafeRawBufferPointer) throws(FormatError) in
            try tables.withMutableBytes { (t: UnsafeMutableRawBufferPointer) throws(FormatError) in
                var decoder = try CodedDeltaDecoder(input: BufferInput(raw), length: n, mode: mode, tables: t,
                                                    section: kind.rawValue)
                for _ in 0 ..< count { values.append(try decoder.next()) }
                try decoder.finish()
            }
        }
        return values
    }
}

/// A `ByteInput` over an array (host only).
struct ArrayInput: ByteInput {
    let bytes: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    mutating func nextByte() throws(FormatError) -> UInt8? {
        guard position < bytes.count else { return nil }
        position += 1
        return bytes[position - 1]
    }
}
