#if canImport(AdapterLoader)
import AdapterFormat
import AdapterLoader
#endif

/// The device's real verification path on a fuzzed bundle: the streaming
/// loader's `.verify` operation (front checks, the built-in Ed25519 verifier
/// with the development key over SHA-256(front ‖ block 0), then every block
/// against the digest its predecessor names, and every record decoded
/// without a model), fed in 97-byte pieces (odd-length inputs) or pulled
/// from a memory source in 37-byte reads (even-length ones). It must refuse or accept
/// within bounded work, and a bundle it accepts must be one whose chain of
/// digests holds from block 0 to exactly the bundle's end (checked again here).
enum VerifyCheck {
    /// Keys/dev-ed25519.pub.pem, raw (development key only).
    static let devKey: [UInt8] = [0x2e,0xd8,0x6b,0x54,0x1e,0x22,0x89,0x87,0x72,0xe2,0x4c,0xe1,0x82,0x7d,0xfc,0x4b,0x1d,0x60,0x2f,0x8a,0x78,0x38,0x1e,0x74,0x63,0xca,0x2d,0x6e,0xce,0xfd,0x8c,0xf3]
    static let piece = 97

    static func run(_ input: [UInt8]) throws(InvariantViolation) {
        _ = try accepts(input)
    }

    /// Whether the loader accepted `input` (the invariant held either way).
    static func accepts(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        guard input.count <= BundleLoadCheck.maxInput else { return false }
        let declared = input.withUnsafeBytes { try? StreamHeader(parsing: $0) }
        // The window the front declares, as an exact-size allocation.
        let window = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(WindowLayout.fixed, Int(declared?.windowSize ?? 0)), alignment: 8)
        // `.verify` never touches the store.
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 8)
        defer { window.deallocate(); memory.deallocate() }
        window.initializeMemory(as: UInt8.self, repeating: 0xA5)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        let accepted: StreamHeader? = devKey.withUnsafeBytes { key in
            input.withUnsafeBytes { raw in
                var loader = StreamLoader(.verify, store: RAMStore(memory: memory, length: 0),
                                          verifier: Ed25519Verifier(publicKey: key), window: window)
                do throws(LoaderError) {
                    if raw.count % 2 == 0 {
                        // The pull interface (the C API's): 37-byte reads through its 64-byte buffer.
                        try loader.pull(from: MemoryBundleSource(bytes: raw, maxChunk: 37))
                    } else {
                        var position = 0
                        while position < raw.count {
                            let stop = min(raw.count, position + piece)
                            try loader.feed(UnsafeRawBufferPointer(rebasing: raw[position ..< stop]), at: position)
                            position = stop
                        }
                    }
                    return try loader.finishVerify()
                } catch { return nil }
            }
        }
        guard let accepted else { return false }
        guard accepted == declared, Int(accepted.bundleLength) == input.count else {
            throw InvariantViolation(description: "verify accepted a bundle whose front is not what it declares")
        }
        // The chain, walked again: each trailer names the next block's length and SHA-256.
        var offset = StreamHeader.firstBlockOffset
        var length = Int(accepted.firstBlockLength)
        var block = 0
        while true {
            guard length >= 1, length <= accepted.blockLimit, offset + length <= input.count else {
                throw InvariantViolation(description: "verify accepted block \(block) of length \(length) at \(offset)")
            }
            let end = offset + length
            if end == input.count { return true }
            guard length >= BlockTrailer.size else {
                throw InvariantViolation(description: "verify accepted block \(block) too short for its trailer")
            }
            let trailer = input[(end - BlockTrailer.size) ..< end].withUnsafeBytes { BlockTrailer.parse($0) }
            let nextEnd = end + Int(trailer.length)
            guard trailer.length >= 1, nextEnd <= input.count,
                  input[end ..< nextEnd].withUnsafeBytes({ SHA256.hash($0) }) == trailer.digest else {
                throw InvariantViolation(description: "verify accepted block \(block + 1), which its predecessor's trailer does not name")
            }
            offset = end
            length = Int(trailer.length)
            block += 1
        }
    }
}
