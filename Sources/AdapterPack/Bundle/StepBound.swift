import AdapterFormat

/// The front's step bound (Spec/LOADER.md §1): the power-fail steps an apply
/// or an unapply takes with one step per segment, counted from the plan's
/// streams as the loader numbers them (one step per content segment, one per
/// destination segment of each move, one per segment of each undo `write`).
enum StepBound {
    static func count(_ plan: BundlePlan, segmentSize: Int) -> UInt32 {
        let content = Set(plan.scales.segments.keys).union(plan.payload.segments.keys).count
        let apply = content + steps(plan.layout.bytes, kind: .layout, segmentSize: segmentSize)
        let unapply = content + steps(plan.undo.bytes, kind: .undo, segmentSize: segmentSize)
        return UInt32(clamping: max(apply, unapply))
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
