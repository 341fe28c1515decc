// adapterpack-bench: bundle sizes, entropy floors, side-by-side baselines,
// throughput and RAM window for every corpus pair. See Benchmarks/README.md.
//
//   swift run -c release --scratch-path .build-bench adapterpack-bench [--no-baselines] [--repeat N]
import AdapterFormat
import AdapterLoader
import AdapterPack
import Foundation

let arguments = CommandLine.arguments.dropFirst()
let runBaselines = !arguments.contains("--no-baselines")
let repeats = arguments.firstIndex(of: "--repeat").flatMap { i in arguments.dropFirst(i - arguments.startIndex + 1).first }
    .flatMap(Int.init) ?? 5
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where each model is committed (one copy each; the tests read the same files
/// through Tests/TestSupport/RepoPaths.swift).
func modelURL(_ name: String) -> URL {
    switch name {
    case "base", "full-ft", "head-ft", "lora": return root.appendingPathComponent("Examples/digits/\(name).tflite")
    case "hello_world_int8": return root.appendingPathComponent("Spec/vectors/hello_world_base.tflite")
    default: return root.appendingPathComponent("Tests/AdapterPackTests/Fixtures/\(name).tflite")
    }
}

func model(_ name: String) -> [UInt8] {
    do { return try FileIO.read(modelURL(name).path, limit: .modelOrBundle) } catch { fatalError("\(error)") }
}

/// Best existing tool per digits pair in ../shared/corpus/BASELINES.md.
let publishedBest: [String: (tool: String, bytes: Int)] = [
    "digits/full-ft": ("detools_hdiffpatch_lzma", 27_481),
    "digits/head-ft": ("detools_seq_crle", 653),
    "digits/lora": ("detools_hdiffpatch_lzma", 19_170),
]

/// The synthetic fine-tune of Tests/AdapterPackTests/Fixtures.swift (`Fixtures.perturbed`): every int8
/// weight nudged by -2…2 with probability 1/4, one scale bit flipped per tensor.
func perturbed(_ bytes: [UInt8], seed: UInt64) -> [UInt8] {
    var out = bytes
    var state = seed
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let parsed = try! TFLiteModel(bytes: bytes)
    for tensor in parsed.subgraphs[0].tensors where tensor.type == .int8 {
        guard let range = tensor.dataRange else { continue }
        for i in range where next() % 4 == 0 {
            out[i] = out[i] &+ UInt8(truncatingIfNeeded: Int(next() % 5) - 2)
        }
        if let scales = tensor.quantization?.scaleRange, !scales.isEmpty { out[scales.lowerBound] ^= 0x01 }
    }
    return out
}

/// H0(Δ) and H(Δ | base byte) in bytes, summed over the constant int8 tensors
/// (as in BASELINES.md: plug-in estimates, no table cost).
func entropies(base: [UInt8], target: [UInt8]) -> (h0: Double, conditional: Double) {
    guard base.count == target.count, let parsed = try? TFLiteModel(bytes: target) else { return (.nan, .nan) }
    func entropy(_ counts: [Int]) -> Double {
        let n = Double(counts.reduce(0, +))
        return counts.reduce(0) { $1 == 0 ? $0 : $0 - Double($1) * log2(Double($1) / n) }
    }
    var h0 = 0.0, conditional = 0.0
    for tensor in parsed.subgraphs.flatMap(\.tensors) where tensor.type == .int8 {
        guard let range = tensor.dataRange, range.contains(where: { base[$0] != target[$0] }) else { continue }
        var counts = [Int](repeating: 0, count: 256)
        var byContext = [[Int]](repeating: [Int](repeating: 0, count: 256), count: 256)
        for i in range {
            let d = Int(target[i] &- base[i])
            counts[d] += 1
            byContext[Int(base[i])][d] += 1
        }
        h0 += entropy(counts)
        conditional += byContext.reduce(0) { $0 + entropy($1) }
    }
    return (h0 / 8, conditional / 8)
}

/// zlib, xz, zstd, bsdiff4, detools on the same pair through Benchmarks/baselines.py.
func baselines(base: [UInt8], target: [UInt8]) -> [String: Int] {
    guard runBaselines else { return [:] }
    let venv = root.appendingPathComponent(".venv-bench/bin/python").path
    let python = FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/env"
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("apbench-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let b = dir.appendingPathComponent("base"), t = dir.appendingPathComponent("target")
    try? FileIO.write(base, to: b.path)
    try? FileIO.write(target, to: t.path)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    let script = root.appendingPathComponent("Benchmarks/baselines.py").path
    process.arguments = (python == "/usr/bin/env" ? ["python3"] : []) + [script, b.path, t.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return [:] }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (try? JSONSerialization.jsonObject(with: data) as? [String: Int]) ?? [:]
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0 ..< repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
}

func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, c) in s.enumerated() {
        if i > 0, (s.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return out
}

func short(_ kind: SectionKind) -> String {
    switch kind {
    case .metadata: "meta"
    case .tensorMap: "map"
    case .layout: "layout"
    case .scales: "scales"
    case .payload: "payload"
    case .undo: "undo"
    case .factors: "factors"
    case .signature: "sig"
    }
}

// `--perturb MODEL SEED OUT`: writes the synthetic fine-tune of MODEL (used for Spec/vectors).
if let i = arguments.firstIndex(of: "--perturb") {
    let rest = Array(arguments[arguments.index(after: i)...])
    let input = try FileIO.read(rest[0], limit: .modelOrBundle)
    try FileIO.write(perturbed(input, seed: UInt64(rest[1])!), to: rest[2])
    exit(0)
}

let key = try! SigningKey.generate(.ed25519)
let keys = TrustedKeys([key.verifyingKey])
var pairs: [(name: String, base: [UInt8], target: [UInt8])] = []
let digitsBase = model("base")
for variant in ["full-ft", "head-ft", "lora"] { pairs.append(("digits/\(variant)", digitsBase, model(variant))) }
for (i, name) in ["hello_world_int8", "micro_speech_quantized", "keyword_scrambled_8bit", "trained_lstm_int8"].enumerated() {
    let base = model(name)
    pairs.append(("tflm/\(name)+synthetic(seed \(i + 1))", base, perturbed(base, seed: UInt64(i + 1))))
}

print("| pair | model | bundle | sections (stored bytes) | H0(Δ) | H(Δ\\|base) | best baseline (this run) | bundle / best | best in BASELINES.md | bundle / that | goal 0.8×(best+192) | vs goal | encode MB/s | apply MB/s | window |")
print("|---|---:|---:|---|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|")
var lowRankRows: [String] = []
for pair in pairs {
    var bundle: [UInt8] = []
    var plan: DeltaPlan?
    let encode = try seconds {
        (bundle, plan) = try DiffBundler.bundle(base: pair.base, target: pair.target, key: key)
    }
    for r in plan?.lowRank ?? [] {
        lowRankRows.append("| \(pair.name) | \(r.tensorIndex) (\(r.rows)×\(r.columns)) | \(r.rank) | \(String(format: "%.4f", r.energy)) | \(grouped(r.factorBytes)) | \(grouped(r.forwardResidualBytes)) | \(grouped(r.inverseResidualBytes)) | \(grouped(r.totalBytes)) | \(grouped(r.plainBytes)) |")
    }
    var applied: [UInt8] = []
    let decode = try seconds { applied = try HostLoader.apply(bundle: bundle, base: pair.base, keys: keys).model }
    precondition(applied == pair.target, "\(pair.name): apply did not give the target")
    let restored = try HostLoader.unapply(bundle: bundle, target: pair.target, keys: keys).model
    precondition(restored == pair.base, "\(pair.name): unapply did not give the base")
    let parsed = try ParsedBundle(bytes: bundle)
    let sections = (parsed.sectionSizes.map { "\(short($0.0)) \(grouped($0.1))" } + ["blocks \(parsed.blocks.count)"])
        .joined(separator: ", ")
    let (h0, conditional) = entropies(base: pair.base, target: pair.target)
    let measured = baselines(base: pair.base, target: pair.target)
    let best = measured.min { $0.value < $1.value }
    let bestText = best.map { "\($0.key) \(grouped($0.value))" } ?? "–"
    let ratio = best.map { String(format: "%.3f", Double(bundle.count) / Double($0.value)) } ?? "–"
    let published = publishedBest[pair.name]
    let publishedText = published.map { "\($0.tool) \(grouped($0.bytes))" } ?? "–"
    let publishedRatio = published.map { String(format: "%.3f", Double(bundle.count) / Double($0.bytes)) } ?? "–"
    let mb = Double(pair.target.count) / 1e6
    // Issue #11's goal: 0.8 × (the best of every tool measured here or published, + 192 B).
    let bestBytes = ([best?.value, published?.bytes].compactMap { $0 }).min()
    let goal = bestBytes.map { Int((0.8 * Double($0 + 192)).rounded(.down)) }
    let goalText = goal.map(grouped) ?? "–"
    let versus = goal.map { bundle.count <= $0 ? "met (\(grouped($0 - bundle.count)) B under)" : "+\(grouped(bundle.count - $0)) B over" } ?? "–"
    print("| \(pair.name) | \(grouped(pair.target.count)) | \(grouped(bundle.count)) | \(sections) | \(grouped(Int(h0.rounded()))) | \(grouped(Int(conditional.rounded()))) | \(bestText) | \(ratio) | \(publishedText) | \(publishedRatio) | \(goalText) | \(versus) | \(String(format: "%.1f", mb / encode)) | \(String(format: "%.1f", mb / decode)) | \(grouped(HostLoader.declaredWindow(bundle))) |")
}
if !lowRankRows.isEmpty {
    print("")
    print("Tensors coded by low-rank prediction + residual (opcode 8, Spec/FORMAT.md §4.5):")
    print("")
    print("| pair | tensor | rank | energy in rank | factors + ratios | forward residual | inverse residual | total with op headers | plain coding |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    lowRankRows.forEach { print($0) }
}
print("")
print("bundle includes the 112-byte front, the 64-byte signature, a 34-byte trailer per block but the last and the record headers; baselines carry no hashes or signature.")
print("baselines: zlib/xz/zstd of the target, xz/zlib of the byte-wise difference (Δ = target − base mod 256, and XOR), bsdiff4, detools (Benchmarks/baselines.py).")
print("H0(Δ), H(Δ|base): plug-in entropies of the int8 differences summed per tensor, no table cost (H(Δ|base) is biased low on small tensors).")
print("throughput: best of \(repeats) runs, model bytes per second; apply = verify + base hash + decode + patch + target hash on the host.")

// Device primitives on the host (the same code the loader runs), in MB/s of
// input or output; their cost on a Cortex-M4 is in Examples/cortex-m4/README.md.
func shaSeconds(_ bytes: [UInt8]) -> Double {
    seconds { _ = bytes.withUnsafeBytes { SHA256.hash($0) } }
}

func inflateSeconds(_ stream: [UInt8], expected: [UInt8]) -> Double {
    let workspace = UnsafeMutableRawBufferPointer.allocate(
        byteCount: Inflater<BufferInput>.workspaceSize(windowBits: 12), alignment: 8)
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: expected.count, alignment: 8)
    defer { workspace.deallocate(); output.deallocate() }
    let time = seconds {
        let produced = stream.withUnsafeBytes { source -> Int in
            var inflater = Inflater(input: BufferInput(source), windowBits: 12, workspace: workspace)
            guard let n = try? inflater.read(into: output), (try? inflater.finish()) != nil else { return -1 }
            return n
        }
        precondition(produced == expected.count, "inflate failed")
    }
    precondition(expected.elementsEqual(output), "inflate did not give the input back")
    return time
}

func verifySeconds(message: [UInt8], signature: [UInt8], publicKey: [UInt8]) -> Double {
    seconds {
        let valid = message.withUnsafeBytes { m in
            signature.withUnsafeBytes { s in
                publicKey.withUnsafeBytes { k in Ed25519Verifier.verify(message: m, signature: s, publicKey: k) }
            }
        }
        precondition(valid, "Ed25519 rejected a valid signature")
    }
}

var lcg: UInt64 = 0x9E37_79B9_7F4A_7C15
let randomBytes = (0 ..< 300 * 1024).map { _ -> UInt8 in
    lcg = lcg &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return UInt8(truncatingIfNeeded: lcg >> 56)
}
let shaTime = shaSeconds(randomBytes)
let allModels = ["base", "full-ft", "lora", "hello_world_int8", "micro_speech_quantized"].map(model).reduce([], +)
let deflated = Deflate.compress(allModels, windowBits: 12)
let inflateTime = inflateSeconds(deflated, expected: allModels)
let signer = try SigningKey.generate(.ed25519)
let signedMessage = [UInt8](repeating: 0x5a, count: StreamSignature.messageSize)
let verifyTime = verifySeconds(message: signedMessage, signature: try signer.sign(signedMessage),
                               publicKey: signer.verifyingKey.rawPublicKey)

print("")
print("| device primitive (host, release) | input | best of \(repeats) |")
print("|---|---:|---:|")
print("| SHA-256 | \(grouped(randomBytes.count)) B random | \(String(format: "%.0f", Double(randomBytes.count) / shaTime / 1e6)) MB/s |")
print("| inflate (window 2^12) | \(grouped(deflated.count)) B → \(grouped(allModels.count)) B of models | \(String(format: "%.0f", Double(allModels.count) / inflateTime / 1e6)) MB/s of output |")
print("| Ed25519 verify | 96-byte signed message | \(String(format: "%.1f", verifyTime * 1e6)) µs |")
