// adapterpack-tuf-bench: publishing many small bundles into a TUF repository with
// hashed bins, by parallel `repo stage` workers and one `repo merge`, through the
// real CLI. Prints bundles per second (wall and per core of worker CPU time), total
// metadata bytes, and the bytes a client downloads to find one target.
//
//   swift build -c release --scratch-path .build-bench --product adapterpack
//   swift run -c release --scratch-path .build-bench adapterpack-tuf-bench [--bundles 10000,100000] [--bins 1024] [--workers 2]
import AdapterFormat
import AdapterPack
import Foundation

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
let sizes = (option("--bundles") ?? "10000,100000").split(separator: ",").compactMap { Int($0) }
let bins = Int(option("--bins") ?? "1024") ?? 1024
let workers = Int(option("--workers") ?? "2") ?? 2
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let cli = option("--cli") ?? root.appendingPathComponent(".build-bench/release/adapterpack").path
guard FileManager.default.isExecutableFile(atPath: cli) else {
    fatalError("\(cli) not built: swift build -c release --scratch-path .build-bench --product adapterpack")
}

func check(_ ok: Bool, _ message: @autoclosure () -> String) {
    if !ok { FileHandle.standardError.write(Data("adapterpack-tuf-bench: \(message())\n".utf8)); exit(1) }
}

/// Starts the CLI in `dir`, its stderr kept for a failure message.
func start(_ args: [String], in dir: URL) -> (Process, Pipe) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: cli)
    p.arguments = args
    p.currentDirectoryURL = dir
    let err = Pipe()
    p.standardError = err
    p.standardOutput = FileHandle.nullDevice
    try! p.run()
    return (p, err)
}

/// Waits for a started CLI; exits with its stderr if it failed.
func finish(_ started: (Process, Pipe), _ args: [String]) {
    let stderr = started.1.fileHandleForReading.readDataToEndOfFile()
    started.0.waitUntilExit()
    check(started.0.terminationStatus == 0, "adapterpack \(args.joined(separator: " ")) failed:\n\(String(decoding: stderr, as: UTF8.self))")
}

/// Runs the CLI to the end; returns wall seconds.
func run(_ args: [String], in dir: URL) -> Double {
    let begin = Date()
    finish(start(args, in: dir), args)
    return Date().timeIntervalSince(begin)
}

/// User + system CPU seconds of all waited-for children so far.
func childCPU() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func size(_ path: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }

func grouped(_ n: Int) -> String {
    let f = NumberFormatter()
    f.numberStyle = .decimal
    f.groupingSeparator = ","
    return f.string(from: NSNumber(value: n)) ?? "\(n)"
}

// One real bundle (digits base → head-ft), re-stamped with sequences 1…N and re-signed:
// N distinct, valid bundles that every worker verifies in full.
let bundleKey = try SigningKey.generate(.ed25519)
let base = try FileIO.read(root.appendingPathComponent("Examples/digits/base.tflite").path, limit: .modelOrBundle)
let target = try FileIO.read(root.appendingPathComponent("Examples/digits/head-ft.tflite").path, limit: .modelOrBundle)
let template = try DiffBundler.bundle(base: base, target: target, key: bundleKey).bytes
let block0 = BundleVerification.check(template, keys: nil).0!.blocks[0]
let firstBlock = Array(template[block0.offset ..< block0.offset + block0.length])

func restamped(_ sequence: UInt32) throws -> [UInt8] {
    var header = try template.withUnsafeBytes { try StreamHeader(parsing: $0) }
    header.sequence = sequence
    var front = [UInt8](repeating: 0, count: StreamHeader.size)
    front.withUnsafeMutableBytes { header.write(into: $0) }
    let signature = try bundleKey.sign(BundleWriter.signedMessage(front: front, firstBlock: firstBlock))
    return front + signature + Array(template[StreamHeader.firstBlockOffset...])
}

print("| bundles | bins | workers | stage (wall) | merge | bundles/s (wall) | bundles/s per core | total metadata | client download to find one target | of which snapshot | largest bin |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for count in sizes {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tuf-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch.appendingPathComponent("bundles"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    _ = try KeyFiles.writeKeyPair(bundleKey, to: scratch.appendingPathComponent("bundle.pem").path)
    for role in ["root", "targets", "snapshot", "timestamp"] { _ = run(["keygen", "-o", "\(role).pem"], in: scratch) }
    for i in 0 ..< count {
        try FileIO.write(try restamped(UInt32(i + 1)), to: scratch.appendingPathComponent("bundles/dev-\(String(format: "%06d", i)).apb").path)
    }
    _ = run(["repo", "init", "repo", "--bins", "\(bins)", "--root-key", "root.pem", "--targets-key", "targets.pem",
             "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"], in: scratch)

    let cpuBefore = childCPU()
    let stageStart = Date()
    let stages = (0 ..< workers).map { w in
        ["repo", "stage", "--part", "\(w)/\(workers)", "--repo", "repo", "--trusted", "bundle.pub.pem",
         "--targets-key", "targets.pem", "bundles"]
    }
    let running = stages.map { start($0, in: scratch) }
    for (started, args) in zip(running, stages) { finish(started, args) }
    let stageWall = Date().timeIntervalSince(stageStart)
    let mergeWall = run(["repo", "merge", "--repo", "repo", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"], in: scratch)
    let cpu = childCPU() - cpuBefore

    let repo = scratch.appendingPathComponent("repo").path
    let state = try RepositoryState.load(repo)
    check(state.allTargets.count == count, "\(state.allTargets.count) targets after the merge, expected \(count)")
    let layout = RepositoryLayout(repo)
    let snapshotBytes = size(layout.versioned(state.snapshot.signed.version, "snapshot"))
    var total = size(layout.versioned(state.root.signed.version, "root")) + size(layout.timestamp) + snapshotBytes
        + size(layout.versioned(state.targets.signed.version, "targets"))
    var largest = 0
    for (name, bin) in state.bins {
        let s = size(layout.versioned(bin.signed.version, name))
        total += s
        largest = max(largest, s)
    }
    // A client holding root: timestamp, snapshot, targets, and the bin of one target.
    let path = "dev-\(String(format: "%06d", count / 2)).apb"
    let bin = state.bin(for: path)!
    let client = size(layout.timestamp) + snapshotBytes + size(layout.versioned(state.targets.signed.version, "targets"))
        + size(layout.versioned(state.bins[bin]!.signed.version, bin))
    let wall = stageWall + mergeWall
    print("| \(grouped(count)) | \(bins) | \(workers) | \(String(format: "%.1f s", stageWall)) | \(String(format: "%.1f s", mergeWall)) | "
        + "\(grouped(Int(Double(count) / wall))) | \(grouped(Int(Double(count) / cpu))) | \(grouped(total)) B | \(grouped(client)) B | "
        + "\(grouped(snapshotBytes)) B | \(grouped(largest)) B |")
}
print("")
print("bundle: digits base → head-ft (\(template.count) B), re-stamped with sequences 1…N and re-signed; every worker verifies")
print("each bundle it stages in full (signature, block chain) and reads only the bundles of its bins. per core = bundles / CPU")
print("seconds of all workers and the merge. Client download excludes root (shipped with the gateway).")
