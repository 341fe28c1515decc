import AdapterPack
import ArgumentParser
import Foundation

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a signed bundle from a PEFT LoRA adapter; the device expands it in fixed-point.",
        discussion: """
        adapterpack build --base base.tflite --adapter ADAPTER_DIR [--map tensor_map.json] --key K.pem -o out.apb
        ADAPTER_DIR holds adapter_config.json and adapter_model.safetensors (F32, F16 or BF16); Linear, Conv1d
        and Conv2d modules (PEFT's layouts; depthwise convolutions are refused). Without --map, each module is
        matched to the only int8 tensor of its shape ([out, in], or [out, kh, kw, in] for a convolution);
        ambiguous shapes are refused.
        A bundle that rescales rows (their int8 range overflows) is one-way: the device's model keeps the base's
        length, unapply refuses it, and build also writes its restore bundle (target → base; --restore, default
        OUT.restore.apb) for the server to send when the adapter is removed. --reversible keeps the base bytes of
        rescaled rows behind the model instead (unapply works on the device alone; the model grows).

        Example:
          adapterpack build --base Examples/digits/base.tflite --adapter Examples/digits/lora-adapter \\
            --map Examples/digits/lora-adapter/tensor_map.json --signing-key Keys/dev-ed25519.pem -o lora-adapter.apb
        """)

    @Option(help: "The model the device has (.tflite).") var base: String
    @Option(help: "PEFT adapter directory (adapter_config.json, adapter_model.safetensors).") var adapter: String
    @Option(help: "tensor_map.json: which base tensor each module adapts.") var map: String?
    @Option(name: [.customLong("signing-key"), .customLong("key")], help: "Private key that signs the bundle (PEM).") var key: String
    @Option(name: .shortAndLong, help: "Bundle file to write (never one of the inputs).") var output: String
    @Option(parsing: .unconditional, help: "Refuse bundles larger than this (\(Ranges.maxBytes.allowed); default 102400).",
            transform: Ranges.maxBytes.parse)
    var maxBytes: Int = 102_400
    @Option(parsing: .unconditional, help: "Largest RAM window the device gives the loader (\(Ranges.buildMaxWindow.allowed); default 8192: one block, the factors, the loader's buffers and an inflater).",
            transform: Ranges.buildMaxWindow.parse)
    var maxWindow: Int = 8192
    @OptionGroup var formatOptions: FormatOptions
    @Option(parsing: .unconditional,
            help: "Truncate every module to this rank (best low-rank approximation) before quantizing; 1 up to the adapter's rank.",
            transform: Ranges.rank.parse)
    var rank: Int?
    @Option(parsing: .unconditional,
            help: "Quantize every module's factors to this many bits (\(Ranges.factorBits.allowed); default 8, exact): fewer bits code smaller and change the model more.",
            transform: Ranges.factorBits.parse)
    var factorBits: Int?
    @OptionGroup var accuracy: GuardOptions
    @Flag(help: "Keep the base bytes of rescaled rows behind the model so that unapply works without a restore bundle (the model grows).")
    var reversible = false
    @Option(help: "Where to write the restore bundle of a one-way bundle (default: OUTPUT with .restore.apb).")
    var restore: String?
    @Option(parsing: .unconditional,
            help: "With --reversible: merge backups of rescaled rows closer than this many bytes (fewer bundle bytes, more flash; \(Ranges.backupMergeGap.allowed); default \(LoRAPlanner.defaultMergeGap)).",
            transform: Ranges.backupMergeGap.parse)
    var backupMergeGap: Int = LoRAPlanner.defaultMergeGap
    @Option(parsing: .unconditional, help: "Anti-rollback sequence number (\(Ranges.sequence.allowed); default 1).",
            transform: Ranges.sequence.parse)
    var sequence: UInt64 = 1
    @Option(help: "Name stored in the bundle's metadata.") var name: String?
    @Flag(help: "Build even though --base's file name is not the base model adapter_config.json names (base_model_name_or_path).")
    var ignoreBaseName = false

    func validate() throws {
        try Ranges.maxBytes.check(maxBytes)
        try Ranges.buildMaxWindow.check(maxWindow)
        try Ranges.rank.check(rank)
        try Ranges.factorBits.check(factorBits)
        if accuracy.maxAccuracyDrop != nil, factorBits != nil {
            throw ValidationError("--factor-bits and --max-accuracy-drop both choose the factor width: give one")
        }
        try Ranges.backupMergeGap.check(backupMergeGap)
        try Ranges.sequence.check(sequence)
    }

    func run() throws {
        var inputs = [InputFile(option: "--base", path: base), InputFile(option: "--key", path: key),
                      InputFile(option: "--adapter", path: adapter + "/adapter_config.json"),
                      InputFile(option: "--adapter", path: adapter + "/adapter_model.safetensors")]
        if let map { inputs.append(InputFile(option: "--map", path: map)) }
        inputs += accuracy.inputs
        try OutputPath.check(output, against: inputs, command: "build")
        let restorePath = restore ?? Self.restorePath(for: output)
        guard !reversible || restore == nil else { throw CLIError("--restore names the restore bundle of a one-way bundle; --reversible makes none") }
        if !reversible {
            guard restorePath != output else { throw CLIError("--restore \(restorePath) is also the bundle's --output: give another file") }
            try OutputPath.check(restorePath, against: inputs, command: "build")
        }

        let signingKey = try SigningKey(pemFile: key)
        let baseBytes = try FileIO.read(base, limit: .modelOrBundle)
        let peft = try PEFTAdapter(directory: adapter)
        try checkBaseName(peft.config)
        if let rank, let top = peft.modules.map(\.rank).max(), rank > top {
            let ranks = peft.modules.map { "\($0.name) \($0.rank)" }.joined(separator: ", ")
            throw CLIError("--rank \(rank) is above the adapter's rank \(top) (\(ranks)); --rank can only lower it: give 1…\(top)")
        }
        let mapData = try map.map { Data(try FileIO.read($0, limit: .json)) }
        var options = BundleOptions()
        options.sequence = sequence
        options.name = name
        options.baseFile = fileName(base)
        options.maxBytes = maxBytes
        options.maxWindow = maxWindow
        options.backupMergeGap = backupMergeGap
        options.keepBaseRows = reversible
        formatOptions.apply(to: &options)
        let result: LoRABuildResult
        if let maxAccuracyDrop = accuracy.maxAccuracyDrop, let accuracyGuard = accuracy.accuracyGuard {
            result = try guardedBuild(base: baseBytes, peft: peft, map: mapData, key: signingKey, options: options,
                                      maxDrop: maxAccuracyDrop, accuracyGuard: accuracyGuard)
        } else {
            result = try LoRABundler.build(base: baseBytes, adapter: peft, map: mapData, key: signingKey,
                                           options: options, rank: rank, mapName: map ?? "tensor_map.json",
                                           bits: Dictionary(uniqueKeysWithValues: peft.modules.map {
                                               ($0.name, factorBits.map { FactorBits(a: $0, b: $0) } ?? .exact) }))
        }
        try FileIO.write(result.bundle, to: output)
        if let restoreBundle = result.restore {
            // Both files or neither: a one-way bundle without its restore bundle would strand devices.
            do { try FileIO.write(restoreBundle, to: restorePath) } catch {
                try? FileManager.default.removeItem(atPath: output)
                throw error
            }
        }
        for m in result.plan.modules {
            print("module \(m.module): rank \(m.rank), \(m.rows)×\(m.columns), matched by \(m.matchedBy); "
                + "\(m.saturatingWeights) weights would saturate, \(m.rescaledRows) rows rescaled, largest change \(m.largestDelta) steps")
        }
        let sections = result.sections.map { "\($0.kind) \($0.bytes)" }.joined(separator: ", ")
        print("sections: \(sections)")
        let growth = result.plan.backupBytes > 0
            ? "base \(baseBytes.count) + \(result.plan.backupBytes) bytes of rescaled rows kept for unapply"
            : "the base's length"
        print("wrote \(output): \(result.bundle.count) bytes for \(result.factorValues) factor values, window \(result.window) bytes; "
            + "target \(result.target.count) bytes (\(growth))")
        if let restoreBundle = result.restore {
            print("wrote \(restorePath): \(restoreBundle.count) bytes, the restore bundle (target → base): the bundle is one-way, "
                + "unapply refuses it; send this one to remove the adapter")
        }
    }

    /// The accuracy-guarded search; prints each candidate and the choice.
    func guardedBuild(base: [UInt8], peft: PEFTAdapter, map: Data?, key: SigningKey, options: BundleOptions,
                      maxDrop: Double, accuracyGuard: AccuracyGuard) throws -> LoRABuildResult {
        let referenceBytes = try accuracy.referenceBytes()
        let dataName = accuracy.dataName
        let guarded = try GuardedLoRABuild.build(
            base: base, adapter: peft, map: map, key: key, options: options, rank: rank, mapName: self.map ?? "tensor_map.json",
            guard: accuracyGuard, maxDrop: maxDrop, reference: referenceBytes, dataName: dataName,
            describe: { bits, _, _ in
                let widths = bits.keys.sorted().map { "\($0) \(bits[$0]!)" }.joined(separator: ", ")
                return "accuracy-guarded factor bits \(widths)"
            },
            progress: { t in
                print("  \(t.module) \(t.bits) at rank \(t.rank): \(t.bytes) bytes, accuracy \(GuardedBuildError.points(t.accuracy))"
                    + (t.kept ? " (kept)" : ""))
            })
        let widths = peft.modules.map { m in
            "\(m.name) \(guarded.bits[m.name]!)" + (guarded.ranks[m.name].map { " at rank \($0)" } ?? "")
        }.joined(separator: ", ")
        let points = GuardedBuildError.points
        let referenceName = accuracy.reference.map { fileName($0) } ?? "the exact bundle's model"
        let exact = "exact \(guarded.exactBytes) bytes at \(points(guarded.exactAccuracy))"
        let drop = "drop \(GuardedBuildError.drop(guarded.reference - guarded.accuracy)), allowed \(GuardedBuildError.drop(maxDrop))"
        print("accuracy guard (TFLM, \(dataName)): reference \(points(guarded.reference)) (\(referenceName)), \(exact); "
            + "chosen: factor bits \(widths), \(guarded.result.bundle.count) bytes at \(points(guarded.accuracy)) (\(drop))")
        return guarded.result
    }

    /// OUTPUT.apb → OUTPUT.restore.apb (any other name: + ".restore.apb").
    static func restorePath(for output: String) -> String {
        (output.hasSuffix(".apb") ? String(output.dropLast(4)) : output) + ".restore.apb"
    }

    /// A PEFT adapter only fits the model it was trained on. When adapter_config.json
    /// names a .tflite file as its base, --base must be a file of that name
    /// (--ignore-base-name when it is the same model under another name).
    func checkBaseName(_ config: PEFTConfig) throws {
        guard !ignoreBaseName, let named = config.baseModel, named.lowercased().hasSuffix(".tflite") else { return }
        guard fileName(named) != fileName(base) else { return }
        throw CLIError("adapter_config.json in \(adapter) names base model '\(named)' (base_model_name_or_path), but --base is "
            + "\(base); an adapter only fits the model it was trained on. Give that model, or --ignore-base-name if "
            + "\(fileName(base)) is the same model under another name")
    }
}
