import AdapterPack
import ArgumentParser

/// The algorithms `keygen --algorithm` accepts (aliases: p-256, ecdsa-p256).
enum KeyAlgorithm: String, ExpressibleByArgument, CaseIterable {
    case ed25519
    case p256

    init?(argument: String) {
        switch argument.lowercased() {
        case "ed25519": self = .ed25519
        case "p256", "p-256", "ecdsa-p256": self = .p256
        default: return nil
        }
    }

    var algorithm: SignatureAlgorithm { self == .ed25519 ? .ed25519 : .ecdsaP256SHA256 }
}

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a new signing key (NAME.pem) and its public key (NAME.pub.pem).",
        discussion: """
        Example:
          adapterpack keygen -o Keys/release.pem --algorithm p256
        """)

    @Option(name: .shortAndLong, help: "Private key file to write, e.g. Keys/dev.pem.")
    var output: String

    @Option(help: "ed25519 (default) or p256 (ECDSA P-256, for MCU crypto hardware).")
    var algorithm: KeyAlgorithm = .ed25519

    func run() throws {
        let key = try SigningKey.generate(algorithm.algorithm)
        let paths = try KeyFiles.writeKeyPair(key, to: output)
        print("wrote \(paths.privatePath) (private, keep secret) and \(paths.publicPath) (public)")
        print("key id \(hexString(key.verifyingKey.keyID))")
    }
}
