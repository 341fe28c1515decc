#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// The LoRA operations of payload chunks (Spec/FORMAT.md §4.3): they read a
/// factor block of the factors section by random access and change only
/// model bytes of their own chunk's segment. The arithmetic is
/// `LoRAExpansion`'s, shared with the host.
extension OpExecutor {
    /// Runs `loraWeights` or `loraBias` in any mode.
    mutating func runLoRA<S: BundleSource>(_ op: Operation, mode: ExecutionMode, source: S,
                                           window: RAMWindow) throws(LoaderError) {
        let factors = try factorsSection(source)
        let needed = WindowLayout.fixed + WindowLayout.factorBuffer
        guard window.memory.count >= needed else { throw .windowTooSmall(needed: needed, given: window.memory.count) }
        let scratch = window.factorBuffer
        let block = op.destination
        let header = try blockHeader(block, in: factors, source: source, scratch: scratch)
        let blockStart = Int(factors.offset) + Int(block)
        if op.opcode == .loraWeights {
            try expandWeights(op, header, blockStart: blockStart, mode: mode, source: source, scratch: scratch)
        } else {
            try rescaleBiases(op, header, blockStart: blockStart, mode: mode, source: source, scratch: scratch)
        }
    }

    /// The factors section's table entry, read again from the (already
    /// verified) section table through the model buffer.
    func factorsSection<S: BundleSource>(_ source: S) throws(LoaderError) -> SectionEntry {
        let entryBytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< SectionEntry.size])
        let countBytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< 2])
        try readFully(source, at: 10, into: countBytes)
        let count = Int(countBytes[0]) | Int(countBytes[1]) << 8
        var index = 0
        while index < count {
            try readFully(source, at: BundleHeader.size + index * SectionEntry.size, into: entryBytes)
            let entry: SectionEntry
            do { entry = try SectionEntry(parsing: UnsafeRawBufferPointer(entryBytes), index: index) }
            catch { throw .format(error) }
            if entry.kind == .factors { return entry }
            index += 1
        }
        throw Self.problem(.noFactorsSection)
    }

    /// Reads and checks the header of the block at section offset `block`; the
    /// whole block must lie inside the section.
    func blockHeader<S: BundleSource>(_ block: UInt32, in factors: SectionEntry, source: S,
                                              scratch: UnsafeMutableRawBufferPointer) throws(LoaderError) -> LoRABlockHeader {
        guard UInt64(block) + UInt64(LoRABlockHeader.size) <= UInt64(factors.storedLength) else {
            throw Self.problem(.badBlock(block: block))
        }
        let bytes = UnsafeMutableRawBufferPointer(rebasing: scratch[0 ..< LoRABlockHeader.size])
        try readFully(source, at: Int(factors.offset) + Int(block), into: bytes)
        let header: LoRABlockHeader
        do { header = try LoRABlockHeader(parsing: UnsafeRawBufferPointer(bytes), block: block) }
        catch { throw .format(error) }
        guard UInt64(block) + UInt64(header.blockSize) <= UInt64(factors.storedLength),
              header.rowRecordSize + Int(header.rank) <= scratch.count else {
            throw Self.problem(.badBlock(block: block))
        }
        return header
    }

    /// Refuses an operation whose bytes are not all inside the block's
    /// weight tensor (LoRA and low-rank operations alike).
    func checkInsideWeights(_ op: Operation, _ header: LoRABlockHeader) throws(LoaderError) {
        let start = UInt64(op.offset), end = start + UInt64(op.length)
        guard start >= UInt64(header.weights), end <= UInt64(header.weights) + header.weightBytes else {
            throw Self.problem(.outsideTensor(offset: op.offset, length: op.length))
        }
    }

    /// Reads row `row`'s record (B values then parameters) into `record`.
    func rowRecord<S: BundleSource>(_ row: Int, _ header: LoRABlockHeader, blockStart: Int, source: S,
                                            record: UnsafeMutableRawBufferPointer) throws(LoaderError) -> LoRARow {
        try readFully(source, at: blockStart + header.rowsOffset + row * header.rowRecordSize, into: record)
        do { return try LoRARow(parsing: UnsafeRawBufferPointer(record), at: Int(header.rank), row: row) }
        catch { throw .format(error) }
    }

    /// `loraWeights`: for each weight byte of the range, Δ from its row's B
    /// values and its column of Aᵀ; shifted rows add Δ (inverse: subtract),
    /// rescaled rows re-express w + Δ (inverse: left to the undo section).
    private mutating func expandWeights<S: BundleSource>(_ op: Operation, _ header: LoRABlockHeader, blockStart: Int,
                                                         mode: ExecutionMode, source: S,
                                                         scratch: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        try checkInsideWeights(op, header)
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
                    let delta = LoRAExpansion.delta(LoRAExpansion.dot(b, 0, a, j * rank, rank: rank), parameters)
                    weights[j] = mode == .inverse ? LoRAExpansion.inverse(weights[j], delta)
                                                  : LoRAExpansion.forward(weights[j], delta, parameters)
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
    private mutating func rescaleBiases<S: BundleSource>(_ op: Operation, _ header: LoRABlockHeader, blockStart: Int,
                                                         mode: ExecutionMode, source: S,
                                                         scratch: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        let start = UInt64(op.offset), first = UInt64(header.bias)
        guard header.bias != LoRABlockHeader.noBias, start >= first, (start - first) % 4 == 0,
              (start - first) / 4 + UInt64(op.length) <= UInt64(header.rows) else {
            throw Self.problem(.outsideTensor(offset: op.offset, length: op.length))
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

    static func problem(_ problem: LoRAProblem) -> LoaderError {
        .format(.malformedRecord(section: SectionKind.payload.rawValue, offset: 0, .lora(problem)))
    }
}
