import AdapterFormat

/// The front's step bound (Spec/LOADER.md §1): the power-fail steps an apply
/// or an unapply takes with one step per segment, counted from the records
/// as the loader numbers them (one step per content segment, one per
/// destination segment of each move, one per segment of each undo `write`).
enum StepBound {
    /// Counted over the records as written: a `write` or `move` cut into
    /// pieces counts the units of each piece, as the loader steps them.
    static func count(_ records: [BundleWriter.Record], segmentSize: Int) -> UInt32 {
        var content = Set<Int>()
        var layout = 0, undo = 0
        for record in records {
            if record.kind.isSegmented { content.insert(record.segment); continue }
            guard record.kind == .layout || record.kind == .undo else { continue }
            let decoded = (try? ParsedBundle.decode(record.stored, entry: SectionEntry(
                kind: record.kind, codec: record.codec, offset: 0, storedLength: UInt32(record.stored.count),
                decodedLength: UInt32(record.decodedLength), digest: .zero))) ?? []
            let n = steps(decoded, kind: record.kind, segmentSize: segmentSize)
            if record.kind == .layout { layout += n } else { undo += n }
        }
        return UInt32(clamping: content.count + max(layout, undo))
    }

    /// Steps of a layout or undo stream: units touched by each move's
    /// destination and each write.
    static func steps(_ stream: [UInt8], kind: SectionKind, segmentSize: Int) -> Int {
        var total = 0
        stream.withUnsafeBytes { raw in
            var reader = OpReader(input: BufferInput(raw), kind: kind)
            while let op = try? reader.next() {
                let (start, count) = op.writtenRange
                if (op.opcode == .move || op.opcode == .write) && count > 0 {
                    let size = UInt64(segmentSize)
                    total += Int((start + count - 1) / size - start / size + 1)
                }
                if (try? reader.skipData(of: op)) == nil { break }
            }
        }
        return total
    }
}
