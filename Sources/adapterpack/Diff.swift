import AdapterPack
import ArgumentParser
import Foundation

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a signed bundle that turns one model into another.",
        discussion: """
        Model vs model:   adapterpack diff --base A.tflite --target B.tflite --key K.pem -o out.apb
        Bundle vs bundle: adapterpack diff --from A.apb --to B.apb --base base.tflite --trusted pub.pem --key K.pem -o out.apb
        (the second form makes a bundle that swaps adapter A's model for adapter B's directly).

        Example:
          adapterpack diff --base Examples/digits/base.tflite --target Examples/digits/head-ft.tflite \\
            --signing-key Keys/dev-ed25519.pem -o head-ft.apb
        """)

    @Option(help: "The model the device has (.tflite).") var base: String
    @Option(help: "The model the device should end up with.") var target: String?
    @Option(help: "Bundle whose target is the starting point (bundle-vs-bundle form).") var from: String?
    @Option(help: "Bundle whose target is the goal (bundle-vs-bundle form).") var to: String?
    @Option(help: "Public key(s) that --from/--to bundles must be signed with.") var trusted: [String] = []
    @Option(name: [.customLong("signing-key"), .customLong("key")], help: "Private key that signs the bundle (PEM).") var key: String
    @Option(name: .shortAndLong, help: "Bundle file to write (never one of the inputs).") var output: String
    @Option(parsing: .unconditional, help: "Anti-rollback sequence number (\(Ranges.sequence.allowed); default 1).",
            transform: Ranges.sequence.parse)
    var sequence: UInt64 = 1
    @Option(help: "Name stored in the bundle's metadata.") var name: String?
    @Option(parsing: .unconditional, help: "Largest RAM window the device gives the loader (\(Ranges.diffMaxWindow.allowed); default 8192: one block, the factors, the loader's buffers and an inflater).",
            transform: Ranges.diffMaxWindow.parse)
    var maxWindow: Int = 8192
    @OptionGroup var formatOptions: FormatOptions
    @Option(parsing: .unconditional, help: "Refuse bundles larger than this (\(Ranges.maxBytes.allowed); default 102400).",
            transform: Ranges.maxBytes.parse)
    var maxBytes: Int = 102_400
    @Flag(help: ArgumentHelp("Allow inputs that are not TFLite models: a byte-level bundle of any two files.",
                             discussion: "Without it, a --base or --target the TFLite reader refuses is an error."))
    var raw = false
    @Option(help: ArgumentHelp("A codec the device's loader was built without (deflate, low-rank, layout); repeatable.",
                               discussion: "Matches a loader compiled with -D ADAPTERPACK_NO_DEFLATE, ADAPTERPACK_NO_LOW_RANK or ADAPTERPACK_NO_LAYOUT."))
    var without: [OptionalCodec] = []

    func validate() throws {
        if target == nil && (from == nil || to == nil) {
            throw ValidationError("give --target, or both --from and --to")
        }
        if target != nil && (from != nil || to != nil) {
            throw ValidationError("--target cannot be combined with --from/--to")
        }
        if from != nil && trusted.isEmpty {
            throw ValidationError("--from/--to bundles are verified before use: give --trusted PUBLIC.pem")
        }
        try Ranges.sequence.check(sequence)
        try Ranges.diffMaxWindow.check(maxWindow)
        try Ranges.maxBytes.check(maxBytes)
    }

    func run() throws {
        var inputs = [InputFile(option: "--base", path: base), InputFile(option: "--key", path: key)]
        if let target { inputs.append(InputFile(option: "--target", path: target)) }
        if let from { inputs.append(InputFile(option: "--from", path: from)) }
        if let to { inputs.append(InputFile(option: "--to", path: to)) }
        inputs += trusted.map { InputFile(option: "--trusted", path: $0) }
        try OutputPath.check(output, against: inputs, command: "diff")

        let signingKey = try SigningKey(pemFile: key)
        let baseBytes = try FileIO.read(base, limit: .modelOrBundle)
        try checkModel(baseBytes, "--base \(base)")
        var start = baseBytes, goal: [UInt8]
        if let target {
            goal = try FileIO.read(target, limit: .modelOrBundle)
            try checkModel(goal, "--target \(target)")
        } else {
            let keys = try TrustedKeys(pemFiles: trusted)
            start = try HostLoader.apply(bundle: try FileIO.read(from!, limit: .modelOrBundle), base: baseBytes, keys: keys).model
            try checkModel(start, "the model --from \(from!) makes")
            goal = try HostLoader.apply(bundle: try FileIO.read(to!, limit: .modelOrBundle), base: baseBytes, keys: keys).model
            try checkModel(goal, "the model --to \(to!) makes")
        }
        var options = BundleOptions()
        options.sequence = sequence
        options.name = name
        options.baseFile = fileName(from ?? base)
        options.targetFile = fileName(to ?? target!)
        options.maxWindow = maxWindow
        options.maxBytes = maxBytes
        options.deflate = !without.contains(.deflate)
        options.lowRank = !without.contains(.lowRank)
        options.layout = !without.contains(.layout)
        formatOptions.apply(to: &options)
        let (bundle, plan) = try DiffBundler.bundle(base: start, target: goal, key: signingKey, options: options)
        for note in plan.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        try FileIO.write(bundle, to: output)
        print("wrote \(output): \(bundle.count) bytes (model \(goal.count) bytes, \(plan.sections.tensorMap.count) changed regions, window \(HostLoader.declaredWindow(bundle)) bytes)")
    }

    /// Refuses a model the TFLite reader cannot read, unless --raw asks for a byte-level
    /// bundle; then it says so, since the tensor-aware coding is off.
    func checkModel(_ bytes: [UInt8], _ what: String) throws {
        do throws(TFLiteError) { _ = try TFLiteModel(bytes: bytes) } catch {
            guard raw else {
                throw CLIError("\(what) is not a valid TFLite model (\(error)); nothing was written. "
                    + "Pass --raw to make a byte-level bundle of files that are not models")
            }
            FileHandle.standardError.write(Data("note: \(what) is not a readable TFLite model (\(error)); using a byte-level delta (--raw)\n".utf8))
        }
    }
}

func fileName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

/// Codecs `diff --without` can leave out (a device loader's build options).
enum OptionalCodec: String, ExpressibleByArgument, CaseIterable {
    case deflate
    case lowRank = "low-rank"
    case layout
}
