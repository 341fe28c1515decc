// Streaming raw-DEFLATE (RFC 1951) decoder with bounded state.
//
// All memory that grows with the stream lives in a workspace the caller provides:
//
//   offset  bytes        contents
//   0       32           literal/length code: count of codes per length 0...15  (UInt16)
//   32      576          literal/length code: symbols in canonical order, 288   (UInt16)
//   608     32           distance code: count of codes per length 0...15        (UInt16)
//   640     64           distance code: symbols in canonical order, 32          (UInt16)
//   704     320          code-length scratch (UInt8): 288 + 32 lengths
//   1024    1 << wbits   history ring (the sliding window)
//
// so `workspaceSize(windowBits:) == (1 << windowBits) + 1024`. While a dynamic block
// header is read, the code-length code (19 symbols) is kept in the distance-code slot,
// which is rebuilt once all lengths are known. UInt16 fields are accessed unaligned,
// so the workspace may start at any address. Everything else (bit buffer, pending
// match, block state) is a few words inside the struct; the decoder never allocates.
//
// Decoding is pull-driven and resumable at every output byte: `nextByte()` returns
// one decompressed byte and keeps a pending match (length, distance) or the rest of a
// stored block in the struct. Input is pulled one byte at a time and only when a bit
// of it is needed, so no byte after the end of the deflate stream is ever consumed:
// `finish()` can then check that the input has nothing left.
//
// Huffman codes are decoded canonically from the per-length code counts and the symbol
// list (no lookup table): the shortest code length in one go, then one bit at a time.
// Slower than table-driven decoding, but it needs only 704 bytes of tables and never
// reads ahead of the stream.

/// Decompresses a raw RFC 1951 stream pulled from `Input`, byte by byte.
public struct Inflater<Input: ByteInput>: ByteInput {
    // MARK: Workspace layout (byte offsets)

    @inlinable static var litCountsOffset: Int { 0 }
    @inlinable static var litSymbolsOffset: Int { 32 }
    @inlinable static var distCountsOffset: Int { 608 }
    @inlinable static var distSymbolsOffset: Int { 640 }
    @inlinable static var lengthsOffset: Int { 704 }
    @inlinable static var historyOffset: Int { 1024 }

    /// Exact number of workspace bytes needed for a window of `1 << windowBits`
    /// bytes: `(1 << windowBits) + 1024` (history ring + Huffman tables + scratch).
    /// `windowBits` must be in 8...15.
    @inlinable
    public static func workspaceSize(windowBits: Int) -> Int {
        precondition(windowBits >= 8 && windowBits <= 15, "windowBits must be in 8...15")
        return (1 << windowBits) + historyOffset
    }

    // MARK: State

    @usableFromInline
    internal enum Mode: UInt8 {
        case blockHeader, stored, huffman, done, failed
    }

    @usableFromInline internal var _input: Input
    @usableFromInline internal let tables: UnsafeMutableRawPointer
    @usableFromInline internal let history: UnsafeMutablePointer<UInt8>
    @usableFromInline internal let windowMask: Int
    @usableFromInline internal var _outputCount: Int
    @usableFromInline internal var bitBuffer: UInt32
    @usableFromInline internal var bitCount: UInt32
    @usableFromInline internal var mode: Mode
    @usableFromInline internal var lastBlock: Bool
    @usableFromInline internal var fixedTablesLoaded: Bool
    @usableFromInline internal var storedRemaining: Int
    @usableFromInline internal var copyRemaining: Int
    @usableFromInline internal var copyDistance: Int
    @usableFromInline internal var failure: FormatError?
    /// Shortest and longest code length of the literal/length and distance codes.
    @usableFromInline internal var litShortest: Int
    @usableFromInline internal var litLongest: Int
    @usableFromInline internal var distShortest: Int
    @usableFromInline internal var distLongest: Int

    /// `log2` of the history window; distances up to `1 << windowBits` are accepted.
    public let windowBits: Int

    /// Creates a decoder. `workspace` must hold at least
    /// `workspaceSize(windowBits:)` bytes and stay valid (and untouched by anyone
    /// else) for the decoder's lifetime. Traps on a bad `windowBits` or a short
    /// workspace (programming errors, not data errors).
    @inlinable
    public init(input: Input, windowBits: Int, workspace: UnsafeMutableRawBufferPointer) {
        let needed = Inflater.workspaceSize(windowBits: windowBits)
        precondition(workspace.count >= needed, "Inflater workspace too small")
        let base = workspace.baseAddress!
        self._input = input
        self.tables = base
        self.history = (base + Inflater.historyOffset).bindMemory(to: UInt8.self, capacity: 1 << windowBits)
        self.windowBits = windowBits
        self.windowMask = (1 << windowBits) - 1
        self._outputCount = 0
        self.bitBuffer = 0
        self.bitCount = 0
        self.mode = .blockHeader
        self.lastBlock = false
        self.fixedTablesLoaded = false
        self.storedRemaining = 0
        self.copyRemaining = 0
        self.copyDistance = 0
        self.failure = nil
        self.litShortest = 1
        self.litLongest = 1
        self.distShortest = 1
        self.distLongest = 1
    }

    /// Number of decompressed bytes returned so far.
    @inlinable
    public var outputCount: Int { _outputCount }

    /// The history window size in bytes, `1 << windowBits`.
    @inlinable
    public var windowSize: Int { windowMask + 1 }

    /// True once the final block has ended (`nextByte()` returns `nil`).
    @inlinable
    public var isFinished: Bool { mode == .done }

    /// The underlying input (positioned after the last byte the decoder consumed).
    @inlinable
    public var input: Input { _input }

    // MARK: Output

    /// The next decompressed byte, or `nil` after the final block has ended.
    ///
    /// Errors are `FormatError.inflate(problem, outputOffset: outputCount)`, or
    /// whatever the input throws. After an error every later call throws it again.
    /// `.distanceTooFar(distance:windowSize:)` is thrown when a match reaches before
    /// the first output byte (`distance > outputOffset`) or beyond the history
    /// (`distance > windowSize`); `windowSize` is always `1 << windowBits`.
    @inlinable
    public mutating func nextByte() throws(FormatError) -> UInt8? {
        if copyRemaining > 0 {
            copyRemaining &-= 1
            let byte = history[(_outputCount &- copyDistance) & windowMask]
            history[_outputCount & windowMask] = byte
            _outputCount &+= 1
            return byte
        }
        return try nextByteSlow()
    }

    /// Fills `buffer` from the front; returns how many bytes were written, which is
    /// less than `buffer.count` only at the end of the stream. If it throws, the
    /// bytes decoded before the error are at the front of `buffer` (their number is
    /// the change in `outputCount`).
    @inlinable
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Int {
        var written = 0
        while written < buffer.count {
            guard let byte = try nextByte() else { break }
            buffer[written] = byte
            written &+= 1
        }
        return written
    }

    /// Checks the stream is complete: decodes the rest of it, which must produce no
    /// further byte, then checks the input holds no byte after the stream. Both are
    /// refused with `.trailingData`. Leftover bits of the stream's last byte are ignored.
    @inlinable
    public mutating func finish() throws(FormatError) {
        if try nextByte() != nil {
            throw fail(.trailingData)
        }
        if try _input.nextByte() != nil {
            throw fail(.trailingData)
        }
    }

    // MARK: Decoder

    @inlinable
    internal mutating func fail(_ problem: InflateProblem) -> FormatError {
        let error = FormatError.inflate(problem, outputOffset: _outputCount)
        failure = error
        mode = .failed
        copyRemaining = 0
        return error
    }

    @inlinable
    internal mutating func nextByteSlow() throws(FormatError) -> UInt8? {
        if mode == .failed, let failure {
            throw failure
        }
        do {
            return try step()
        } catch {
            failure = error
            mode = .failed
            copyRemaining = 0
            throw error
        }
    }

    @inlinable
    internal func problem(_ p: InflateProblem) -> FormatError {
        FormatError.inflate(p, outputOffset: _outputCount)
    }

    @inlinable
    internal mutating func emit(_ byte: UInt8) {
        history[_outputCount & windowMask] = byte
        _outputCount &+= 1
    }

    @inlinable
    internal mutating func step() throws(FormatError) -> UInt8? {
        while true {
            switch mode {
            case .huffman:
                let symbol = try decodeSymbol(
                    counts: Inflater.litCountsOffset, symbols: Inflater.litSymbolsOffset,
                    shortest: litShortest, longest: litLongest)
                if symbol < 256 {
                    let byte = UInt8(truncatingIfNeeded: symbol)
                    emit(byte)
                    return byte
                }
                if symbol == 256 {
                    mode = lastBlock ? .done : .blockHeader
                    continue
                }
                if symbol > 285 {
                    throw problem(.badSymbol)
                }
                let length = try matchLength(symbol: symbol)
                let distanceSymbol = try decodeSymbol(
                    counts: Inflater.distCountsOffset, symbols: Inflater.distSymbolsOffset,
                    shortest: distShortest, longest: distLongest)
                if distanceSymbol > 29 {
                    throw problem(.badSymbol)
                }
                let distance = try matchDistance(symbol: distanceSymbol)
                if distance > _outputCount || distance > windowMask + 1 {
                    throw problem(.distanceTooFar(distance: distance, windowSize: windowMask + 1))
                }
                copyDistance = distance
                copyRemaining = length - 1
                let byte = history[(_outputCount &- distance) & windowMask]
                emit(byte)
                return byte

            case .stored:
                if storedRemaining == 0 {
                    mode = lastBlock ? .done : .blockHeader
                    continue
                }
                guard let byte = try _input.nextByte() else {
                    throw problem(.inputEnded)
                }
                storedRemaining -= 1
                emit(byte)
                return byte

            case .blockHeader:
                try readBlockHeader()

            case .done:
                return nil

            case .failed:
                // Only reached if `failure` was somehow unset; keep refusing.
                throw failure ?? problem(.inputEnded)
            }
        }
    }

    // MARK: Bits

    /// Makes sure at least `n` (≤ 16) bits are buffered, pulling whole bytes only as
    /// they are needed.
    @inlinable
    internal mutating func needBits(_ n: UInt32) throws(FormatError) {
        while bitCount < n {
            guard let byte = try _input.nextByte() else {
                throw problem(.inputEnded)
            }
            bitBuffer |= UInt32(byte) &<< bitCount
            bitCount &+= 8
        }
    }

    /// The next `n` (0...16) bits, least significant first.
    @inlinable
    internal mutating func bits(_ n: UInt32) throws(FormatError) -> Int {
        try needBits(n)
        let value = bitBuffer & ((1 &<< n) &- 1)
        bitBuffer &>>= n
        bitCount &-= n
        return Int(value)
    }

    @inlinable
    internal mutating func bit() throws(FormatError) -> Int {
        if bitCount == 0 {
            guard let byte = try _input.nextByte() else {
                throw problem(.inputEnded)
            }
            bitBuffer = UInt32(byte)
            bitCount = 8
        }
        let value = bitBuffer & 1
        bitBuffer &>>= 1
        bitCount &-= 1
        return Int(value)
    }

    // MARK: Tables

    @inlinable
    internal func load16(_ offset: Int) -> Int {
        Int(tables.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable
    internal func store16(_ value: Int, _ offset: Int) {
        tables.storeBytes(of: UInt16(truncatingIfNeeded: value), toByteOffset: offset, as: UInt16.self)
    }

    @inlinable
    internal var lengths: UnsafeMutablePointer<UInt8> {
        (tables + Inflater.lengthsOffset).assumingMemoryBound(to: UInt8.self)
    }

    /// Decodes one symbol of the canonical code stored at `counts`/`symbols` whose
    /// code lengths lie in `shortest...longest`. The first `shortest` bits are taken at
    /// once (every code has at least that many, so this never reads past the stream);
    /// then one bit per length. A bit pattern that is no code (possible only in an
    /// incomplete code) is `.badSymbol`, found after as many bits as zlib reads.
    @inlinable
    internal mutating func decodeSymbol(
        counts: Int, symbols: Int, shortest: Int, longest: Int
    ) throws(FormatError) -> Int {
        // Huffman codes are sent first bit first: reverse the `shortest` bits taken.
        var taken = try bits(UInt32(truncatingIfNeeded: shortest))
        var code = 0   // the bits read so far, first bit most significant
        for _ in 0..<shortest {
            code = (code << 1) | (taken & 1)
            taken >>= 1
        }
        var first = 0  // first canonical code of the current length
        var index = 0  // index in `symbols` of the first code of the current length
        var length = shortest
        while true {
            let count = load16(counts + 2 * length)
            if code - first < count {
                return load16(symbols + 2 * (index + code - first))
            }
            if length >= longest {
                throw problem(.badSymbol)
            }
            index += count
            first = (first + count) << 1
            code = (code << 1) | (try bit())
            length += 1
        }
    }

    /// Shortest and longest length with at least one code (1...1 for an empty code).
    @inlinable
    internal func lengthRange(counts: Int) -> (shortest: Int, longest: Int) {
        var shortest = 0
        var longest = 0
        for length in 1...15 where load16(counts + 2 * length) != 0 {
            if shortest == 0 { shortest = length }
            longest = length
        }
        return shortest == 0 ? (1, 1) : (shortest, longest)
    }

    /// Builds the canonical code for `lengths[0..<n]` (each 0...15) into
    /// `counts`/`symbols`. Returns the number of unused codes at length 15:
    /// negative = over-subscribed, 0 = complete, positive = incomplete.
    @inlinable
    internal func buildCode(_ lengths: UnsafePointer<UInt8>, _ n: Int, counts: Int, symbols: Int) -> Int {
        for length in 0...15 {
            store16(0, counts + 2 * length)
        }
        for symbol in 0..<n {
            let slot = counts + 2 * Int(lengths[symbol])
            store16(load16(slot) + 1, slot)
        }
        var left = 1
        for length in 1...15 {
            left <<= 1
            left -= load16(counts + 2 * length)
            if left < 0 {
                return left
            }
        }
        // Start of each length's run in `symbols`, kept on the stack.
        var starts: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16,
                     UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &starts) { raw in
            let start = raw.baseAddress!.assumingMemoryBound(to: UInt16.self)
            start[1] = 0
            for length in 1..<15 {
                start[length + 1] = start[length] &+ UInt16(truncatingIfNeeded: load16(counts + 2 * length))
            }
            for symbol in 0..<n {
                let length = Int(lengths[symbol])
                if length != 0 {
                    store16(symbol, symbols + 2 * Int(start[length]))
                    start[length] &+= 1
                }
            }
        }
        return left
    }

    /// True when every code in the table at `counts` is at most 1 bit long: the only
    /// case in which RFC 1951 (and zlib) accept an incomplete literal or distance code.
    @inlinable
    internal func onlyOneBitCodes(counts: Int) -> Bool {
        for length in 2...15 where load16(counts + 2 * length) != 0 {
            return false
        }
        return true
    }

    @inlinable
    internal mutating func loadFixedTables() {
        let l = lengths
        for i in 0..<144 { l[i] = 8 }
        for i in 144..<256 { l[i] = 9 }
        for i in 256..<280 { l[i] = 7 }
        for i in 280..<288 { l[i] = 8 }
        _ = buildCode(l, 288, counts: Inflater.litCountsOffset, symbols: Inflater.litSymbolsOffset)
        for i in 0..<32 { l[i] = 5 }
        _ = buildCode(l, 32, counts: Inflater.distCountsOffset, symbols: Inflater.distSymbolsOffset)
        litShortest = 7
        litLongest = 9
        distShortest = 5
        distLongest = 5
        fixedTablesLoaded = true
    }

    /// Position of the `i`-th code-length code length in the header (RFC 1951 §3.2.7):
    /// 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15.
    @inlinable
    internal static func codeLengthOrder(_ i: Int) -> Int {
        if i < 3 { return 16 + i }
        if i == 3 { return 0 }
        let j = i - 4
        return j & 1 == 0 ? 8 + (j >> 1) : 7 - (j >> 1)
    }

    @inlinable
    internal mutating func readDynamicTables() throws(FormatError) {
        let literalCount = try bits(5) + 257
        let distanceCount = try bits(5) + 1
        let codeLengthCount = try bits(4) + 4
        if literalCount > 286 || distanceCount > 30 {
            throw problem(.badCodeLengths)
        }
        let l = lengths
        for i in 0..<19 { l[i] = 0 }
        for i in 0..<codeLengthCount {
            l[Inflater.codeLengthOrder(i)] = UInt8(truncatingIfNeeded: try bits(3))
        }
        // The code-length code goes into the distance slot for now; it must be complete.
        if buildCode(l, 19, counts: Inflater.distCountsOffset, symbols: Inflater.distSymbolsOffset) != 0 {
            throw problem(.badCodeLengths)
        }
        (distShortest, distLongest) = lengthRange(counts: Inflater.distCountsOffset)

        let total = literalCount + distanceCount
        var i = 0
        while i < total {
            let symbol = try decodeSymbol(
                counts: Inflater.distCountsOffset, symbols: Inflater.distSymbolsOffset,
                shortest: distShortest, longest: distLongest)
            if symbol < 16 {
                l[i] = UInt8(truncatingIfNeeded: symbol)
                i += 1
                continue
            }
            var value: UInt8 = 0
            var repeatCount: Int
            switch symbol {
            case 16:
                if i == 0 {
                    throw problem(.badCodeLengths)
                }
                value = l[i - 1]
                repeatCount = 3 + (try bits(2))
            case 17:
                repeatCount = 3 + (try bits(3))
            default:
                repeatCount = 11 + (try bits(7))
            }
            if i + repeatCount > total {
                throw problem(.badCodeLengths)
            }
            while repeatCount > 0 {
                l[i] = value
                i += 1
                repeatCount -= 1
            }
        }

        // A block without an end-of-block code could never end.
        if l[256] == 0 {
            throw problem(.badCodeLengths)
        }
        let litLeft = buildCode(
            l, literalCount, counts: Inflater.litCountsOffset, symbols: Inflater.litSymbolsOffset)
        if litLeft < 0 || (litLeft > 0 && !onlyOneBitCodes(counts: Inflater.litCountsOffset)) {
            throw problem(.badCodeLengths)
        }
        (litShortest, litLongest) = lengthRange(counts: Inflater.litCountsOffset)
        let distLeft = buildCode(
            l + literalCount, distanceCount,
            counts: Inflater.distCountsOffset, symbols: Inflater.distSymbolsOffset)
        if distLeft < 0 || (distLeft > 0 && !onlyOneBitCodes(counts: Inflater.distCountsOffset)) {
            throw problem(.badCodeLengths)
        }
        (distShortest, distLongest) = lengthRange(counts: Inflater.distCountsOffset)
    }

    @inlinable
    internal mutating func readBlockHeader() throws(FormatError) {
        let header = try bits(3)
        lastBlock = header & 1 == 1
        switch header >> 1 {
        case 0:
            // Stored: skip to the byte boundary (the rest of the current byte).
            bitBuffer = 0
            bitCount = 0
            let length = try bits(16)
            let complement = try bits(16)
            if length != complement ^ 0xFFFF {
                throw problem(.storedLengthMismatch)
            }
            storedRemaining = length
            mode = .stored
        case 1:
            if !fixedTablesLoaded {
                loadFixedTables()
            }
            mode = .huffman
        case 2:
            fixedTablesLoaded = false
            try readDynamicTables()
            mode = .huffman
        default:
            throw problem(.reservedBlockType)
        }
    }

    // MARK: Matches

    /// Length for symbol 257...285 (RFC 1951 §3.2.5), reading its extra bits.
    @inlinable
    internal mutating func matchLength(symbol: Int) throws(FormatError) -> Int {
        let i = symbol - 257
        if i < 8 {
            return i + 3
        }
        if i == 28 {
            return 258
        }
        let extra = (i >> 2) - 1
        return ((4 + (i & 3)) << extra) + 3 + (try bits(UInt32(extra)))
    }

    /// Distance for symbol 0...29 (RFC 1951 §3.2.5), reading its extra bits.
    @inlinable
    internal mutating func matchDistance(symbol: Int) throws(FormatError) -> Int {
        if symbol < 4 {
            return symbol + 1
        }
        let extra = (symbol >> 1) - 1
        return ((2 + (symbol & 1)) << extra) + 1 + (try bits(UInt32(extra)))
    }
}
