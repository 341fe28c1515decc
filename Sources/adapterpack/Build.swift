import AdapterPack
import ArgumentParser
import Foundation

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a signed bundle from a PEFT LoRA adapter; the device expands it in fixed-point.",
        discussion: """
        adapterpack build --base base.tflite --adapter ADAPTER_DIR [--map tensor_map.json] --key K.pem -o out.apb
        ADAPTER_DIR holds adapter_config.json and adapter_model.safetensors (F32, F16 or BF16). Without --map,
        each module is matched to the only int8 tensor of its shape [out, in]; ambiguous shapes are refused.
        """)

    @Option(help: "The model the device has (.tflite).") var base: String
    @Option(help: "PEFT adapter directory (adapter_config.json, adapter_model.safetensors).") var adapter: String
    @Option(help: "tensor_map.json: which base tensor each module adapts.") var map: String?
    @Option(help: "Private key that signs the bundle (PEM).") var key: String
    @Option(name: .shortAndLong, help: "Bundle file to write.") var output: String
    @Option(help: "Refuse bundles larger than this (bytes).") var maxBytes: Int = 102_400
    @Option(help: "Largest RAM window the device gives the loader (bytes).") var maxWindow: Int = 4096
    @Option(help: "Truncate every module to this rank (best low-rank approximation) before quantizing.") var rank: Int?
    @Option(help: "Merge backups of rescaled rows closer than this many bytes (fewer bundle bytes, more flash).")
    var backupMergeGap: Int = LoRAPlanner.defaultMergeGap
    @Option(help: "Anti-rollback sequence number.") var sequence: UInt64 = 1
    @Option(help: "Name stored in the bundle's metadata.") var name: String?

    func validate() throws {
        if maxWindow < 512 + 512 { throw ValidationError("--max-window must be at least 1024 bytes (fixed buffers and the LoRA factor buffer)") }
        if let rank, rank < 1 { throw ValidationError("--rank must be at least 1") }
        if backupMergeGap < 0 { throw ValidationError("--backup-merge-gap must not be negative") }
    }

    func run() throws {
        let signingKey = try SigningKey(pemFile: key)
        let baseBytes = try FileIO.read(base, limit: .modelOrBundle)
        let peft = try PEFTAdapter(directory: adapter)
        let mapData = try map.map { Data(try FileIO.read($0, limit: .json)) }
        var options = BundleOptions()
        options.sequence = sequence
        options.name = name
        options.baseFile = fileName(base)
        options.maxBytes = maxBytes
        options.maxWindow = maxWindow
        options.backupMergeGap = backupMergeGap
        let result = try LoRABundler.build(base: baseBytes, adapter: peft, map: mapData, key: signingKey,
                                           options: options, rank: rank)
        try FileIO.write(result.bundle, to: output)
        for m in result.plan.modules {
            print("module \(m.module): rank \(m.rank), \(m.rows)×\(m.columns), matched by \(m.matchedBy); "
                + "\(m.saturatingWeights) weights would saturate, \(m.rescaledRows) rows rescaled, largest change \(m.largestDelta) steps")
        }
        let sections = result.sections.map { "\($0.kind) \($0.bytes)" }.joined(separator: ", ")
        print("sections: \(sections)")
        print("wrote \(output): \(result.bundle.count) bytes for \(result.factorValues) factor values, window \(result.window) bytes; "
            + "target \(result.target.count) bytes (base \(baseBytes.count) + \(result.plan.backupBytes) bytes of rescaled rows kept for unapply)")
    }
}
