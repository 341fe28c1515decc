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
        Lossy (full fine-tunes too large to send exactly): add --lossy --max-accuracy-drop D --eval DATA.npz.
        Each changed weight tensor may go as a low-rank approximation of its change (truncated SVD, rank and
        factor width chosen per tensor), biases, scales and small tensors exactly; the smallest bundle whose
        patched model, run by TensorFlow Lite Micro on DATA, stays within D of the reference (default --target)
        is written, its measured accuracy in its metadata. The device's model is that approximation.

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
    @Flag(help: "Send an approximation of the change that keeps accuracy (needs --max-accuracy-drop and --eval).")
    var lossy = false
    @OptionGroup var accuracy: GuardOptions
    @Option(help: "With --lossy: where to write the restore bundle (default: OUTPUT with .restore.apb); a lossy bundle is one-way.")
    var restore: String?

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
        if lossy && accuracy.maxAccuracyDrop == nil {
            throw ValidationError("--lossy needs --max-accuracy-drop D and --eval DATA.npz: the guard decides how far the approximation may go")
        }
        if !lossy && accuracy.maxAccuracyDrop != nil {
            throw ValidationError("--max-accuracy-drop guards an approximation: add --lossy (diff is exact without it)")
        }
        if lossy && raw { throw ValidationError("--lossy approximates model tensors; it cannot be combined with --raw") }
        if lossy && without.contains(.lowRank) {
            throw ValidationError("--lossy sends low-rank predictions (the lowRankResidual operation), which a loader built without low-rank cannot apply: drop --without low-rank or --lossy")
        }
        if !lossy && restore != nil { throw ValidationError("--restore names the restore bundle of a --lossy bundle (an exact diff unapplies by itself)") }
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
        inputs += accuracy.inputs
        try OutputPath.check(output, against: inputs, command: "diff")
        let restorePath = restore ?? Build.restorePath(for: output)
        if lossy {
            guard restorePath != output else { throw CLIError("--restore \(restorePath) is also the bundle's --output: give another file") }
            try OutputPath.check(restorePath, against: inputs, command: "diff")
        }

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
        if lossy, let maxDrop = accuracy.maxAccuracyDrop, let accuracyGuard = accuracy.accuracyGuard {
            try lossyDiff(base: start, target: goal, key: signingKey, options: options, maxDrop: maxDrop, accuracyGuard: accuracyGuard,
                          restorePath: restorePath)
            return
        }
        let (bundle, plan) = try DiffBundler.bundle(base: start, target: goal, key: signingKey, options: options)
        for note in plan.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        try FileIO.write(bundle, to: output)
        print("wrote \(output): \(bundle.count) bytes (model \(goal.count) bytes, \(plan.sections.tensorMap.count) changed regions, window \(HostLoader.declaredWindow(bundle)) bytes)")
    }

    /// `--lossy`: the guarded search, each candidate printed, then the choice.
    func lossyDiff(base: [UInt8], target: [UInt8], key: SigningKey, options: BundleOptions, maxDrop: Double,
                   accuracyGuard: AccuracyGuard, restorePath: String) throws {
        let points = GuardedBuildError.points
        let result = try LossyDiffBundler.bundle(
            base: base, target: target, key: key, options: options, guard: accuracyGuard, maxDrop: maxDrop,
            reference: try accuracy.referenceBytes(), dataName: accuracy.dataName,
            progress: { t in print("  \(t.tensor) \(t.choice): \(t.bytes) bytes, accuracy \(points(t.accuracy))\(t.kept ? " (kept)" : "")") })
        try FileIO.write(result.bundle, to: output)
        if let restoreBundle = result.restore {
            // Both files or neither.
            do { try FileIO.write(restoreBundle, to: restorePath) } catch {
                try? FileManager.default.removeItem(atPath: output)
                throw error
            }
        }
        for layer in result.layers {
            let misses = layer.tolerance.map { $0 == .max ? "" : ", misses over \($0) steps sent" } ?? ""
            let how = layer.rank.map { "rank \($0), \(layer.bits) factors, \(String(format: "%.1f", 100 * layer.energy)) % of ‖ΔW‖²\(misses)" }
                ?? "exact"
            print("tensor \(layer.name) \(layer.rows)×\(layer.columns): \(how)")
        }
        let referenceName = accuracy.reference.map { fileName($0) } ?? "--target"
        print("accuracy guard (TFLM, \(accuracy.dataName)): reference \(points(result.reference)) (\(referenceName)); "
            + "patched model \(points(result.accuracy)) (drop \(GuardedBuildError.drop(result.reference - result.accuracy)), "
            + "allowed \(GuardedBuildError.drop(maxDrop)))")
        let what = result.layers.allSatisfy({ $0.rank == nil })
            ? "exact: no approximation kept the guard in a \(options.maxWindow)-byte window (factor blocks stay in the device's window; --max-window)"
            : "lossy: the device's model is an approximation of --target, sha256 \(sha256(result.model).hex)"
        print("wrote \(output): \(result.bundle.count) bytes (\(what)), window \(HostLoader.declaredWindow(result.bundle)) bytes")
        if let restoreBundle = result.restore {
            print("wrote \(restorePath): \(restoreBundle.count) bytes, the restore bundle (that model → base): the bundle is one-way, "
                + "unapply refuses it; send this one to remove the adapter")
        }
        if let problem = result.restoreProblem { FileHandle.standardError.write(Data("warning: \(problem)\n".utf8)) }
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
