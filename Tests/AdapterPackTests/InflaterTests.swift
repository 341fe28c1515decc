// The device inflater (AdapterFormat) against zlib: zlib's streams of every
// level, window and strategy, hand-made edge cases both decoders judge, and
// mutated streams with the same verdict. Small fixed streams and the workspace
// formula are AdapterFormatTests' InflaterVectorTests.
import AdapterFormat
import CZlib
import Foundation
import XCTest
import TestSupport

// MARK: - zlib (reference encoder and decoder)

private enum Zlib {
    /// Raw deflate (no zlib header) of `input`. The input is fed in chunks of
    /// `chunk` bytes, each followed by `flush`; between chunks the level/strategy may
    /// cycle through `params` (to mix stored, fixed and dynamic blocks in one stream).
    static func deflateRaw(
        _ input: [UInt8], level: Int32, windowBits: Int32, strategy: Int32,
        memLevel: Int32 = 8, chunk: Int? = nil, flush: Int32 = Z_SYNC_FLUSH,
        params: [(level: Int32, strategy: Int32)] = []
    ) -> [UInt8] {
        var strm = z_stream()
        let rc = deflateInit2_(
            &strm, level, Z_DEFLATED, -windowBits, memLevel, strategy,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "deflateInit2_ failed: \(rc)")
        defer { deflateEnd(&strm) }

        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let chunkSize = max(1, chunk ?? max(input.count, 1))

        func pump(_ mode: Int32) {
            while true {
                let (status, produced): (Int32, Int) = buffer.withUnsafeMutableBufferPointer { out in
                    strm.next_out = out.baseAddress
                    strm.avail_out = UInt32(out.count)
                    let status = deflate(&strm, mode)
                    return (status, out.count - Int(strm.avail_out))
                }
                output.append(contentsOf: buffer[0..<produced])
                if mode == Z_FINISH {
                    if status == Z_STREAM_END { return }
                    precondition(status == Z_OK || status == Z_BUF_ERROR, "deflate failed: \(status)")
                } else {
                    precondition(status == Z_OK || status == Z_BUF_ERROR, "deflate failed: \(status)")
                    if strm.avail_in == 0 && strm.avail_out != 0 { return }
                }
            }
        }

        input.withUnsafeBufferPointer { all in
            var at = 0
            var step = 0
            repeat {
                let end = min(all.count, at + chunkSize)
                strm.next_in = UnsafeMutablePointer(mutating: all.baseAddress.map { $0 + at })
                strm.avail_in = UInt32(end - at)
                at = end
                if at < all.count {
                    pump(flush)
                    if !params.isEmpty {
                        let p = params[step % params.count]
                        step += 1
                        // deflateParams may itself emit the pending input (deflate(Z_BLOCK)).
                        let (status, produced): (Int32, Int) = buffer.withUnsafeMutableBufferPointer { out in
                            strm.next_out = out.baseAddress
                            strm.avail_out = UInt32(out.count)
                            let status = deflateParams(&strm, p.level, p.strategy)
                            return (status, out.count - Int(strm.avail_out))
                        }
                        output.append(contentsOf: buffer[0..<produced])
                        precondition(status == Z_OK, "deflateParams failed: \(status)")
                    }
                } else {
                    pump(Z_FINISH)
                }
            } while at < all.count
        }
        return output
    }

    enum Outcome {
        /// Stream ended exactly at the end of the input.
        case ok([UInt8])
        /// Stream ended, input left over.
        case trailing([UInt8])
        /// Input ended before the stream did.
        case truncated([UInt8])
        /// Invalid stream.
        case dataError([UInt8])
        /// Output cap reached: no verdict.
        case capped
    }

    /// Raw inflate with a 32 KB window, in one call.
    static func inflateRaw(_ input: [UInt8], maxOutput: Int = 1 << 22) -> Outcome {
        var strm = z_stream()
        let rc = inflateInit2_(&strm, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK)
        defer { inflateEnd(&strm) }
        var output = [UInt8](repeating: 0, count: maxOutput)
        let status: Int32 = input.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { out in
                strm.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
                strm.avail_in = UInt32(src.count)
                strm.next_out = out.baseAddress
                strm.avail_out = UInt32(out.count)
                return inflate(&strm, Z_FINISH)
            }
        }
        let produced = Array(output[0..<Int(strm.total_out)])
        switch status {
        case Z_STREAM_END:
            return strm.avail_in == 0 ? .ok(produced) : .trailing(produced)
        case Z_BUF_ERROR where strm.avail_out == 0:
            return .capped
        case Z_BUF_ERROR:
            return .truncated(produced)
        case Z_DATA_ERROR:
            return .dataError(produced)
        default:
            preconditionFailure("inflate returned \(status)")
        }
    }
}

// MARK: - Helpers

/// Writes a deflate bit stream by hand (for streams zlib would never produce).
private struct BitWriter {
    var bytes: [UInt8] = []
    var accumulator: UInt64 = 0
    var count = 0

    /// `n` bits of `value`, least significant first (header fields, extra bits).
    mutating func bits(_ value: Int, _ n: Int) {
        accumulator |= UInt64(value & ((1 << n) - 1)) << UInt64(count)
        count += n
        while count >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: accumulator))
            accumulator >>= 8
            count -= 8
        }
    }

    /// A Huffman code, most significant bit first.
    mutating func code(_ code: Int, _ length: Int) {
        var reversed = 0
        for i in 0..<length {
            reversed = (reversed << 1) | ((code >> i) & 1)
        }
        bits(reversed, length)
    }

    mutating func alignToByte() {
        if count > 0 { bits(0, 8 - count) }
    }

    var data: [UInt8] {
        var copy = self
        copy.alignToByte()
        return copy.bytes
    }

    mutating func blockHeader(final: Bool, type: Int) {
        bits(final ? 1 : 0, 1)
        bits(type, 2)
    }

    /// Fixed-Huffman literal/length symbol (RFC 1951 §3.2.6).
    mutating func fixedLiteral(_ symbol: Int) {
        switch symbol {
        case 0...143: code(0x30 + symbol, 8)
        case 144...255: code(0x190 + symbol - 144, 9)
        case 256...279: code(symbol - 256, 7)
        default: code(0xC0 + symbol - 280, 8)
        }
    }

    mutating func fixedDistance(_ symbol: Int) {
        code(symbol, 5)
    }

    mutating func storedBlock(final: Bool, _ payload: [UInt8]) {
        blockHeader(final: final, type: 0)
        alignToByte()
        bits(payload.count, 16)
        bits(~payload.count & 0xFFFF, 16)
        for byte in payload { bits(Int(byte), 8) }
    }

    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// Dynamic block header with full control: HLIT/HDIST as given, all 19
    /// code-length code lengths (by symbol), then the code-length symbols
    /// `(symbol, extra bits value)`.
    mutating func dynamicHeader(
        final: Bool, literalCount: Int, distanceCount: Int,
        codeLengthLengths: [Int], codeLengthSymbols: [(Int, Int)]
    ) {
        blockHeader(final: final, type: 2)
        bits(literalCount - 257, 5)
        bits(distanceCount - 1, 5)
        bits(19 - 4, 4)
        for i in 0..<19 {
            bits(codeLengthLengths[BitWriter.codeLengthOrder[i]], 3)
        }
        let codes = canonicalCodes(codeLengthLengths)
        for (symbol, extra) in codeLengthSymbols {
            code(codes[symbol], codeLengthLengths[symbol])
            switch symbol {
            case 16: bits(extra, 2)
            case 17: bits(extra, 3)
            case 18: bits(extra, 7)
            default: break
            }
        }
    }

    /// Dynamic block header sending every length literally with a complete
    /// code-length code (symbols 0...15, 4 bits each). Returns the canonical codes.
    mutating func dynamicHeader(final: Bool, literalLengths: [Int], distanceLengths: [Int])
        -> (literal: [Int], distance: [Int])
    {
        var clLengths = [Int](repeating: 0, count: 19)
        for s in 0...15 { clLengths[s] = 4 }
        dynamicHeader(
            final: final, literalCount: literalLengths.count, distanceCount: distanceLengths.count,
            codeLengthLengths: clLengths,
            codeLengthSymbols: (literalLengths + distanceLengths).map { ($0, 0) })
        return (canonicalCodes(literalLengths), canonicalCodes(distanceLengths))
    }
}

/// RFC 1951 §3.2.2 canonical code assignment.
private func canonicalCodes(_ lengths: [Int]) -> [Int] {
    var lengthCount = [Int](repeating: 0, count: 16)
    for l in lengths where l > 0 { lengthCount[l] += 1 }
    var next = [Int](repeating: 0, count: 16)
    var code = 0
    for bits in 1...15 {
        code = (code + lengthCount[bits - 1]) << 1
        next[bits] = code
    }
    var codes = [Int](repeating: 0, count: lengths.count)
    for (symbol, l) in lengths.enumerated() where l > 0 {
        codes[symbol] = next[l]
        next[l] += 1
    }
    return codes
}

private struct Decoded {
    var output: [UInt8]
    var error: FormatError?
    var capped = false
}

private enum ReadStyle { case byteByByte, chunks }

/// Decodes `stream` with our Inflater in a deliberately misaligned workspace that is
/// pre-filled with junk, then calls `finish()`.
private func decode(
    _ stream: [UInt8], windowBits: Int, style: ReadStyle = .byteByByte,
    maxOutput: Int = 1 << 22, seed: UInt64 = 1
) -> Decoded {
    let size = Inflater<BufferInput>.workspaceSize(windowBits: windowBits)
    let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 1, alignment: 16)
    defer { raw.deallocate() }
    raw.initializeMemory(as: UInt8.self, repeating: 0xA5)
    let workspace = UnsafeMutableRawBufferPointer(rebasing: raw[1...])

    return stream.withUnsafeBytes { source -> Decoded in
        var inflater = Inflater(input: BufferInput(source), windowBits: windowBits, workspace: workspace)
        var result = Decoded(output: [])
        var rng = TestRNG(state: seed)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { chunk.deallocate() }
        do throws(FormatError) {
            switch style {
            case .byteByByte:
                while let byte = try inflater.nextByte() {
                    result.output.append(byte)
                    if result.output.count > maxOutput {
                        result.capped = true
                        return result
                    }
                }
            case .chunks:
                while true {
                    let want = Int.random(in: 0...chunk.count, using: &rng)
                    let got = try inflater.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<want]))
                    result.output.append(contentsOf: chunk[0..<got])
                    if result.output.count > maxOutput {
                        result.capped = true
                        return result
                    }
                    if got < want { break }
                    // Mix in single bytes.
                    if Bool.random(using: &rng), let byte = try inflater.nextByte() {
                        result.output.append(byte)
                    }
                }
            }
            XCTAssertTrue(inflater.isFinished)
            try inflater.finish()
            XCTAssertEqual(inflater.outputCount, result.output.count)
        } catch {
            result.error = error
            // A failed read(into:) still wrote the bytes before the error to the front
            // of `chunk`; outputCount says how many.
            let lost = inflater.outputCount - result.output.count
            if style == .chunks && lost > 0 {
                result.output.append(contentsOf: chunk[0..<lost])
            }
            // The reported offset is the number of bytes handed out.
            if case .inflate(_, let offset) = error {
                XCTAssertEqual(offset, result.output.count, "outputOffset")
            }
        }
        return result
    }
}

private func problem(_ error: FormatError?) -> InflateProblem? {
    if case .inflate(let p, _)? = error { return p }
    return nil
}

/// A committed model, by file name (`RepoPaths` knows where each one lives).
private func fixture(_ name: String) throws -> [UInt8] {
    try RepoPaths.bytes(RepoPaths.model(String(name.dropLast(".tflite".count))))
}

private let fixtureNames = [
    "base.tflite", "full-ft.tflite", "head-ft.tflite", "hello_world_int8.tflite",
    "keyword_scrambled_8bit.tflite", "lora.tflite", "micro_speech_quantized.tflite",
    "trained_lstm_int8.tflite",
]

private func randomBytes(_ count: Int, _ rng: inout TestRNG) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

/// Word salad: many matches at all distances, dynamic blocks.
private func textLike(_ count: Int, _ rng: inout TestRNG) -> [UInt8] {
    let words = (0..<60).map { _ in
        (0..<Int.random(in: 2...9, using: &rng)).map { _ in UInt8.random(in: 97...122, using: &rng) }
    }
    var out: [UInt8] = []
    while out.count < count {
        out += words[Int.random(in: 0..<words.count, using: &rng)]
        out.append(Bool.random(using: &rng) ? 32 : 10)
    }
    return Array(out.prefix(count))
}

// MARK: - Tests

final class InflaterTests: XCTestCase {
    let strategies: [(String, Int32)] = [
        ("default", Z_DEFAULT_STRATEGY), ("fixed", Z_FIXED), ("huffman", Z_HUFFMAN_ONLY),
    ]

    // MARK: Real zlib streams

    func testZlibMatrixSyntheticData() {
        var rng = TestRNG(state: 7)
        let size = 40_000
        let datasets: [(String, [UInt8])] = [
            ("random", randomBytes(size, &rng)),
            ("zeros", [UInt8](repeating: 0, count: size)),
            ("acgt", (0..<size).map { _ in Array("ACGT".utf8)[Int.random(in: 0..<4, using: &rng)] }),
            ("text", textLike(size, &rng)),
        ]
        var cases = 0
        for (name, data) in datasets {
            for level: Int32 in [0, 1, 6, 9] {
                for windowBits: Int32 in [9, 10, 12, 15] {
                    for (strategyName, strategy) in strategies {
                        let stream = Zlib.deflateRaw(data, level: level, windowBits: windowBits, strategy: strategy)
                        let decoded = decode(stream, windowBits: Int(windowBits), style: cases % 2 == 0 ? .byteByByte : .chunks, seed: UInt64(cases))
                        let label = "\(name) level \(level) wbits \(windowBits) \(strategyName)"
                        XCTAssertNil(decoded.error, label)
                        XCTAssertTrue(decoded.output == data, label)
                        cases += 1
                    }
                }
            }
        }
        XCTAssertEqual(cases, 4 * 4 * 4 * 3)
    }

    func testZlibMatrixFixtures() throws {
        var cases = 0
        for name in fixtureNames {
            let data = try fixture(name)
            XCTAssertGreaterThan(data.count, 1000, name)
            for level: Int32 in [0, 1, 6, 9] {
                for windowBits: Int32 in [9, 10, 12, 15] {
                    for (strategyName, strategy) in strategies {
                        let stream = Zlib.deflateRaw(data, level: level, windowBits: windowBits, strategy: strategy)
                        let decoded = decode(stream, windowBits: Int(windowBits), style: cases % 2 == 0 ? .chunks : .byteByByte, seed: UInt64(cases))
                        let label = "\(name) level \(level) wbits \(windowBits) \(strategyName)"
                        XCTAssertNil(decoded.error, label)
                        XCTAssertTrue(decoded.output == data, label)
                        cases += 1
                    }
                }
            }
        }
        XCTAssertEqual(cases, fixtureNames.count * 4 * 4 * 3)
    }

    /// Flushes and parameter changes mid-stream: many blocks of all three types,
    /// empty stored blocks (sync/full flush), empty fixed blocks (partial flush).
    func testMultiBlockStreamsWithFlushesAndParameterChanges() throws {
        var rng = TestRNG(state: 99)
        let data = textLike(30_000, &rng) + (try fixture("hello_world_int8.tflite")) + randomBytes(5000, &rng)
        let params: [(level: Int32, strategy: Int32)] = [
            (0, Z_DEFAULT_STRATEGY), (1, Z_FIXED), (9, Z_DEFAULT_STRATEGY), (6, Z_HUFFMAN_ONLY), (4, Z_RLE),
        ]
        for flush in [Z_NO_FLUSH, Z_SYNC_FLUSH, Z_FULL_FLUSH, Z_PARTIAL_FLUSH, Z_BLOCK] {
            for chunk in [1000, 4093] {
                for windowBits: Int32 in [9, 15] {
                    let stream = Zlib.deflateRaw(
                        data, level: 6, windowBits: windowBits, strategy: Z_DEFAULT_STRATEGY,
                        chunk: chunk, flush: flush, params: params)
                    let decoded = decode(stream, windowBits: Int(windowBits), style: .chunks, seed: UInt64(chunk))
                    let label = "flush \(flush) chunk \(chunk) wbits \(windowBits)"
                    guard case .ok(let z) = Zlib.inflateRaw(stream), z == data else {
                        XCTFail("\(label): zlib cannot decode its own stream (test harness bug)")
                        continue
                    }
                    XCTAssertNil(decoded.error, label)
                    XCTAssertTrue(decoded.output == data, label)
                }
            }
        }
    }

    func testEmptyStreams() {
        // zlib's encoding of nothing: one final fixed block with only end-of-block.
        let zlibEmpty = Zlib.deflateRaw([], level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY)
        for stream in [zlibEmpty, [0x03, 0x00], [0x01, 0x00, 0x00, 0xFF, 0xFF]] {
            let decoded = decode(stream, windowBits: 8)
            XCTAssertNil(decoded.error, "\(stream)")
            XCTAssertEqual(decoded.output, [])
        }
        // No input at all is not a stream.
        XCTAssertEqual(decode([], windowBits: 8).error, .inflate(.inputEnded, outputOffset: 0))
    }

    /// No distances at all: any window size works, even 256 bytes.
    func testHuffmanOnlyStreamDecodesWithSmallestWindow() throws {
        let data = try fixture("micro_speech_quantized.tflite")
        let stream = Zlib.deflateRaw(data, level: 9, windowBits: 15, strategy: Z_HUFFMAN_ONLY)
        let decoded = decode(stream, windowBits: 8)
        XCTAssertNil(decoded.error)
        XCTAssertTrue(decoded.output == data)
    }

    /// The decoder is itself a ByteInput: deflate(deflate(x)) decodes through two
    /// stacked Inflaters, pulling byte by byte.
    func testStackedInflaters() throws {
        let data = try fixture("trained_lstm_int8.tflite")
        let inner = Zlib.deflateRaw(data, level: 9, windowBits: 10, strategy: Z_DEFAULT_STRATEGY)
        let outer = Zlib.deflateRaw(inner, level: 1, windowBits: 12, strategy: Z_FIXED)
        let outerSpace = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Inflater<BufferInput>.workspaceSize(windowBits: 12), alignment: 8)
        let innerSpace = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Inflater<Inflater<BufferInput>>.workspaceSize(windowBits: 10), alignment: 8)
        defer { outerSpace.deallocate(); innerSpace.deallocate() }
        var output: [UInt8] = []
        try outer.withUnsafeBytes { source in
            let first = Inflater(input: BufferInput(source), windowBits: 12, workspace: outerSpace)
            var second = Inflater(input: first, windowBits: 10, workspace: innerSpace)
            while let byte = try second.nextByte() {
                output.append(byte)
            }
            try second.finish()
            XCTAssertEqual(second.input.outputCount, inner.count)
            XCTAssertEqual(second.input.input.position, outer.count)
        }
        XCTAssertTrue(output == data)
    }

    /// Stopping after any byte and continuing later gives the same bytes: the
    /// decoder pulls input only when it needs it and never reads past the stream.
    func testPullsInputLazilyAndStopsAtStreamEnd() throws {
        var rng = TestRNG(state: 3)
        let data = textLike(20_000, &rng)
        let stream = Zlib.deflateRaw(data, level: 9, windowBits: 12, strategy: Z_DEFAULT_STRATEGY)
        let trailer: [UInt8] = [0xDE, 0xAD]
        let space = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Inflater<BufferInput>.workspaceSize(windowBits: 12), alignment: 8)
        defer { space.deallocate() }
        try (stream + trailer).withUnsafeBytes { source in
            var inflater = Inflater(input: BufferInput(source), windowBits: 12, workspace: space)
            var lastPosition = 0
            for i in 0..<data.count {
                XCTAssertEqual(try inflater.nextByte(), data[i])
                let position = inflater.input.position
                XCTAssertGreaterThanOrEqual(position, lastPosition)
                lastPosition = position
            }
            XCTAssertEqual(try inflater.nextByte(), nil)
            XCTAssertEqual(try inflater.nextByte(), nil)
            // Exactly the deflate stream was consumed, not the trailer.
            XCTAssertEqual(inflater.input.position, stream.count)
            XCTAssertEqual(inflater.outputCount, data.count)
        }
    }

    // MARK: Hand-made valid streams (edge cases zlib does not produce)

    func testIncompleteSingleOneBitCodesAreAccepted() {
        // Literal code: 'a','b',EOB,len3 at 2 bits. Distance code: one 1-bit code.
        var lit = [Int](repeating: 0, count: 258)
        lit[97] = 2; lit[98] = 2; lit[256] = 2; lit[257] = 2
        var w = BitWriter()
        let codes = w.dynamicHeader(final: true, literalLengths: lit, distanceLengths: [1])
        w.code(codes.literal[97], 2)
        w.code(codes.literal[98], 2)
        w.code(codes.literal[257], 2)
        w.code(codes.distance[0], 1)
        w.code(codes.literal[256], 2)
        let stream = w.data
        XCTAssertEqual(decode(stream, windowBits: 8).output, Array("abbbb".utf8))
        XCTAssertNil(decode(stream, windowBits: 8).error)
        guard case .ok(let z) = Zlib.inflateRaw(stream) else { return XCTFail("zlib disagrees") }
        XCTAssertEqual(z, Array("abbbb".utf8))

        // Only an end-of-block code (1 bit), no distance codes at all.
        var onlyEnd = [Int](repeating: 0, count: 257)
        onlyEnd[256] = 1
        var w2 = BitWriter()
        let codes2 = w2.dynamicHeader(final: true, literalLengths: onlyEnd, distanceLengths: [0])
        w2.code(codes2.literal[256], 1)
        let decoded = decode(w2.data, windowBits: 8)
        XCTAssertNil(decoded.error)
        XCTAssertEqual(decoded.output, [])
        guard case .ok = Zlib.inflateRaw(w2.data) else { return XCTFail("zlib disagrees") }
    }

    func testMatchWithoutDistanceCodeIsBadSymbol() {
        var lit = [Int](repeating: 0, count: 258)
        lit[97] = 1; lit[256] = 2; lit[257] = 2
        var w = BitWriter()
        let codes = w.dynamicHeader(final: true, literalLengths: lit, distanceLengths: [0])
        w.code(codes.literal[97], 1)
        w.code(codes.literal[257], 2)
        w.bits(0, 16) // whatever follows cannot be a distance code
        let decoded = decode(w.data, windowBits: 8)
        XCTAssertEqual(decoded.error, .inflate(.badSymbol, outputOffset: 1))
        XCTAssertEqual(decoded.output, [97])
        guard case .dataError = Zlib.inflateRaw(w.data) else { return XCTFail("zlib disagrees") }
    }

    /// Distances up to exactly the window are fine; one more is refused.
    func testDistanceAtWindowBoundary() {
        var rng = TestRNG(state: 11)
        let head = randomBytes(300, &rng)
        func stream(distanceSymbol: Int, extra: Int) -> [UInt8] {
            var w = BitWriter()
            w.storedBlock(final: false, head)
            w.blockHeader(final: true, type: 1)
            w.fixedLiteral(257) // length 3
            w.fixedDistance(distanceSymbol)
            w.bits(extra, (distanceSymbol >> 1) - 1)
            w.fixedLiteral(256)
            return w.data
        }
        // Symbol 15: 193 + 6 extra bits; 63 → 256. Symbol 16: 257 + 7 extra bits.
        let ok = decode(stream(distanceSymbol: 15, extra: 63), windowBits: 8)
        XCTAssertNil(ok.error)
        XCTAssertEqual(ok.output, head + head[44..<47])
        let far = decode(stream(distanceSymbol: 16, extra: 0), windowBits: 8)
        XCTAssertEqual(far.error, .inflate(.distanceTooFar(distance: 257, windowSize: 256), outputOffset: 300))
        // With a bigger window the same stream is fine (and zlib agrees).
        let wide = decode(stream(distanceSymbol: 16, extra: 0), windowBits: 9)
        XCTAssertNil(wide.error)
        XCTAssertEqual(wide.output, head + head[43..<46])
        guard case .ok(let z) = Zlib.inflateRaw(stream(distanceSymbol: 16, extra: 0)) else { return XCTFail() }
        XCTAssertEqual(z, wide.output)
    }

    func testOverlappingMatchAndLongestLength() {
        var w = BitWriter()
        w.blockHeader(final: true, type: 1)
        w.fixedLiteral(97)
        w.fixedLiteral(98)
        w.fixedLiteral(257); w.fixedDistance(1)        // len 3, dist 2: "aba"
        w.fixedLiteral(285); w.fixedDistance(0)        // len 258, dist 1
        w.fixedLiteral(284); w.bits(31, 5); w.fixedDistance(3) // 227+31 = 258, dist 4
        w.fixedLiteral(256)
        var expected: [UInt8] = [97, 98]
        for _ in 0..<3 { expected.append(expected[expected.count - 2]) }
        for _ in 0..<258 { expected.append(expected[expected.count - 1]) }
        for _ in 0..<258 { expected.append(expected[expected.count - 4]) }
        let decoded = decode(w.data, windowBits: 8)
        XCTAssertNil(decoded.error)
        XCTAssertEqual(decoded.output, expected)
        guard case .ok(let z) = Zlib.inflateRaw(w.data) else { return XCTFail() }
        XCTAssertEqual(z, expected)
    }

    // MARK: Refusals

    func testTruncatedStreamsReportInputEnded() throws {
        var rng = TestRNG(state: 5)
        let text = textLike(3000, &rng)
        let streams = [
            Zlib.deflateRaw(text, level: 9, windowBits: 15, strategy: Z_DEFAULT_STRATEGY),
            Zlib.deflateRaw(text, level: 6, windowBits: 15, strategy: Z_FIXED),
            Zlib.deflateRaw(Array(text.prefix(700)), level: 0, windowBits: 15, strategy: Z_DEFAULT_STRATEGY),
        ]
        for stream in streams {
            for cut in 0..<stream.count {
                let decoded = decode(Array(stream.prefix(cut)), windowBits: 15)
                XCTAssertEqual(problem(decoded.error), .inputEnded, "cut \(cut) of \(stream.count)")
                XCTAssertTrue(text.starts(with: decoded.output), "cut \(cut): partial output is a prefix")
            }
        }
        // A big one, cut at a few places.
        let big = try fixture("keyword_scrambled_8bit.tflite")
        let stream = Zlib.deflateRaw(big, level: 6, windowBits: 12, strategy: Z_DEFAULT_STRATEGY)
        for cut in stride(from: 1, to: stream.count, by: stream.count / 17) {
            let decoded = decode(Array(stream.prefix(cut)), windowBits: 12, style: .chunks)
            XCTAssertEqual(problem(decoded.error), .inputEnded, "cut \(cut)")
            XCTAssertTrue(big.starts(with: decoded.output))
        }
    }

    func testReservedBlockType() {
        XCTAssertEqual(decode([0x07], windowBits: 8).error, .inflate(.reservedBlockType, outputOffset: 0))
        XCTAssertEqual(decode([0x06], windowBits: 8).error, .inflate(.reservedBlockType, outputOffset: 0))
        var w = BitWriter()
        w.storedBlock(final: false, [0x41])
        w.blockHeader(final: true, type: 3)
        let decoded = decode(w.data, windowBits: 8)
        XCTAssertEqual(decoded.error, .inflate(.reservedBlockType, outputOffset: 1))
        XCTAssertEqual(decoded.output, [0x41])
    }

    func testStoredLengthMismatch() {
        XCTAssertEqual(
            decode([0x01, 0x05, 0x00, 0x00, 0x00], windowBits: 8).error,
            .inflate(.storedLengthMismatch, outputOffset: 0))
        // A real level-0 stream with NLEN corrupted in its second stored block.
        var rng = TestRNG(state: 8)
        let data = randomBytes(70_000, &rng)
        var stream = Zlib.deflateRaw(data, level: 0, windowBits: 15, strategy: Z_DEFAULT_STRATEGY)
        let firstLength = Int(stream[1]) | Int(stream[2]) << 8
        let second = 5 + firstLength
        XCTAssertEqual(stream[second + 1] ^ stream[second + 3], 0xFF)
        stream[second + 3] ^= 0x10
        let decoded = decode(stream, windowBits: 15)
        XCTAssertEqual(decoded.error, .inflate(.storedLengthMismatch, outputOffset: firstLength))
        XCTAssertTrue(decoded.output == Array(data.prefix(firstLength)))
    }

    /// Compressed with a 32 KB window over data that repeats at distance 3000,
    /// decoded with smaller windows: refused with distanceTooFar, never a trap.
    func testDistanceBeyondWindowIsRefused() {
        var rng = TestRNG(state: 21)
        let block = randomBytes(3000, &rng)
        let data = block + block + block
        let stream = Zlib.deflateRaw(data, level: 9, windowBits: 15, strategy: Z_DEFAULT_STRATEGY)
        XCTAssertLessThan(stream.count, 4000, "zlib found the long matches")

        for windowBits in [9, 11] {
            let decoded = decode(stream, windowBits: windowBits)
            guard case .inflate(.distanceTooFar(let distance, let window), let offset)? = decoded.error else {
                XCTFail("wbits \(windowBits): expected distanceTooFar, got \(String(describing: decoded.error))")
                continue
            }
            XCTAssertEqual(window, 1 << windowBits)
            XCTAssertGreaterThan(distance, 1 << windowBits)
            // The first copy is all literals; the first far match comes right after it
            // (zlib may take a literal or two first).
            XCTAssertTrue(offset >= 3000 && offset < 3010, "offset \(offset)")
            XCTAssertTrue(data.starts(with: decoded.output))
        }
        // 4096 covers distance 3000.
        let decoded = decode(stream, windowBits: 12)
        XCTAssertNil(decoded.error)
        XCTAssertTrue(decoded.output == data)
    }

    func testDistanceBeyondOutputIsRefused() {
        var w = BitWriter()
        w.blockHeader(final: true, type: 1)
        w.fixedLiteral(257); w.fixedDistance(0)
        XCTAssertEqual(
            decode(w.data, windowBits: 15).error,
            .inflate(.distanceTooFar(distance: 1, windowSize: 32768), outputOffset: 0))

        var w2 = BitWriter()
        w2.blockHeader(final: true, type: 1)
        w2.fixedLiteral(97); w2.fixedLiteral(98)
        w2.fixedLiteral(257); w2.fixedDistance(2) // distance 3 > 2 bytes so far
        XCTAssertEqual(
            decode(w2.data, windowBits: 15).error,
            .inflate(.distanceTooFar(distance: 3, windowSize: 32768), outputOffset: 2))
        guard case .dataError = Zlib.inflateRaw(w2.data) else { return XCTFail("zlib disagrees") }
    }

    func testInvalidFixedSymbols() {
        for symbol in [286, 287] {
            var w = BitWriter()
            w.blockHeader(final: true, type: 1)
            w.fixedLiteral(120)
            w.fixedLiteral(symbol)
            XCTAssertEqual(decode(w.data, windowBits: 8).error, .inflate(.badSymbol, outputOffset: 1), "\(symbol)")
            guard case .dataError = Zlib.inflateRaw(w.data) else { return XCTFail("zlib disagrees") }
        }
        for symbol in [30, 31] {
            var w = BitWriter()
            w.blockHeader(final: true, type: 1)
            w.fixedLiteral(120)
            w.fixedLiteral(257)
            w.fixedDistance(symbol)
            w.bits(0, 16)
            XCTAssertEqual(decode(w.data, windowBits: 8).error, .inflate(.badSymbol, outputOffset: 1), "\(symbol)")
            guard case .dataError = Zlib.inflateRaw(w.data) else { return XCTFail("zlib disagrees") }
        }
    }

    func testBadCodeLengths() {
        var cases: [(String, [UInt8])] = []
        let plainCL: [Int] = (0..<19).map { $0 <= 15 ? 4 : 0 }
        let repeatCL: [Int] = (0..<19).map { $0 <= 14 ? 4 : ($0 >= 16 ? ($0 == 16 ? 5 : 6) : 0) }
        // 15 × 1/16 + 1/32 + 2 × 1/64 = 1: complete.

        func header(_ lit: Int, _ dist: Int, _ cl: [Int], _ symbols: [(Int, Int)]) -> [UInt8] {
            var w = BitWriter()
            w.dynamicHeader(final: true, literalCount: lit, distanceCount: dist,
                            codeLengthLengths: cl, codeLengthSymbols: symbols)
            return w.data
        }
        func lengths(_ lit: [Int: Int], _ dist: [Int]) -> [UInt8] {
            var l = [Int](repeating: 0, count: 258)
            for (s, n) in lit { l[s] = n }
            var w = BitWriter()
            _ = w.dynamicHeader(final: true, literalLengths: l, distanceLengths: dist)
            return w.data
        }

        cases.append(("HLIT 287", header(287, 1, plainCL, [])))
        cases.append(("HLIT 288", header(288, 1, plainCL, [])))
        cases.append(("HDIST 31", header(257, 31, plainCL, [])))
        cases.append(("HDIST 32", header(257, 32, plainCL, [])))
        cases.append(("CL over-subscribed", header(257, 1, [Int](repeating: 1, count: 19), [])))
        cases.append(("CL incomplete", header(257, 1, (0..<19).map { $0 < 8 ? 4 : 0 }, [])))
        cases.append(("CL single 1-bit code", header(257, 1, (0..<19).map { $0 == 8 ? 1 : 0 }, [])))
        cases.append(("CL all zero", header(257, 1, [Int](repeating: 0, count: 19), [])))
        cases.append(("repeat with no previous length", header(257, 1, repeatCL, [(16, 0)])))
        cases.append(("repeat past the end (18)", header(257, 1, repeatCL, [(18, 127), (18, 127)])))
        cases.append(("repeat past the end (17)", header(257, 1, repeatCL, [(18, 127), (18, 105), (17, 7)])))
        cases.append(("repeat past the end (16)", header(257, 1, repeatCL, [(18, 127), (18, 106), (8, 0), (16, 3)])))
        cases.append(("no end-of-block code", lengths([97: 1, 98: 1], [1])))
        cases.append(("literal code over-subscribed", lengths([97: 1, 98: 1, 256: 1], [1])))
        cases.append(("literal code incomplete", lengths([97: 2, 98: 2, 256: 2], [1])))
        cases.append(("distance code over-subscribed", lengths([97: 1, 256: 1], [1, 1, 1])))
        cases.append(("distance code incomplete", lengths([97: 1, 256: 1], [2, 2, 2])))

        for (label, unpadded) in cases {
            // Padding: zlib reads on through an all-zero code-length code before refusing.
            let stream = unpadded + [UInt8](repeating: 0, count: 64)
            XCTAssertEqual(decode(stream, windowBits: 15).error, .inflate(.badCodeLengths, outputOffset: 0), label)
            guard case .dataError = Zlib.inflateRaw(stream) else {
                XCTFail("\(label): zlib accepts it")
                continue
            }
        }

        // Control: the same writer produces streams both decoders accept.
        var w = BitWriter()
        var lit = [Int](repeating: 0, count: 257)
        lit[97] = 1; lit[256] = 1
        let codes = w.dynamicHeader(final: true, literalLengths: lit, distanceLengths: [1, 1])
        w.code(codes.literal[97], 1); w.code(codes.literal[256], 1)
        XCTAssertEqual(decode(w.data, windowBits: 8).output, [97])
        XCTAssertNil(decode(w.data, windowBits: 8).error)
        // Repeat codes used legally (checked by both decoders): lengths
        // 0...96: 0 (18), 97: 3, 98...100: 3 (16), 101...255: 0 (18, 18),
        // 256: 2, 257: 2, 258...263: 0 (17); one 1-bit distance code.
        var legal = [Int](repeating: 0, count: 264)
        for s in 97...100 { legal[s] = 3 }
        legal[256] = 2; legal[257] = 2
        let legalCodes = canonicalCodes(legal)
        var w2 = BitWriter()
        w2.dynamicHeader(final: true, literalCount: 264, distanceCount: 1, codeLengthLengths: repeatCL,
                         codeLengthSymbols: [(18, 86), (3, 0), (16, 0), (18, 127), (18, 6), (2, 0), (2, 0), (17, 3), (1, 0)])
        w2.code(legalCodes[97], 3)   // 'a'
        w2.code(legalCodes[100], 3)  // 'd'
        w2.code(legalCodes[257], 2)  // length 3
        w2.code(0, 1)                // distance 1
        w2.code(legalCodes[256], 2)  // end of block
        let ours = decode(w2.data, windowBits: 8)
        XCTAssertNil(ours.error)
        XCTAssertEqual(ours.output, Array("adddd".utf8))
        guard case .ok(let z) = Zlib.inflateRaw(w2.data) else { return XCTFail("zlib disagrees") }
        XCTAssertEqual(z, Array("adddd".utf8))
    }

    func testTrailingData() throws {
        var rng = TestRNG(state: 13)
        let data = textLike(5000, &rng)
        let stream = Zlib.deflateRaw(data, level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY)
        XCTAssertNil(decode(stream, windowBits: 15).error)
        let decoded = decode(stream + [0x00], windowBits: 15)
        XCTAssertEqual(decoded.error, .inflate(.trailingData, outputOffset: data.count))
        XCTAssertTrue(decoded.output == data)

        let space = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Inflater<BufferInput>.workspaceSize(windowBits: 15), alignment: 8)
        defer { space.deallocate() }
        try stream.withUnsafeBytes { source in
            // finish() while output remains: refused.
            var early = Inflater(input: BufferInput(source), windowBits: 15, workspace: space)
            for _ in 0..<100 { _ = try early.nextByte() }
            XCTAssertThrowsError(try early.finish()) { error in
                XCTAssertEqual(error as? FormatError, .inflate(.trailingData, outputOffset: 101))
            }
            // After reading exactly the output (but not the end-of-block code yet),
            // finish() reads the rest of the stream and succeeds.
            var exact = Inflater(input: BufferInput(source), windowBits: 15, workspace: space)
            for i in 0..<data.count { XCTAssertEqual(try exact.nextByte(), data[i]) }
            XCTAssertNoThrow(try exact.finish())
            XCTAssertTrue(exact.isFinished)
        }

        // Sync flush then finish: an empty stored block and an empty final block
        // follow the last byte; finish() must consume them.
        let flushed = Zlib.deflateRaw(data, level: 6, windowBits: 15, strategy: Z_DEFAULT_STRATEGY,
                                      chunk: 2500, flush: Z_FULL_FLUSH)
        try flushed.withUnsafeBytes { source in
            var inflater = Inflater(input: BufferInput(source), windowBits: 15, workspace: space)
            for _ in 0..<data.count { _ = try inflater.nextByte() }
            try inflater.finish()
            XCTAssertEqual(inflater.input.position, flushed.count)
        }
    }

    func testErrorsAreSticky() throws {
        var rng = TestRNG(state: 17)
        let data = textLike(2000, &rng)
        let stream = Array(Zlib.deflateRaw(data, level: 9, windowBits: 15, strategy: Z_DEFAULT_STRATEGY).dropLast(3))
        let space = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Inflater<BufferInput>.workspaceSize(windowBits: 15), alignment: 8)
        defer { space.deallocate() }
        try stream.withUnsafeBytes { source in
            var inflater = Inflater(input: BufferInput(source), windowBits: 15, workspace: space)
            var first: FormatError?
            do throws(FormatError) {
                while try inflater.nextByte() != nil {}
            } catch {
                first = error
            }
            XCTAssertEqual(problem(first), .inputEnded)
            XCTAssertThrowsError(try inflater.nextByte()) { XCTAssertEqual($0 as? FormatError, first) }
            XCTAssertThrowsError(try inflater.finish()) { XCTAssertEqual($0 as? FormatError, first) }
        }
    }

    /// Errors thrown by the input come out of the inflater unchanged.
    func testInputErrorsPropagate() throws {
        struct FailingInput: ByteInput {
            var inner: BufferInput
            let failAt: Int
            mutating func nextByte() throws(FormatError) -> UInt8? {
                if inner.position == failAt {
                    throw FormatError.truncated(offset: failAt, needed: 1, available: 0)
                }
                return try inner.nextByte()
            }
        }
        let data = try fixture("hello_world_int8.tflite")
        let stream = Zlib.deflateRaw(data, level: 6, windowBits: 10, strategy: Z_DEFAULT_STRATEGY)
        let space = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Inflater<FailingInput>.workspaceSize(windowBits: 10), alignment: 8)
        defer { space.deallocate() }
        try stream.withUnsafeBytes { source in
            var inflater = Inflater(
                input: FailingInput(inner: BufferInput(source), failAt: stream.count / 2),
                windowBits: 10, workspace: space)
            XCTAssertThrowsError(try { while try inflater.nextByte() != nil {} }()) { error in
                XCTAssertEqual(error as? FormatError, .truncated(offset: stream.count / 2, needed: 1, available: 0))
            }
        }
    }

    // MARK: Fuzzing

    /// Random bytes are (almost surely) not a deflate stream: every seed must be
    /// refused with an error, and nothing may trap.
    func testRandomGarbageIsRefused() {
        var accepted = 0
        var kinds: [String: Int] = [:]
        for seed in 0..<400 {
            var rng = TestRNG(state: UInt64(seed) &* 7919 &+ 1)
            let garbage = randomBytes(Int.random(in: 1...2000, using: &rng), &rng)
            let windowBits = Int.random(in: 8...15, using: &rng)
            let decoded = decode(garbage, windowBits: windowBits, style: seed % 2 == 0 ? .byteByByte : .chunks, seed: UInt64(seed))
            if let p = problem(decoded.error) {
                kinds["\(p)".components(separatedBy: "(").first!, default: 0] += 1
            } else {
                accepted += 1
                XCTFail("seed \(seed): garbage accepted (\(decoded.output.count) bytes)")
            }
        }
        XCTAssertEqual(accepted, 0)
        // The garbage reaches several different checks.
        XCTAssertGreaterThanOrEqual(kinds.count, 4, "\(kinds)")
    }

    /// Mutated real streams, decoded by zlib and by us: same verdict, same output,
    /// same place of failure.
    func testDifferentialAgainstZlibOnMutatedStreams() throws {
        var rng = TestRNG(state: 2024)
        let sources: [[UInt8]] = [
            textLike(6000, &rng),
            try fixture("hello_world_int8.tflite"),
            Array(try fixture("trained_lstm_int8.tflite").prefix(6000)),
        ]
        var tally: [String: Int] = [:]
        for round in 0..<450 {
            let data = sources[round % sources.count]
            let (strategyName, strategy) = strategies[(round / 3) % 3]
            let level: Int32 = [0, 1, 6, 9][(round / 9) % 4]
            var stream = Zlib.deflateRaw(data, level: level, windowBits: 15, strategy: strategy)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: // flip 1...3 bits
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    stream[Int.random(in: 0..<stream.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                }
            case 1: // overwrite a byte
                stream[Int.random(in: 0..<stream.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2: // flip a bit in the first 40 bytes (block headers, code lengths)
                stream[Int.random(in: 0..<min(40, stream.count), using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            default: // insert or delete a byte
                let at = Int.random(in: 0..<stream.count, using: &rng)
                if Bool.random(using: &rng) { stream.insert(UInt8.random(in: 0...255, using: &rng), at: at) } else { stream.remove(at: at) }
            }
            let label = "round \(round) (\(strategyName), level \(level))"
            let ours = decode(stream, windowBits: 15, style: round % 2 == 0 ? .chunks : .byteByByte, seed: UInt64(round))
            switch Zlib.inflateRaw(stream) {
            case .ok(let out):
                tally["ok", default: 0] += 1
                XCTAssertNil(ours.error, label)
                XCTAssertTrue(ours.output == out, label)
            case .trailing(let out):
                tally["trailing", default: 0] += 1
                XCTAssertEqual(ours.error, .inflate(.trailingData, outputOffset: out.count), label)
                XCTAssertTrue(ours.output == out, label)
            case .truncated(let out):
                tally["truncated", default: 0] += 1
                XCTAssertEqual(ours.error, .inflate(.inputEnded, outputOffset: out.count), label)
                XCTAssertTrue(ours.output == out, label)
            case .dataError(let out):
                tally["dataError", default: 0] += 1
                XCTAssertNotNil(ours.error, label)
                XCTAssertNotEqual(problem(ours.error), .inputEnded, label)
                XCTAssertNotEqual(problem(ours.error), .trailingData, label)
                XCTAssertEqual(ours.output.count, out.count, label)
                XCTAssertTrue(ours.output == out, label)
            case .capped:
                tally["capped", default: 0] += 1
            }
        }
        // The mutations hit all verdicts.
        XCTAssertGreaterThan(tally["dataError", default: 0], 50, "\(tally)")
        XCTAssertGreaterThan(tally["ok", default: 0], 10, "\(tally)")
    }

    // MARK: Long stream

    /// All fixtures plus 100 KB of text-like bytes in one stream inflate
    /// exactly, read in one call. Speed is measured by `adapterpack-bench`.
    func testLongMixedStreamInflatesExactly() throws {
        var data: [UInt8] = []
        for name in fixtureNames { data += try fixture(name) }
        var rng = TestRNG(state: 1)
        data += textLike(100_000, &rng)
        let stream = Zlib.deflateRaw(data, level: 6, windowBits: 12, strategy: Z_DEFAULT_STRATEGY)
        let space = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Inflater<BufferInput>.workspaceSize(windowBits: 12), alignment: 8)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count, alignment: 8)
        defer { space.deallocate(); out.deallocate() }
        let n = try stream.withUnsafeBytes { source in
            var inflater = Inflater(input: BufferInput(source), windowBits: 12, workspace: space)
            let n = try inflater.read(into: out)
            try inflater.finish()
            return n
        }
        XCTAssertEqual(n, data.count)
        XCTAssertTrue(data.elementsEqual(out))
    }
}
