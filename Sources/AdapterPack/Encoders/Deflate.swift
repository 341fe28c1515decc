import CZlib

/// Raw RFC 1951 deflate through zlib, with a chosen history window so the
/// device's inflater fits in the bundle's RAM window.
public enum Deflate {
    /// Compresses `input` as a raw deflate stream (no zlib header).
    /// zlib cannot write a 256-byte window, so `windowBits` is 9...15.
    public static func compress(_ input: [UInt8], windowBits: Int, level: Int32 = 9) -> [UInt8] {
        precondition((9 ... 15).contains(windowBits))
        var stream = z_stream()
        let status = deflateInit2_(&stream, level, Z_DEFLATED, -Int32(windowBits), 9, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
        var mutableInput = input
        let produced: Int = mutableInput.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                let result = deflate(&stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "deflate did not finish: \(result)")
                return outBuf.count - Int(stream.avail_out)
            }
        }
        return Array(output[0 ..< produced])
    }

    /// zlib-format (RFC 1950) compression of a whole file, for size comparisons.
    public static func zlibSize(_ input: [UInt8], level: Int32 = 9) -> Int {
        var destLength = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(destLength))
        let status = compress2(&output, &destLength, input, uLong(input.count), level)
        precondition(status == Z_OK)
        return Int(destLength)
    }
}
