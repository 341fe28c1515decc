import AdapterFormat
import AdapterPack
import ArgumentParser

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a bundle's header, sections, changed tensors and signature.")

    @Argument(help: "Bundle to show.") var bundle: String
    @Flag(help: "Print JSON (the format of Spec/vectors/*.json).") var json = false
    @Option(help: "Write the exact signed message (96 bytes) to this file.") var signedMessage: String?
    @Option(help: "Write the raw 64-byte signature to this file.") var signature: String?

    func run() throws {
        let parsed = try ParsedBundle(bytes: try FileIO.read(bundle, limit: .modelOrBundle))
        let description = try BundleDescription(parsed)
        print(json ? description.json() : description.text(), terminator: "")
        if let signedMessage {
            let content = Array(parsed.bytes[0 ..< parsed.table.signedLength])
            try FileIO.write(BundleWriter.signedMessage(content: content, keyID: parsed.signature.keyID),
                             to: signedMessage)
        }
        if let signature {
            try FileIO.write(parsed.signature.withSignatureBytes { Array($0) }, to: signature)
        }
    }
}
