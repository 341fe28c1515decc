// LoRA bundles, one command: for each fixture (Examples/digits: Dense
// layers; Examples/digits-conv: PEFT Conv2d LoRA) the bundle's bytes and bytes
// per factor value, the patched model's length against the base's, the
// restore bundle, TFLM and LiteRT accuracy against the float-merged
// reference (when the .ci/python-env.sh venv exists); then, for digits, the
// details: where the bytes go, expansion time per weight on the host, RAM;
// with the venv also the accuracy-guarded widths for allowed drops of 0.5, 1
// and 2 points (`build --max-accuracy-drop`), and the lossy full fine-tune
// tables (`diff --lossy`: digits/full-ft, same drops, 8 and 16 KB windows;
// Examples/large, 1.1 M parameters, 64 KB window).
//
//   swift build -c release --product adapterpack
//   swift run -c release adapterpack-lora-bench [FIXTURE_DIR ...]
//   swift run -c release adapterpack-lora-bench --width-grid [FIXTURE_DIR]   # every width combination (minutes)
import AdapterFormat
import AdapterLoader
import AdapterPack
import Foundation

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
// --width-grid: only the exhaustive width experiment (WidthGrid), on the first fixture.
let widthGrid = CommandLine.arguments.dropFirst().first == "--width-grid"
let arguments = CommandLine.arguments.dropFirst(widthGrid ? 2 : 1)
let fixtures = !arguments.isEmpty ? arguments.map { URL(fileURLWithPath: $0) }
    : ["Examples/digits", "Examples/digits-conv"].map { root.appendingPathComponent($0) }
let corpus = fixtures[0]
let bestBaseline = 19_170   // detools hdiffpatch lzma, digits/lora (BASELINES.md)

func bytes(_ url: URL) -> [UInt8] { try! FileIO.read(url.path, limit: .modelOrBundle) }
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
func percent(_ a: Int, of b: Int) -> String { String(format: "%+.1f %%", 100 * Double(a - b) / Double(b)) }
func points(_ m: [String: Double]?, _ name: String) -> String { m?[name].map { String(format: "%.4f", $0) } ?? "-" }

let key = try SigningKey(pemFile: root.appendingPathComponent("Keys/dev-ed25519.pem").path)
let pythonURL = root.appendingPathComponent(".build-venv/bin/python3")
let binaryURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("adapterpack")
let judged = FileManager.default.isExecutableFile(atPath: pythonURL.path) && FileManager.default.isExecutableFile(atPath: binaryURL.path)
if widthGrid {
    try WidthGrid.print(directory: corpus, key: key, python: pythonURL)
    exit(0)
}
let measures = try fixtures.map {
    try FixtureMeasures(directory: $0, key: key, python: judged ? pythonURL : nil, binary: binaryURL,
                        script: root.appendingPathComponent("Tests/python/lora_accuracy.py"))
}
print("# LoRA bundles (adapterpack-lora-bench)\n")
print("| fixture | factor values | bundle bytes | bytes per factor value (goal ≤ 1.1) | patched model vs base | restore bundle | base back byte-exact | `--reversible`: bundle, patched model | TFLM shifted (reference) | LiteRT shifted (reference) | accuracy checks |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for m in measures {
    let a = m.accuracy
    print("| \(m.name) | \(m.factorValues) | \(m.bundle) | \(String(format: "%.2f", Double(m.bundle) / Double(m.factorValues))) "
        + "| \(m.patchedBytes) vs \(m.baseBytes) (\(percent(m.patchedBytes, of: m.baseBytes))) | \(m.restore > 0 ? String(m.restore) : "-") "
        + "| \(m.restoreExact ? "yes" : "NO") | \(m.reversibleBundle), \(m.reversiblePatched) (\(percent(m.reversiblePatched, of: m.baseBytes))) "
        + "| \(points(a, "tflm_shifted")) (\(points(a, "tflm_reference_shifted"))) | \(points(a, "litert_shifted")) (\(points(a, "litert_reference_shifted"))) "
        + "| \(a == nil ? "not run (no venv)" : m.accuracyPassed ? "passed" : "FAILED") |")
}
print("\nWhere the bytes go:\n")
print("| fixture | " + measures[0].parts.map(\.0).joined(separator: " | ") + " |")
print("|---|" + measures[0].parts.map { _ in "---|" }.joined())
for m in measures {
    let byLabel = Dictionary(m.parts, uniquingKeysWith: +)
    print("| \(m.name) | " + measures[0].parts.map { String(byLabel[$0.0] ?? 0) }.joined(separator: " | ") + " |")
}
print("")
if judged {
    try GuardedTable.print(fixtures: fixtures, key: key, python: pythonURL)
    try LossyTable.print(directory: corpus, windows: [8192, 16384], key: key, python: pythonURL)
    // The generated 1.1 M-parameter model (Benchmarks/large/generate.py): its factors need a larger window.
    try LossyTable.print(directory: root.appendingPathComponent("Examples/large"), windows: [65536], key: key, python: pythonURL)
}

let base = bytes(corpus.appendingPathComponent("base.tflite"))
let adapterDir = corpus.appendingPathComponent("lora-adapter")
let adapter = try PEFTAdapter(directory: adapterDir.path)
let map = Data(try FileIO.read(adapterDir.appendingPathComponent("tensor_map.json").path, limit: .json))
let keys = TrustedKeys([key.verifyingKey])
var options = BundleOptions()
options.baseFile = "base.tflite"
let result = try LoRABundler.build(base: base, adapter: adapter, map: map, key: key, options: options)
let bundle = result.bundle
let factorValues = result.factorValues
let weights = result.plan.modules.reduce(0) { $0 + $1.rows * $1.columns }

print("## \(corpus.lastPathComponent)/lora-adapter in detail\n")
print("| measure | value |")
print("|---|---|")
print("| bundle bytes | \(bundle.count) |")
print("| issue target 1.5·r·(in+out) + 1,024 | \(factorValues * 3 / 2 + 1_024) (r·(in+out) = \(factorValues)) |")
print("| best existing tool (detools hdiffpatch lzma) | \(bestBaseline) |")
print("| ratio best tool / bundle | \(String(format: "%.2f", Double(bestBaseline) / Double(bundle.count)))× smaller |")
print("| sections | \(result.sections.map { "\($0.kind) \($0.bytes)" }.joined(separator: ", ")); the rest is the container |")
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
let restoreBundle = result.restore ?? bundle
let undoTime = try seconds { for _ in 0 ..< rounds { _ = try HostLoader.apply(bundle: restoreBundle, base: applied, keys: keys) } }
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
                    let row = try! LoRARow(parsing: raw, at: record + r, row: o, header: header)
                    for i in 0 ..< Int(header.columns) {
                        let acc = LoRAExpansion.dot(raw, record, raw, offset + header.aOffset + i * r, rank: r)
                        sink &+= LoRAExpansion.forward(UInt8(truncatingIfNeeded: i), acc: acc, row)
                    }
                }
                offset += header.blockSize
            }
        }
    }
}
print("| host: device-loader apply (verify, hash, expand, hash) | \(String(format: "%.1f", applyTime / Double(rounds) * 1e6)) µs per bundle = \(String(format: "%.1f", applyTime / Double(rounds) / Double(weights) * 1e9)) ns per weight |")
print("| host: device-loader apply of the restore bundle | \(String(format: "%.1f", undoTime / Double(rounds) * 1e6)) µs per bundle |")
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

_ = sink
