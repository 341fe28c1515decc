#if canImport(AdapterLoader)
import AdapterFormat
import AdapterLoader
#endif

/// The device's real verification path (header, table, every digest, the
/// built-in Ed25519 verifier with the development key) on a fuzzed bundle:
/// it must refuse or accept within bounded work, and anything it accepts
/// must be a bundle whose digests all match (checked again here).
enum VerifyCheck {
    /// Keys/dev-ed25519.pub.pem, raw (development key only).
    static let devKey: [UInt8] = [0x2e,0xd8,0x6b,0x54,0x1e,0x22,0x89,0x87,0x72,0xe2,0x4c,0xe1,0x82,0x7d,0xfc,0x4b,0x1d,0x60,0x2f,0x8a,0x78,0x38,0x1e,0x74,0x63,0xca,0x2d,0x6e,0xce,0xfd,0x8c,0xf3]

    static func run(_ input: [UInt8]) throws(InvariantViolation) {
        guard input.count <= BundleLoadCheck.maxInput else { return }
        let window = UnsafeMutableRawBufferPointer.allocate(byteCount: WindowLayout.maximum, alignment: 8)
        defer { window.deallocate() }
        let accepted: VerifiedBundle? = devKey.withUnsafeBytes { key in
            input.withUnsafeBytes { raw in
                let loader = BundleLoader(source: MemoryBundleSource(bytes: raw, maxChunk: 97),
                                          verifier: Ed25519Verifier(publicKey: key), window: window)
                return try? loader.verify()
            }
        }
        guard let accepted else { return }
        var index = 0
        while let entry = accepted.table.entry(at: index), entry.kind != .signature {
            let stored = input[Int(entry.offset) ..< Int(entry.offset) + Int(entry.storedLength)]
            guard stored.withUnsafeBytes({ SHA256.hash($0) }) == entry.digest else {
                throw InvariantViolation(description: "verify accepted section \(index) whose digest does not match")
            }
            index += 1
        }
    }
}
