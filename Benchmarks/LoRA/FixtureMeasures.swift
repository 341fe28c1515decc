import AdapterFormat
import AdapterLoader
import AdapterPack
import Foundation

/// What the bench measures on one LoRA fixture (a directory with base.tflite,
/// lora.tflite, lora-adapter/ and eval.npz): the default (one-way) bundle, its
/// restore bundle, the `--reversible` bundle, and where the bytes go.
struct FixtureMeasures {
    var name: String
    var factorValues = 0
    var bundle = 0
    var baseBytes = 0
    var patchedBytes = 0
    var restore = 0
    var restoreExact = false
    var reversibleBundle = 0
    var reversiblePatched = 0
    /// Bundle bytes by what they carry.
    var parts: [(String, Int)] = []
    /// From Tests/python/lora_accuracy.py --json (nil without the venv).
    var accuracy: [String: Double]?
    var accuracyPassed = false

    init(directory: URL, key: SigningKey, python: URL?, binary: URL, script: URL) throws {
        name = directory.lastPathComponent
        let base = try FileIO.read(directory.appendingPathComponent("base.tflite").path, limit: .modelOrBundle)
        let adapterDir = directory.appendingPathComponent("lora-adapter")
        let adapter = try PEFTAdapter(directory: adapterDir.path)
        let map = Data(try FileIO.read(adapterDir.appendingPathComponent("tensor_map.json").path, limit: .json))
        let keys = TrustedKeys([key.verifyingKey])
        let result = try LoRABundler.build(base: base, adapter: adapter, map: map, key: key)
        factorValues = result.factorValues
        bundle = result.bundle.count
        baseBytes = base.count
        let applied = try HostLoader.apply(bundle: result.bundle, base: base, keys: keys).model
        patchedBytes = applied.count
        if let restoreBundle = result.restore {
            restore = restoreBundle.count
            restoreExact = try HostLoader.apply(bundle: restoreBundle, base: applied, keys: keys).model == base
        } else {
            restoreExact = try HostLoader.unapply(bundle: result.bundle, target: applied, keys: keys).model == base
        }
        var options = BundleOptions()
        options.keepBaseRows = true
        let reversible = try LoRABundler.build(base: base, adapter: adapter, map: map, key: key, options: options)
        reversibleBundle = reversible.bundle.count
        reversiblePatched = reversible.target.count
        parts = Self.breakdown(result)
        if let python {
            (accuracy, accuracyPassed) = try Self.accuracy(python: python, binary: binary, script: script, fixture: directory)
        }
    }

    /// The decoded factor area (factor values, 1 byte each, and the rest:
    /// block headers, per-row multipliers and ratios), then what the bundle
    /// holds, adding up to its length: the factors records as coded, each
    /// op-stream kind, and the container (front, signature, trailers, record headers).
    static func breakdown(_ result: LoRABuildResult) -> [(String, Int)] {
        let area = result.plan.sections.factors.count
        var parts: [(String, Int)] = [("factor area: values", result.factorValues),
                                      ("factor area: row records + block headers", area - result.factorValues)]
        var rest = result.bundle.count
        for (kind, bytes) in result.sections {
            parts.append((kind == .factors ? "factors records (range-coded area)" : "\(kind) ops", bytes))
            rest -= bytes
        }
        parts.append(("container (front 112, signature 64, trailers, record headers)", rest))
        return parts
    }

    static func accuracy(python: URL, binary: URL, script: URL, fixture: URL) throws -> ([String: Double]?, Bool) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lora-bench-\(getpid())-\(fixture.lastPathComponent).json")
        let process = Process()
        process.executableURL = python
        process.arguments = [script.path, binary.path, "--corpus", fixture.path, "--json", out.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: out) }
        guard let data = try? FileIO.read(out.path, limit: .json),
              let object = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any] else { return (nil, false) }
        return (object.compactMapValues { $0 as? Double }, process.terminationStatus == 0)
    }
}
