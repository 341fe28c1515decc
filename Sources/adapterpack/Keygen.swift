import AdapterPack
import ArgumentParser

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a new signing key (NAME.pem) and its public key (NAME.pub.pem).")

    @Option(name: .shortAndLong, help: "Private key file to write, e.g. Keys/dev.pem.")
    var output: String

    @Option(help: "ed25519 (default) or p256 (ECDSA P-256, for MCU crypto hardware).")
    var algorithm: String = "ed25519"

    func run() throws {
        let alg: SignatureAlgorithm
        switch algorithm.lowercased() {
        case "ed25519": alg = .ed25519
        case "p256", "p-256", "ecdsa-p256": alg = .ecdsaP256SHA256
        default: throw ValidationError("unknown --algorithm '\(algorithm)': use ed25519 or p256")
        }
        let key = try SigningKey.generate(alg)
        let paths = try KeyFiles.writeKeyPair(key, to: output)
        print("wrote \(paths.privatePath) (private, keep secret) and \(paths.publicPath) (public)")
        print("key id \(hexString(key.verifyingKey.keyID))")
    }
}
