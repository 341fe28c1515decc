import AdapterPack
import ArgumentParser

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a bundle to a base model with the device loader and write the result.")

    @Argument(help: "Bundle to apply.") var bundle: String
    @Option(help: "Base model (.tflite); it is never modified.") var base: String
    @Option(help: "Trusted public key(s), PEM.") var key: [String]
    @Option(name: .shortAndLong, help: "Model file to write.") var output: String
    @Option(help: "RAM window for the loader in bytes (default: the bundle's declared size).") var window: Int?
    @Option(help: "Device's stored sequence number: older bundles are refused.") var minSequence: UInt64 = 0

    func run() throws {
        let keys = try TrustedKeys(pemFiles: key)
        let result = try HostLoader.apply(bundle: try FileAccess.read(bundle), base: try FileAccess.read(base),
                                          keys: keys, window: window, minimumSequence: minSequence)
        try FileAccess.writeAtomically(result.model, to: output)
        print("wrote \(output): \(result.model.count) bytes, sha256 \(result.outcome.modelSHA256.hex) (target verified)")
        print("new device sequence number: \(result.outcome.sequence); re-create the TFLite Micro interpreter after an update")
    }
}

struct Unapply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove a bundle from the model it produced, restoring the base byte for byte.")

    @Argument(help: "Bundle to remove.") var bundle: String
    @Option(help: "The model the bundle produced.") var target: String
    @Option(help: "Trusted public key(s), PEM.") var key: [String]
    @Option(name: .shortAndLong, help: "Model file to write.") var output: String
    @Option(help: "RAM window for the loader in bytes (default: the bundle's declared size).") var window: Int?

    func run() throws {
        let keys = try TrustedKeys(pemFiles: key)
        let result = try HostLoader.unapply(bundle: try FileAccess.read(bundle), target: try FileAccess.read(target),
                                            keys: keys, window: window)
        try FileAccess.writeAtomically(result.model, to: output)
        print("wrote \(output): \(result.model.count) bytes, sha256 \(result.outcome.modelSHA256.hex) (base verified)")
    }
}
