import AdapterFormat
import AdapterPack
import ArgumentParser

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace a bundle's signature with one made by another key.",
        discussion: """
        The bundle's section digests and header rules are checked first: a bundle whose sections do not match \
        its table is refused (naming the section), and nothing is written. With --trusted-key the signature \
        being replaced must verify too, so an altered header is not re-signed; without it, a header that \
        declares more RAM window than its sections need is refused, and sign says whose (unchecked) signature \
        it replaces.

        Example:
          adapterpack sign out.apb --signing-key Keys/release.pem --trusted-key Keys/dev-ed25519.pub.pem -o release.apb
        """)

    @Argument(help: "Bundle to sign.") var bundle: String
    @Option(name: [.customLong("signing-key"), .customLong("key")],
            help: "Private key that makes the new signature (PEM; --key is an alias).")
    var signingKey: String
    @Option(help: "Public key(s) the current signature must verify with before it is replaced.")
    var trustedKey: [String] = []
    @Option(name: .shortAndLong, help: "Signed bundle to write (may equal the input).") var output: String

    func run() throws {
        let key = try SigningKey(pemFile: signingKey)
        let keys = trustedKey.isEmpty ? nil : try TrustedKeys(pemFiles: trustedKey)
        let bytes = try FileIO.read(bundle, limit: .modelOrBundle)
        let (parsed, check) = BundleVerification.check(bytes, keys: keys)
        if check.hasProblems {
            throw BundleNotVerified(path: bundle, problems: check.problems + ["not re-signed, nothing was written"])
        }
        if !check.verified, let note = check.notes.first {
            // Legal, but not what adapterpack writes: the header may have been altered.
            throw BundleNotVerified(path: bundle, problems: [
                note, "the header may have been altered; give --trusted-key OLD.pub.pem to check the signature before re-signing",
                "not re-signed, nothing was written"])
        }
        guard let parsed else { throw BundleNotVerified(path: bundle, problems: ["not a readable bundle"]) }
        let signed = try BundleWriter.resign(bytes, key: key, trusted: keys, path: bundle)
        try FileIO.write(signed, to: output)
        let checked = check.verified ? "verified with a trusted key" : "not checked: give --trusted-key OLD.pub.pem to check it"
        print("replaced the signature by key \(parsed.keyIDHex) (\(parsed.algorithmName); \(checked))")
        print("wrote \(output): signed with key id \(hexString(key.verifyingKey.keyID.prefix(8))) (\(key.algorithm))")
    }
}
