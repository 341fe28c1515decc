#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// The `coded` operation (opcode 7, Spec/FORMAT.md §4.4): range-coded values
/// added to or xored into the model bytes of its range.
///
/// Its decoder keeps two words of coder state and at most
/// `CodedDelta.maxTableBytes` (144) bytes of probabilities, which live at the
/// end of the model buffer; the rest of that buffer carries the model bytes
/// being patched. So the operation needs no workspace beyond the fixed part of
/// the window. The decoded values never depend on model bytes: validation,
/// apply and unapply decode the same values, and apply and unapply differ only
/// in adding or subtracting them.
extension OpExecutor {
    mutating func runCoded<I: ByteInput>(_ op: Operation, ops: inout OpReader<I>,
                                         mode: ExecutionMode) throws(LoaderError) {
        let section = ops.kind.rawValue
        let at = ops.consumed
        let rawMode = try ops.dataVarint()
        guard let coding = CodedDeltaMode(raw: rawMode) else {
            throw .format(.malformedRecord(section: section, offset: at, .badValue(rawMode)))
        }
        let length = Int(try ops.dataVarint())
        var (values, work) = try startCoded(ops, length: length, mode: coding)

        var position = Int(op.offset)
        var remaining = Int(op.length)
        while remaining > 0 {
            let n = min(remaining, work.count)
            let piece = UnsafeMutableRawBufferPointer(rebasing: work[0 ..< n])
            if mode != .validate { try store.read(at: position, into: piece) }
            // One decoding loop for every mode: the value decoder is inlined once.
            for i in 0 ..< n {
                let d = try values.nextValue()
                if mode == .validate { continue }
                if coding.xor {
                    piece[i] ^= d
                } else {
                    piece[i] = mode == .inverse ? piece[i] &- d : piece[i] &+ d
                }
            }
            if mode != .validate { try store.write(at: position, from: UnsafeRawBufferPointer(piece)) }
            position += n
            remaining -= n
        }
        do { try values.finish() } catch { throw .format(error) }
        ops = values.decoder.input.reader
    }
}

/// The data bytes of the current operation as a `ByteInput`.
extension OpExecutor {
    /// Starts a range-coded block over the operation's next data bytes. The
    /// lanes' probability tables take the end of the model buffer; the rest
    /// (returned as `work`) holds model bytes.
    func startCoded<I: ByteInput>(_ ops: OpReader<I>, length: Int, mode coding: CodedDeltaMode) throws(LoaderError)
        -> (values: CodedDeltaDecoder<OpDataInput<I>>, work: UnsafeMutableRawBufferPointer) {
        let tableBytes = CodedDelta.bytesPerLane * coding.lanes
        let tables = UnsafeMutableRawBufferPointer(rebasing: buffer[buffer.count - tableBytes ..< buffer.count])
        let work = UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< buffer.count - tableBytes])
        do {
            let values = try CodedDeltaDecoder(input: OpDataInput(reader: ops), length: length, mode: coding,
                                               tables: tables, section: ops.kind.rawValue)
            return (values, work)
        } catch { throw .format(error) }
    }
}

struct OpDataInput<I: ByteInput>: ByteInput {
    var reader: OpReader<I>
    mutating func nextByte() throws(FormatError) -> UInt8? { try reader.byte() }
}

extension CodedDeltaDecoder {
    mutating func nextValue() throws(LoaderError) -> UInt8 {
        do { return try next() } catch { throw .format(error) }
    }
}

extension OpReader {
    mutating func dataVarint() throws(LoaderError) -> UInt32 {
        do { return try varint() } catch { throw .format(error) }
    }
}
