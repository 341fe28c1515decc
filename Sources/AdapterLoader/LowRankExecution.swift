#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// The `lowRankResidual` operation (opcode 8, Spec/FORMAT.md §4.5): int8
/// weights predicted from their old bytes by a factor block's low-rank change
/// and a per-row scale ratio, corrected by range-coded residuals.
///
/// The operation's data holds two coded blocks: the forward residual (apply)
/// and the inverse residual (unapply); each run decodes the one it needs and
/// skips the other, validation decodes both. The factor block, its row
/// records and ratio records are read by random access from the factors
/// section into the window's factor buffer (`LoRAExpansion` computes Δ, as for
/// `loraWeights`); the coder's probabilities (one lane, 36 bytes) sit at the
/// end of the model buffer, whose rest carries the weights being patched.
extension OpExecutor {
    mutating func runLowRank<I: ByteInput, S: BundleSource>(_ op: Operation, at: Int, ops: inout OpReader<I>,
                                                           mode: ExecutionMode, source: S,
                                                           window: RAMWindow) throws(LoaderError) {
        let (factors, scratch) = try factorBlocks(at: at, window: window)
        let block = op.destination
        let header = try blockHeader(block, in: factors, at: at, source: source, scratch: scratch)
        let ratios = LowRankResidual.ratiosOffset(block: block, header)
        guard ratios + UInt64(header.rows) * UInt64(LowRankResidual.ratioRecordSize) <= UInt64(factors.storedLength),
              header.rowRecordSize + LowRankResidual.ratioRecordSize + Int(header.rank) <= scratch.count else {
            throw Self.problem(.badBlock(block: block), at: at)
        }
        try checkInsideWeights(op, header, at: at)
        let rows = LowRankRows(header: header, blockStart: Int(factors.offset) + Int(block),
                               ratiosStart: Int(factors.offset) + Int(ratios), operationAt: at)

        // Forward residual: decoded on apply and validation, skipped on unapply.
        let forwardLength = Int(try ops.dataVarint())
        if mode == .inverse {
            try skip(forwardLength, &ops)
        } else {
            try predictBlock(op, rows, length: forwardLength, ops: &ops, mode: mode, readRecords: true,
                             source: source, scratch: scratch)
        }
        // Inverse residual: decoded on unapply and validation, skipped on apply.
        let inverseLength = Int(try ops.dataVarint())
        if mode == .forward {
            try skip(inverseLength, &ops)
        } else {
            try predictBlock(op, rows, length: inverseLength, ops: &ops, mode: mode, readRecords: mode == .inverse,
                             source: source, scratch: scratch)
        }
    }

    private func skip<I: ByteInput>(_ count: Int, _ ops: inout OpReader<I>) throws(LoaderError) {
        do { try ops.skip(count) } catch { throw .format(error) }
    }

    /// Decodes one residual block of `length` coded bytes over the
    /// operation's weights: forward t = p + r, inverse w = q + r2 (mod 256);
    /// validation decodes the values and (with `readRecords`) checks every
    /// row and ratio record it touches, writing nothing.
    private mutating func predictBlock<I: ByteInput, S: BundleSource>(
        _ op: Operation, _ rows: LowRankRows, length: Int, ops: inout OpReader<I>, mode: ExecutionMode,
        readRecords: Bool, source: S, scratch: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        var (values, work) = try startCoded(ops, length: length, mode: CodedDeltaMode(xor: false, laneBits: 0))

        let header = rows.header
        let rank = Int(header.rank), columns = Int(header.columns), first = Int(header.weights)
        let recordSize = header.rowRecordSize
        let record = UnsafeMutableRawBufferPointer(rebasing: scratch[0 ..< recordSize])
        let ratioBytes = UnsafeMutableRawBufferPointer(
            rebasing: scratch[recordSize ..< recordSize + LowRankResidual.ratioRecordSize])
        let aStart = recordSize + LowRankResidual.ratioRecordSize
        let perRead = min(work.count, (scratch.count - aStart) / rank)
        var position = Int(op.offset)
        let stop = position + Int(op.length)
        while position < stop {
            let relative = position - first
            let row = relative / columns
            var column = relative % columns
            let rowStop = min(stop, first + (row + 1) * columns)
            var parameters = LoRARow(multiplier: 0, shift: 1)
            var ratio = LowRankRatio(forward: 1, forwardShift: 1, inverse: 1, inverseShift: 1)
            if readRecords {
                parameters = try rowRecord(row, header, blockStart: rows.blockStart, source: source, record: record)
                guard !parameters.rescaled else {
                    throw Self.problem(.badRow(row: UInt32(row)), at: rows.operationAt)
                }
                try readFully(source, at: rows.ratiosStart + row * LowRankResidual.ratioRecordSize, into: ratioBytes)
                do { ratio = try LowRankRatio(parsing: UnsafeRawBufferPointer(ratioBytes), at: 0, row: row) }
                catch { throw .format(error) }
            }
            if mode == .validate {
                while position < rowStop {
                    _ = try values.nextValue()
                    position += 1
                }
                continue
            }
            while position < rowStop {
                let n = min(rowStop - position, perRead)
                let weights = UnsafeMutableRawBufferPointer(rebasing: work[0 ..< n])
                let columnsRead = UnsafeMutableRawBufferPointer(rebasing: scratch[aStart ..< aStart + n * rank])
                try store.read(at: position, into: weights)
                try readFully(source, at: rows.blockStart + header.aOffset + column * rank, into: columnsRead)
                let b = UnsafeRawBufferPointer(record), a = UnsafeRawBufferPointer(columnsRead)
                var j = 0
                while j < n {
                    let delta = LoRAExpansion.delta(LoRAExpansion.dot(b, 0, a, j * rank, rank: rank), parameters)
                    let predicted = mode == .inverse ? LowRankResidual.inverse(weights[j], delta, ratio)
                                                     : LowRankResidual.forward(weights[j], delta, ratio)
                    weights[j] = predicted &+ (try values.nextValue())
                    j += 1
                }
                try store.write(at: position, from: UnsafeRawBufferPointer(weights))
                position += n
                column += n
            }
        }
        do { try values.finish() } catch { throw .format(error) }
        ops = values.decoder.input.reader
    }
}

/// Where a low-rank operation's block and ratio records are in the bundle.
struct LowRankRows {
    var header: LoRABlockHeader
    /// Bundle offset of the factor block.
    var blockStart: Int
    /// Bundle offset of row 0's ratio record.
    var ratiosStart: Int
    /// The operation's decoded offset in its chunk (for errors).
    var operationAt: Int
}
