#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// How an op stream is run.
enum ExecutionMode {
    /// Decode everything and check bounds; touch nothing.
    case validate
    /// Run the operations as written.
    case forward
    /// Run content operations inverted (xor again, subtract; `write` is skipped).
    case inverse
}

/// Runs op streams against a model store through the window's buffers.
struct OpExecutor<Store: ModelStore> {
    /// The caller's store, reached through its `inout` access for the
    /// executor's whole (shorter) life: patched in place, never copied (a
    /// flash store is over 100 bytes, and copies in and out cost code and stack).
    private let storePointer: UnsafeMutablePointer<Store>
    var store: Store {
        unsafeAddress { UnsafePointer(storePointer) }
        nonmutating unsafeMutableAddress { storePointer }
    }
    let buffer: UnsafeMutableRawBufferPointer
    /// Highest model offset any operation may reach: max(base, target) length.
    let limit: UInt32
    /// The verified table's factors section, which LoRA and low-rank
    /// operations read factor blocks from (nil: the bundle has none).
    let factors: SectionEntry?

    /// Model byte range the current stream's operations must stay inside.
    private var bounds: (lower: UInt64, upper: UInt64, segment: UInt32?) = (0, 0, nil)

    /// Power-fail steps: numbering, where a resumed operation starts, unit size.
    var steps: StepCursor
    /// Recorded with every step a streamed operation starts (format 1: none).
    var resumePoint = ResumePoint.none

    init(store: UnsafeMutablePointer<Store>, buffer: UnsafeMutableRawBufferPointer, limit: UInt32,
         factors: SectionEntry?, steps: StepCursor) {
        storePointer = store
        self.buffer = buffer
        self.limit = limit
        self.factors = factors
        self.steps = steps
    }

    /// Opens the next step on `unit`; false when the step is only counted
    /// (validation) or was finished before a power cut (resume).
    mutating func startStep(unit: Int, mode: ExecutionMode) throws(LoaderError) -> Bool {
        let index = steps.next
        steps.next += 1
        guard mode != .validate, index >= steps.resumeFrom else { return false }
        try store.beginStep(index, unit: unit, redo: steps.redoFirst && index == steps.resumeFrom, resume: resumePoint)
        return true
    }

    /// Decodes one plain op-stream section (layout, undo) and runs it.
    mutating func run<S: BundleSource>(_ entry: SectionEntry?, source: S, window: RAMWindow,
                                       mode: ExecutionMode) throws(LoaderError) {
        guard let entry else { return }
        bounds = (0, UInt64(limit), nil)
        try runStored(entry, source: source, window: window, mode: mode)
    }

    /// Decodes one chunk of a content section; its operations must lie in its segment.
    mutating func run<S: BundleSource>(_ chunk: ContentChunk, kind: SectionKind, codec: SectionCodec, segmentSize: UInt32,
                                       source: S, window: RAMWindow, mode: ExecutionMode) throws(LoaderError) {
        let lower = UInt64(chunk.segment) * UInt64(segmentSize)
        bounds = (lower, min(lower + UInt64(segmentSize), UInt64(limit)), chunk.segment)
        try runStored(chunk.asEntry(kind: kind, codec: codec), source: source, window: window, mode: mode)
    }

    private mutating func runStored<S: BundleSource>(_ entry: SectionEntry, source: S, window: RAMWindow,
                                                     mode: ExecutionMode) throws(LoaderError) {
        let input = SectionStream(source: source, entry: entry, buffer: window.sourceBuffer, workspace: window.workspace)
        var ops = OpReader(input: input, kind: entry.kind)
        try runStream(&ops, mode: mode, source: source, window: window)
        do { try ops.input.finish() } catch { throw .format(error) }
        try checkLength(ops.consumed, entry)
    }

    private func checkLength(_ consumed: Int, _ entry: SectionEntry) throws(LoaderError) {
        guard consumed == Int(entry.decodedLength) else {
            throw .format(.malformedRecord(section: entry.kind.rawValue, offset: consumed,
                                           .decodedLength(expected: entry.decodedLength, actual: UInt32(clamping: consumed))))
        }
    }

    private mutating func runStream<I: ByteInput, S: BundleSource>(_ ops: inout OpReader<I>, mode: ExecutionMode,
                                                                   source: S, window: RAMWindow) throws(LoaderError) {
        while true {
            let at = ops.consumed
            guard let op = try ops.nextOp() else { return }
            try check(op, ops: ops)
            // A loader built without an operation's feature refuses it (in the
            // validation pass, before any write); its runner is compiled out.
            if let feature = op.opcode.descriptor.feature, !LoaderFeature.isBuiltIn(feature) {
                throw .notBuiltIn(feature)
            }
            switch op.opcode {
            case .write where bounds.segment == nil:
                // Only undo streams write outside a segment (refused in verifyBundle without layout support).
                #if ADAPTERPACK_NO_LAYOUT
                throw .notBuiltIn(.layout)
                #else
                try runSteppedWrite(op, ops: &ops, mode: mode)
                #endif
            case .move:
                #if !ADAPTERPACK_NO_LAYOUT
                try runSteppedMove(op, mode: mode)
                #endif
            case .setLength:
                // Runs even in skipped steps of a resume: it only sets the logical length.
                #if !ADAPTERPACK_NO_LAYOUT
                if mode != .validate { try store.setLength(Int(op.length)) }
                #endif
            case .xor, .add8, .write:
                try runBytes(op, ops: &ops, mode: mode)
            case .add32:
                try runWords(op, ops: &ops, mode: mode)
            case .loraWeights, .loraBias, .loraScales:
                #if !ADAPTERPACK_NO_LORA
                try runLoRA(op, at: at, mode: mode, source: source, window: window)
                #endif
            case .coded:
                try runCoded(op, ops: &ops, mode: mode)
            case .lowRankResidual:
                #if !ADAPTERPACK_NO_LOW_RANK
                try runLowRank(op, at: at, ops: &ops, mode: mode, source: source, window: window)
                #endif
            }
        }
    }

    private func check<I>(_ op: Operation, ops: OpReader<I>) throws(LoaderError) {
        let (start, count) = op.writtenRange
        let start2 = op.opcode == .move ? UInt64(op.offset) : start
        if start + count > UInt64(limit) || start2 + count > UInt64(limit)
            || (op.opcode == .setLength && op.length == 0) {
            throw .format(.malformedRecord(section: ops.kind.rawValue, offset: ops.consumed,
                                           .outOfModel(offset: UInt32(clamping: start), length: UInt32(clamping: count), limit: limit)))
        }
        if let segment = bounds.segment, start < bounds.lower || start + count > bounds.upper {
            throw .format(.malformedRecord(section: ops.kind.rawValue, offset: ops.consumed,
                                           .outsideSegment(segment: segment, offset: UInt32(clamping: start), length: UInt32(clamping: count))))
        }
    }

    /// An undo `write`, one step per unit it touches, in ascending order.
    private mutating func runSteppedWrite<I: ByteInput>(_ op: Operation, ops: inout OpReader<I>,
                                                        mode: ExecutionMode) throws(LoaderError) {
        var start = Int(op.offset)
        let end = start + Int(op.length)
        while start < end {
            let unit = start / steps.unitSize
            let pieceEnd = min(end, (unit + 1) * steps.unitSize)
            let piece = Operation(opcode: .write, offset: UInt32(start), length: UInt32(pieceEnd - start))
            if try startStep(unit: unit, mode: mode) {
                try runBytes(piece, ops: &ops, mode: .forward)
                try store.commitStep()
            } else {
                try runBytes(piece, ops: &ops, mode: .validate)
            }
            start = pieceEnd
        }
    }

    /// A `move`, one step per destination unit, front to back for a move
    /// to lower offsets and back to front otherwise, so no step reads bytes
    /// an earlier step of the same move overwrote.
    private mutating func runSteppedMove(_ op: Operation, mode: ExecutionMode) throws(LoaderError) {
        let source = Int(op.offset), destination = Int(op.destination), length = Int(op.length)
        guard length > 0, source != destination else { return }
        let unitSize = steps.unitSize
        let firstUnit = destination / unitSize, lastUnit = (destination + length - 1) / unitSize
        var k = 0
        while k <= lastUnit - firstUnit {
            let unit = destination < source ? firstUnit + k : lastUnit - k
            let a = max(destination, unit * unitSize), b = min(destination + length, (unit + 1) * unitSize)
            if try startStep(unit: unit, mode: mode) {
                try move(Operation(opcode: .move, offset: UInt32(source + a - destination),
                                   destination: UInt32(a), length: UInt32(b - a)))
                try store.commitStep()
            }
            k += 1
        }
    }

    private mutating func runBytes<I: ByteInput>(_ op: Operation, ops: inout OpReader<I>,
                                                 mode: ExecutionMode) throws(LoaderError) {
        var position = Int(op.offset)
        var remaining = Int(op.length)
        let skip = mode == .validate || (mode == .inverse && op.opcode == .write)
        while remaining > 0 {
            let n = min(remaining, buffer.count)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< n])
            if !skip && op.opcode != .write { try store.read(at: position, into: chunk) }
            // One decoding loop for every mode (one inlined copy of the byte reader).
            for i in 0 ..< n {
                let d = try ops.dataByte()
                if skip { continue }
                switch op.opcode {
                case .xor: chunk[i] ^= d
                case .add8: chunk[i] = mode == .inverse ? chunk[i] &- d : chunk[i] &+ d
                default: chunk[i] = d
                }
            }
            if !skip { try store.write(at: position, from: UnsafeRawBufferPointer(chunk)) }
            position += n
            remaining -= n
        }
    }

    private mutating func runWords<I: ByteInput>(_ op: Operation, ops: inout OpReader<I>,
                                                 mode: ExecutionMode) throws(LoaderError) {
        var position = Int(op.offset)
        var remaining = Int(op.length)
        let perChunk = buffer.count / 4
        while remaining > 0 {
            let k = min(remaining, perChunk)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< k * 4])
            if mode != .validate { try store.read(at: position, into: chunk) }
            for i in 0 ..< k {
                let d = try ops.dataZigzag()
                if mode == .validate { continue }
                let old = UnsafeRawBufferPointer(chunk).le32Value(i * 4)
                chunk.storeLE32(mode == .inverse ? old &- d : old &+ d, at: i * 4)
            }
            if mode != .validate { try store.write(at: position, from: UnsafeRawBufferPointer(chunk)) }
            position += k * 4
            remaining -= k
        }
    }

    /// memmove inside the store, chunk by chunk, in the direction that never
    /// reads a byte it has already overwritten.
    private mutating func move(_ op: Operation) throws(LoaderError) {
        let source = Int(op.offset), destination = Int(op.destination), length = Int(op.length)
        guard source != destination, length > 0 else { return }
        var done = 0
        while done < length {
            let n = min(buffer.count, length - done)
            let at = destination < source ? done : length - done - n
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< n])
            try store.read(at: source + at, into: chunk)
            try store.write(at: destination + at, from: UnsafeRawBufferPointer(chunk))
            done += n
        }
    }
}

/// Numbers the power-fail steps of one operation (Spec/LOADER.md).
struct StepCursor {
    /// Bytes per unit: the store's step unit, or the segment size for RAM.
    var unitSize: Int
    /// Index the next step gets.
    var next: UInt32 = 0
    /// Steps below this index finished before a power cut and are skipped.
    var resumeFrom: UInt32 = 0
    /// Whether step `resumeFrom` must be rebuilt from the journal's backup.
    var redoFirst = false

    init(unitSize: Int, resumeFrom: UInt32 = 0, redoFirst: Bool = false) {
        self.unitSize = unitSize
        self.resumeFrom = resumeFrom
        self.redoFirst = redoFirst
    }
}

extension OpReader {
    /// `next()` with format errors lifted into loader errors.
    mutating func nextOp() throws(LoaderError) -> Operation? {
        do { return try next() } catch { throw .format(error) }
    }
    // Not inlined: the byte runners and the stepped write share one copy.
    @inline(never)
    mutating func dataByte() throws(LoaderError) -> UInt8 {
        do { return try byte() } catch { throw .format(error) }
    }
    mutating func dataZigzag() throws(LoaderError) -> UInt32 {
        do { return try zigzag() } catch { throw .format(error) }
    }
}

extension UnsafeRawBufferPointer {
    func le32Value(_ o: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
}

extension UnsafeMutableRawBufferPointer {
    func storeLE32(_ v: UInt32, at o: Int) { storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt32.self) }
}
