#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// The device decoders one at a time, on arbitrary bytes: each either
/// refuses with a `FormatError` or ends, within bounded work, never reading
/// or writing outside its buffers (exact-size allocations for the sanitizer).
enum DecoderChecks {
    /// Raw deflate; the first byte picks the history window (8 … 15 bits).
    static func inflate(_ input: [UInt8]) throws(InvariantViolation) {
        guard let first = input.first else { return }
        let bits = 8 + Int(first % 8)
        let workspace = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Inflater<BufferInput>.workspaceSize(windowBits: bits), alignment: 8)
        defer { workspace.deallocate() }
        input.dropFirst().withUnsafeBytes { raw in
            var inflater = Inflater(input: BufferInput(raw), windowBits: bits, workspace: workspace)
            // A deflate stream expands at most about 1032:1; stop well past it.
            var produced = 0
            while produced <= raw.count * 1100 + 64, let _ = try? inflater.nextByte() { produced += 1 }
            _ = try? inflater.finish()
        }
    }

    /// A range-coded value block (FORMAT.md §5.4): mode and length from the first bytes.
    static func codedValues(_ input: [UInt8]) throws(InvariantViolation) {
        guard input.count >= 3, let mode = CodedDeltaMode(raw: UInt32(input[0] % 8)) else { return }
        let length = Int(input[1]) << 4 | Int(input[2] & 0x0F)
        let tables = UnsafeMutableRawBufferPointer.allocate(byteCount: CodedDelta.bytesPerLane * mode.lanes, alignment: 8)
        defer { tables.deallocate() }
        input.dropFirst(3).withUnsafeBytes { raw in
            guard var values = try? CodedDeltaDecoder(input: BufferInput(raw), length: length, mode: mode,
                                                      tables: tables, section: SectionKind.payload.rawValue) else { return }
            var k = 0
            while k < length, (try? values.next()) != nil { k += 1 }
            if k == length { _ = try? values.finish() }
        }
    }

    /// An op stream of each record kind that holds one (FORMAT.md §5): every
    /// header read, every data skipped; an opcode the kind does not allow
    /// must be refused.
    static func opStream(_ input: [UInt8]) throws(InvariantViolation) {
        let violation: String? = input.withUnsafeBytes { raw in
            for kind in SectionKind.allCases where kind.isOpStream {
                var reader = OpReader(input: BufferInput(raw), kind: kind)
                while let op = try? reader.next() {
                    guard op.opcode.isAllowed(in: kind) else { return "\(kind) reader accepted \(op.opcode)" }
                    guard (try? reader.skipData(of: op)) != nil else { break }
                }
            }
            return nil
        }
        if let violation { throw InvariantViolation(description: violation) }
    }

    /// The records of one block's payload (FORMAT.md §3, §4), as the loader
    /// walks them, and its trailer. Bytes 0–1: the model's segment count
    /// (u16); byte 2: bit 7 set = the block is not the last (its last 34
    /// bytes are the trailer), bits 0–6 where the payload is cut in two, so
    /// the record order is carried from one block into the next. Each record
    /// the reader returns must lie inside its payload right after its header,
    /// with a kind and codec the format allows, a segment inside the model,
    /// and in the format's order.
    static func blockRecords(_ input: [UInt8]) throws(InvariantViolation) {
        guard input.count >= 3 else { return }
        let segmentCount = UInt32(input[0]) | UInt32(input[1]) << 8
        let hasTrailer = input[2] & 0x80 != 0
        var block = Array(input.dropFirst(3))
        var payloadCount = block.count
        if hasTrailer, block.count >= BlockTrailer.size {
            payloadCount -= BlockTrailer.size
            let at = payloadCount
            let violation: String? = block.withUnsafeMutableBytes { raw in
                let trailer = BlockTrailer.parse(UnsafeRawBufferPointer(raw))
                guard trailer.length == UInt16(raw[at]) | UInt16(raw[at + 1]) << 8,
                      trailer.digest == Digest32(bytes: UnsafeRawBufferPointer(rebasing: raw[(at + 2)...])) else {
                    return "trailer read \(trailer) from other bytes"
                }
                let copy = [UInt8](raw)
                BlockTrailer.write(length: trailer.length, digest: trailer.digest, into: raw)
                return copy.elementsEqual(raw) ? nil : "trailer written back changed the block"
            }
            if let violation { throw InvariantViolation(description: violation) }
        }
        let cut = payloadCount * Int(input[2] & 0x7F) / 127
        var order = BlockRecordReader.Order()
        for (index, part) in [0 ..< cut, cut ..< payloadCount].enumerated() {
            let walked = block[part].withUnsafeBytes { payload in
                walk(payload, block: index, segmentCount: segmentCount, order: &order)
            }
            switch walked {
            case .ended: continue
            case .refused: return
            case .violation(let text): throw InvariantViolation(description: text)
            }
        }
    }

    enum Walk { case ended, refused, violation(String) }

    /// One block's records, checked one by one; `order` is carried on.
    static func walk(_ payload: UnsafeRawBufferPointer, block index: Int, segmentCount: UInt32,
                     order: inout BlockRecordReader.Order) -> Walk {
        var reader = BlockRecordReader(payload: payload, block: index, segmentCount: segmentCount)
        var end = 0
        while true {
            let previous = order
            let record: BlockRecord
            do {
                guard let next = try reader.next(order: &order) else {
                    return end == payload.count ? .ended : .violation("records ended at \(end) of \(payload.count)")
                }
                record = next
            } catch {
                guard case .malformedBlock(let named, _, _) = error, named == index else {
                    return .violation("record error \(error) names another block")
                }
                return .refused
            }
            let kind = record.kind
            let rank = BlockRecord.rank(kind)
            let stored = record.codec == .stored
            if case .deflate(let bits) = record.codec, !(8 ... 15).contains(bits) {
                return .violation("record codec \(record.codec)")
            }
            // Deflate only on op streams, range-coded values only on factors (FORMAT.md §4).
            let codecFits = stored || (record.codec == .values ? kind == .factors : kind.isOpStream)
            guard kind != .signature, codecFits, !stored || record.decodedLength == record.storedLength,
                  record.headerLength >= 2, record.start == end + record.headerLength,
                  record.start + Int(record.storedLength) <= payload.count,
                  payload[end] == record.tag,
                  !kind.isSegmented || record.segment < segmentCount,
                  rank > previous.rank || (rank == previous.rank && (!kind.isSegmented || record.segment >= previous.segment)),
                  order.rank == rank else {
                return .violation("reader accepted an invalid record \(record) after \(previous)")
            }
            end = record.start + Int(record.storedLength)
        }
    }
}
