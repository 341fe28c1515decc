#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// The LoRA operations of payload chunks (Spec/FORMAT.md §4.3): they read a
/// factor block of the factors section by random access and change only
/// model bytes of their own chunk's segment. The arithmetic is
/// `LoRAExpansion`'s, shared with the host.
extension OpExecutor {
    /// Runs `loraWeights` or `loraBias` in any mode; `at` is the operation's
    /// decoded offset in its stream (for errors).
    mutating func runLoRA<S: BundleSource>(_ op: Operation, at: Int, mode: ExecutionMode, source: S,
                                           window: RAMWindow) throws(LoaderError) {
        let (factors, scratch) = try factorBlocks(at: at, window: window)
        let block = op.destination
        let header = try blockHeader(block, in: factors, at: at, source: source, scratch: scratch)
        let blockStart = Int(factors.offset) + Int(block)
        switch op.opcode {
        case .loraWeights:
            try expandWeights(op, header, at: at, blockStart: blockStart, mode: mode, source: source, scratch: scratch)
        case .loraScales:
            try rescaleScales(op, header, at: at, blockStart: blockStart, mode: mode, source: source, scratch: scratch)
        default:
            try rescaleBiases(op, header, at: at, blockStart: blockStart, mode: mode, source: source, scratch: scratch)
        }
    }

    /// The verified factors section and the window's factor buffer, or the
    /// refusal when either is missing.
    func factorBlocks(at: Int, window: RAMWindow) throws(LoaderError)
        -> (factors: SectionEntry, scratch: UnsafeMutableRawBufferPointer) {
        guard let factors else { throw Self.problem(.noFactorsSection, at: at) }
        let needed = WindowLayout.fixed + WindowLayout.factorBuffer
        guard window.memory.count >= needed else { throw .windowTooSmall(needed: needed, given: window.memory.count) }
        return (factors, window.factorBuffer)
    }

    /// Reads and checks the header of the block at section offset `block`; the
    /// whole block must lie inside the section.
    func blockHeader<S: BundleSource>(_ block: UInt32, in factors: SectionEntry, at: Int, source: S,
                                      scratch: UnsafeMutableRawBufferPointer) throws(LoaderError) -> LoRABlockHeader {
        guard UInt64(block) + UInt64(LoRABlockHeader.size) <= UInt64(factors.storedLength) else {
            throw Self.problem(.badBlock(block: block), at: at)
        }
        let bytes = UnsafeMutableRawBufferPointer(rebasing: scratch[0 ..< LoRABlockHeader.size])
        try readFully(source, at: Int(factors.offset) + Int(block), into: bytes)
        let header: LoRABlockHeader
        do { header = try LoRABlockHeader(parsing: UnsafeRawBufferPointer(bytes), block: block) }
        catch { throw .format(error) }
        guard UInt64(block) + UInt64(header.blockSize) <= UInt64(factors.storedLength),
              header.rowRecordSize + Int(header.rank) <= scratch.count else {
            throw Self.problem(.badBlock(block: block), at: at)
        }
        return header
    }

    /// Refuses an operation whose bytes are not all inside the block's
    /// weight tensor (LoRA and low-rank operations alike).
    func checkInsideWeights(_ op: Operation, _ header: LoRABlockHeader, at: Int) throws(LoaderError) {
        let start = UInt64(op.offset), end = start + UInt64(op.length)
        guard start >= UInt64(header.weights), end <= UInt64(header.weights) + header.weightBytes else {
            throw Self.problem(.outsideTensor(offset: op.offset, length: op.length), at: at)
        }
    }

    /// Reads row `row`'s record (B values then parameters) into `record`.
    func rowRecord<S: BundleSource>(_ row: Int, _ header: LoRABlockHeader, blockStart: Int, source: S,
                                            record: UnsafeMutableRawBufferPointer) throws(LoaderError) -> LoRARow {
        try readFully(source, at: blockStart + header.rowsOffset + row * header.rowRecordSize, into: record)
        do { return try LoRARow(parsing: UnsafeRawBufferPointer(record), at: Int(header.rank), row: row, header: header) }
        catch { throw .format(error) }
    }

    /// `loraWeights`: for each weight byte of the range, Δ from its row's B
    /// values and its column of Aᵀ; shifted rows add Δ (inverse: subtract),
    /// rescaled rows re-express w + Δ (inverse: left to the undo section).
    private mutating func expandWeights<S: BundleSource>(_ op: Operation, _ header: LoRABlockHeader, at: Int, blockStart: Int,
                                                         mode: ExecutionMode, source: S,
                                                         scratch: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        try checkInsideWeights(op, header, at: at)
        let first = Int(header.weights)
        let rank = Int(header.rank), columns = Int(header.columns)
        let recordSize = header.rowRecordSize
        let record = UnsafeMutableRawBufferPointer(rebasing: scratch[0 ..< recordSize])
        let perRead = min(buffer.count, (scratch.count - recordSize) / rank)
        var position = Int(op.offset)
        let stop = position + Int(op.length)
        while position < stop {
            let relative = position - first
            let row = relative / columns
            var column = relative % columns
            let rowStop = min(stop, first + (row + 1) * columns)
            let parameters = try rowRecord(row, header, blockStart: blockStart, source: source, record: record)
            if mode == .validate || (mode == .inverse && parameters.rescaled) {
                position = rowStop
                continue
            }
            while position < rowStop {
                let n = min(rowStop - position, perRead)
                let weights = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< n])
                let columnsRead = UnsafeMutableRawBufferPointer(rebasing: scratch[recordSize ..< recordSize + n * rank])
                try store.read(at: position, into: weights)
                try readFully(source, at: blockStart + header.aOffset + column * rank, into: columnsRead)
                let b = UnsafeRawBufferPointer(record), a = UnsafeRawBufferPointer(columnsRead)
                var j = 0
                while j < n {
                    let acc = LoRAExpansion.dot(b, 0, a, j * rank, rank: rank)
                    weights[j] = mode == .inverse ? LoRAExpansion.inverse(weights[j], LoRAExpansion.delta(acc, parameters))
                                                  : LoRAExpansion.forward(weights[j], acc: acc, parameters)
                    j += 1
                }
                try store.write(at: position, from: UnsafeRawBufferPointer(weights))
                position += n
                column += n
            }
        }
    }

    /// `loraBias`: the int32 biases of rescaled rows are multiplied by the
    /// row's ratio (forward only; undo restores them).
    private mutating func rescaleBiases<S: BundleSource>(_ op: Operation, _ header: LoRABlockHeader, at: Int, blockStart: Int,
                                                         mode: ExecutionMode, source: S,
                                                         scratch: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        let start = UInt64(op.offset), first = UInt64(header.bias)
        guard header.bias != LoRABlockHeader.noBias, start >= first, (start - first) % 4 == 0,
              (start - first) / 4 + UInt64(op.length) <= UInt64(header.rows) else {
            throw Self.problem(.outsideTensor(offset: op.offset, length: op.length), at: at)
        }
        let record = UnsafeMutableRawBufferPointer(rebasing: scratch[0 ..< header.rowRecordSize])
        let value = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< 4])
        let firstRow = Int((start - first) / 4)
        var k = 0
        while k < Int(op.length) {
            let parameters = try rowRecord(firstRow + k, header, blockStart: blockStart, source: source, record: record)
            if mode == .forward && parameters.rescaled {
                let position = Int(start) + 4 * k
                try store.read(at: position, into: value)
                let old = Int32(bitPattern: UnsafeRawBufferPointer(value).le32Value(0))
                value.storeLE32(UInt32(bitPattern: LoRAExpansion.rescaleBias(old, parameters)), at: 0)
                try store.write(at: position, from: UnsafeRawBufferPointer(value))
            }
            k += 1
        }
    }

    /// `loraScales`: the float32 scales of rescaled rows are divided by the
    /// row's ratio (forward only: the bundle is one-way). Entry k is row k's
    /// scale; a single entry (per-tensor) takes row 0's ratio, which all rows share.
    private mutating func rescaleScales<S: BundleSource>(_ op: Operation, _ header: LoRABlockHeader, at: Int, blockStart: Int,
                                                         mode: ExecutionMode, source: S,
                                                         scratch: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        guard op.length == UInt32(header.rows) || op.length == 1 else {
            throw Self.problem(.outsideTensor(offset: op.offset, length: op.length), at: at, section: .scales)
        }
        let record = UnsafeMutableRawBufferPointer(rebasing: scratch[0 ..< header.rowRecordSize])
        let value = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< 4])
        var k = 0
        while k < Int(op.length) {
            let parameters = try rowRecord(k, header, blockStart: blockStart, source: source, record: record)
            // A fresh apply's validation reads the scale too, so a bad one is refused before
            // the block writes anything (`verify` has no model; a resume's unit may be half written).
            let position = Int(op.offset) + 4 * k
            let check = mode == .validate && steps.resumeFrom == 0 && !steps.redoFirst && position + 4 <= store.length
            if parameters.rescaled && (mode == .forward || check) {
                try store.read(at: position, into: value)
                guard let scaled = LoRAExpansion.rescaleScale(UnsafeRawBufferPointer(value).le32Value(0), parameters) else {
                    throw Self.problem(.badScale(offset: UInt32(position)), at: at, section: .scales)
                }
                if mode == .forward {
                    value.storeLE32(scaled, at: 0)
                    try store.write(at: position, from: UnsafeRawBufferPointer(value))
                }
            }
            k += 1
        }
    }

    /// A LoRA or low-rank refusal, at the operation's decoded offset in its payload chunk.
    static func problem(_ problem: LoRAProblem, at: Int, section: SectionKind = .payload) -> LoaderError {
        .format(.malformedRecord(section: section.rawValue, offset: at, .lora(problem)))
    }
}
