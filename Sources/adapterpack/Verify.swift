import AdapterPack
import ArgumentParser
import Foundation

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a bundle's structure, digests and signature with the device loader.",
        discussion: """
        Exits 0 only if the signature verifies against one of the trusted keys and every digest matches.

        Example:
          adapterpack verify out.apb --trusted-key Keys/dev-ed25519.pub.pem --base Examples/digits/base.tflite
        """)

    @Argument(help: "Bundle to check.") var bundle: String
    @Option(name: [.customLong("trusted-key"), .customLong("key")],
            help: "Trusted public key(s), PEM; repeat for several (--key is an alias).")
    var key: [String]
    @Option(help: "Also check that the bundle applies to this model.") var base: String?
    @Option(help: "Device's stored sequence number: older bundles are refused.") var minSequence: UInt64 = 0
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let keys = try TrustedKeys(pemFiles: key)
        let bytes = try FileIO.read(bundle, limit: .modelOrBundle)
        let baseBytes = try base.map { try FileIO.read($0, limit: .modelOrBundle) }
        let h = try HostLoader.verify(bundle: bytes, keys: keys, base: baseBytes, minimumSequence: minSequence)
        if json {
            let object: [String: Any] = [
                "valid": true, "bundle": bundle, "sequence": h.sequence, "keyID": h.keyIDHex, "format": h.major,
                "base": ["sha256": h.baseSHA256.hex, "length": h.baseLength, "checked": base != nil],
                "target": ["sha256": h.targetSHA256.hex, "length": h.targetLength],
                "windowSize": h.windowSize,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(h.major >= 2 ? "\(bundle): OK — signature valid (key id \(h.keyIDHex)), every block matches its digest (format 2)"
                               : "\(bundle): OK — signature valid (key id \(h.keyIDHex)), all section digests match")
            if base != nil { print("  applies to \(base!) (sha256 \(h.baseSHA256.hex))") }
        }
    }
}
