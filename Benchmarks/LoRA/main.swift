// LoRA bundles on the corpus: bundle bytes, ratio to the best existing tool,
// LiteRT accuracy (when the .ci/python-env.sh venv exists), expansion time
// per weight on the host, RAM window and flash kept for unapply.
//
//   swift run -c release adapterpack-lora-bench [CORPUS_DIGITS_DIR]
import AdapterFormat
import AdapterLoader
import AdapterPack
import Foundation

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let corpus = CommandLine.arguments.count > 1 ? URL(fileURLWithPath: CommandLine.arguments[1])
    : root.deletingLastPathComponent().appendingPathComponent("shared/corpus/digits")
let bestBaseline = 19_170   // detools hdiffpatch lzma, digits/lora (BASELINES.md)

func bytes(_ url: URL) -> [UInt8] { try! FileIO.read(url.path, limit: .modelOrBundle) }
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let base = bytes(corpus.appendingPathComponent("base.tflite"))
let adapterDir = corpus.appendingPathComponent("lora-adapter")
let adapter = try PEFTAdapter(directory: adapterDir.path)
let map = Data(try FileIO.read(adapterDir.appendingPathComponent("tensor_map.json").path, limit: .json))
let key = try SigningKey(pemFile: root.appendingPathComponent("Keys/dev-ed25519.pem").path)
let keys = TrustedKeys([key.verifyingKey])
var options = BundleOptions()
options.baseFile = "base.tflite"
let result = try LoRABundler.build(base: base, adapter: adapter, map: map, key: key, options: options)
let bundle = result.bundle
let factorValues = result.factorValues
let weights = result.plan.modules.reduce(0) { $0 + $1.rows * $1.columns }

print("# digits/lora-adapter → bundle (adapterpack-lora-bench)\n")
print("| measure | value |")
print("|---|---|")
print("| bundle bytes | \(bundle.count) |")
print("| issue target 1.5·r·(in+out) + 1,024 | \(factorValues * 3 / 2 + 1_024) (r·(in+out) = \(factorValues)) |")
print("| best existing tool (detools hdiffpatch lzma) | \(bestBaseline) |")
print("| ratio best tool / bundle | \(String(format: "%.2f", Double(bestBaseline) / Double(bundle.count)))× smaller |")
print("| sections | \(result.sections.map { "\($0.kind) \($0.bytes)" }.joined(separator: ", ")), header+table+signature \(128 + 48 * (result.sections.count + 1) + 100) |")
print("| RAM window | \(result.window) bytes (fixed 512 + deflate workspace + factor buffer \(WindowLayout.factorBuffer)) |")
for m in result.plan.modules {
    print("| module \(m.module) | rank \(m.rank), \(m.rows)×\(m.columns); \(m.saturatingWeights) weights would saturate; \(m.rescaledRows) of \(m.rows) rows rescaled; largest Δ \(m.largestDelta) steps |")
}
print("| patched model | \(result.target.count) bytes (base \(base.count)); one-way: \(result.restore != nil) |")
print("| restore bundle (target → base) | \(result.restore.map { String($0.count) } ?? "-") bytes |")
let targets = try LoRATargetResolver.resolve(adapter.modules, in: try TFLiteModel(bytes: base), map: map)
let refit = LoRAQuantizer.deltaError(targets, refit: true), plain = LoRAQuantizer.deltaError(targets, refit: false)
print("| Δ error vs float (int8 steps, RMS / max) | \(String(format: "%.4f / %.3f", refit.rms, refit.max)) with B refitted; \(String(format: "%.4f / %.3f", plain.rms, plain.max)) without |")

// Host timing: the device loader's whole apply, and the expansion kernel alone.
let rounds = 200
var applied: [UInt8] = []
let applyTime = try seconds { for _ in 0 ..< rounds { applied = try HostLoader.apply(bundle: bundle, base: base, keys: keys).model } }
precondition(applied == result.target)
var undoTime = 0.0
undoTime = try seconds { for _ in 0 ..< rounds { _ = try HostLoader.unapply(bundle: bundle, target: applied, keys: keys) } }
let block = result.plan.sections.factors
var sink: UInt8 = 0
let kernelRounds = 2_000
let kernelTime = seconds {
    block.withUnsafeBytes { raw in
        var offset = 0
        for _ in 0 ..< kernelRounds {
            offset = 0
            while offset < raw.count {
                let header = try! LoRABlockHeader(parsing: UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + 16]), block: 0)
                let r = Int(header.rank)
                for o in 0 ..< Int(header.rows) {
                    let record = offset + header.rowsOffset + o * header.rowRecordSize
                    let row = try! LoRARow(parsing: raw, at: record + r, row: o)
                    for i in 0 ..< Int(header.columns) {
                        let delta = LoRAExpansion.delta(LoRAExpansion.dot(raw, record, raw, offset + header.aOffset + i * r, rank: r), row)
                        sink &+= LoRAExpansion.forward(UInt8(truncatingIfNeeded: i), delta, row)
                    }
                }
                offset += header.blockSize
            }
        }
    }
}
print("| host: device-loader apply (verify, hash, expand, hash) | \(String(format: "%.1f", applyTime / Double(rounds) * 1e6)) µs per bundle = \(String(format: "%.1f", applyTime / Double(rounds) / Double(weights) * 1e9)) ns per weight |")
print("| host: device-loader unapply | \(String(format: "%.1f", undoTime / Double(rounds) * 1e6)) µs per bundle |")
print("| host: expansion kernel (dot r=4, multiplier, forward) | \(String(format: "%.2f", kernelTime / Double(kernelRounds) / Double(weights) * 1e9)) ns per weight (\(weights) weights) |")

// Flash for unapply vs bundle bytes: merging backup runs.
print("\n`--reversible` instead (base rows kept behind the model):\n")
print("| backup merge gap | bundle bytes | flash kept for unapply | backup runs |")
print("|---|---|---|---|")
for gap in [0, 512, 4_096, 1 << 30] {
    var o = options
    o.keepBaseRows = true
    o.backupMergeGap = gap
    let r = try LoRABundler.build(base: base, adapter: adapter, map: map, key: key, options: o)
    print("| \(gap == 1 << 30 ? "∞" : String(gap)) | \(r.bundle.count) | \(r.plan.backupBytes) | \(r.plan.backupRuns) |")
}

// Accuracy under TFLM and LiteRT (same script as the test), when the venv exists.
let python = root.appendingPathComponent(".build-venv/bin/python3")
let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("adapterpack")
if FileManager.default.isExecutableFile(atPath: python.path), FileManager.default.isExecutableFile(atPath: binary.path) {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("lora-bench-\(getpid()).json")
    let process = Process()
    process.executableURL = python
    process.arguments = [root.appendingPathComponent("Tests/python/lora_accuracy.py").path, binary.path,
                         "--corpus", corpus.path, "--json", out.path]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    if let data = try? FileIO.read(out.path, limit: .json), let m = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any] {
        let f = { (key: String) in (m[key] as? Double).map { String(format: "%.4f", $0) } ?? "-" }
        for judge in ["tflm", "litert"] {
            print("\n\(judge == "tflm" ? "TFLM" : "LiteRT") accuracy of the patched model: shifted domain \(f(judge + "_shifted")) "
                + "(lora.tflite \(f(judge + "_reference_shifted")), base \(f(judge + "_base_shifted"))), original domain "
                + "\(f(judge + "_original")) (lora.tflite \(f(judge + "_reference_original")))")
        }
        print("accuracy checks \(process.terminationStatus == 0 ? "passed" : "FAILED")")
    }
    try? FileManager.default.removeItem(at: out)
} else {
    print("\nLiteRT accuracy: run .ci/python-env.sh and build the adapterpack product (swift build -c release) first")
}
_ = sink
