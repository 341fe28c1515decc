import AdapterFormat
import AdapterPack
import ArgumentParser

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a bundle's front, blocks, records, changed tensors and signature, and what was verified.",
        discussion: """
        Every block digest and the front and record rules are checked; the first line says \
        "verified: signed by key ID" only when the signature verified against a --trusted-key, and \
        "NOT VERIFIED: …" otherwise (in --json: the "verification" object). A digest, rule or signature \
        failure exits 1 and writes no --signed-message/--signature file.

        Example:
          adapterpack inspect out.apb --trusted-key Keys/dev-ed25519.pub.pem
          adapterpack inspect out.apb --json --signed-message M --signature S
        """)

    @Argument(help: "Bundle to show.") var bundle: String
    @Flag(help: "Print JSON (the format of Spec/vectors/*.json).") var json = false
    @Option(name: [.customLong("trusted-key"), .customLong("key")],
            help: "Trusted public key(s), PEM: verify the signature (--key is an alias).")
    var trustedKey: [String] = []
    @Option(help: "Write the exact signed message (64 bytes) to this file.") var signedMessage: String?
    @Option(help: "Write the raw 64-byte signature to this file.") var signature: String?

    func run() throws {
        let keys = trustedKey.isEmpty ? nil : try TrustedKeys(pemFiles: trustedKey)
        let bytes = try FileIO.read(bundle, limit: .modelOrBundle)
        let (parsed, verification) = BundleVerification.check(bytes, keys: keys)
        guard let parsed, let description = try? BundleDescription(parsed, verification: verification) else {
            // The structure cannot be read (the check says why): show what was checked.
            for problem in verification.problems { print("NOT VERIFIED: \(problem)") }
            throw BundleNotVerified(path: bundle, problems: verification.problems)
        }
        print(json ? description.json() : description.text(), terminator: "")
        if verification.hasProblems { throw BundleNotVerified(path: bundle, problems: verification.problems) }
        if let signedMessage { try FileIO.write(parsed.signedMessage, to: signedMessage) }
        if let signature { try FileIO.write(Array(parsed.signature), to: signature) }
    }
}
