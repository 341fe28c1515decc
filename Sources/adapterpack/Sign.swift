import AdapterPack
import ArgumentParser

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Replace a bundle's signature with one made by another key.")

    @Argument(help: "Bundle to sign.") var bundle: String
    @Option(help: "Private key (PEM).") var key: String
    @Option(name: .shortAndLong, help: "Signed bundle to write (may equal the input).") var output: String

    func run() throws {
        let signingKey = try SigningKey(pemFile: key)
        let signed = try BundleWriter.resign(try FileIO.read(bundle, limit: .modelOrBundle), key: signingKey)
        try FileIO.write(signed, to: output)
        print("wrote \(output): signed with key id \(hexString(signingKey.verifyingKey.keyID))")
    }
}
