import AdapterPack
import Foundation

/// The lossy full fine-tune rows (issue #15): for a model directory's
/// full-ft.tflite, each allowed drop and device window, what `diff --lossy`
/// chooses against full-ft itself on the shifted split, its bytes, TFLM
/// accuracy and restore bundle, next to the exact diff.
enum LossyTable {
    static let drops = [0.005, 0.01, 0.02]

    static func print(directory: URL, windows: [Int], key: SigningKey, python: URL) throws {
        let targetURL = directory.appendingPathComponent("full-ft.tflite")
        guard FileManager.default.fileExists(atPath: targetURL.path) else { return }
        let base = try FileIO.read(directory.appendingPathComponent("base.tflite").path, limit: .modelOrBundle)
        let target = try FileIO.read(targetURL.path, limit: .modelOrBundle)
        var open = BundleOptions()
        open.maxBytes = 1 << 28
        let exact = try DiffBundler.bundle(base: base, target: target, key: key, options: open).bytes.count
        let accuracyGuard = AccuracyGuard(python: python.path, data: directory.appendingPathComponent("eval.npz").path,
                                          split: "shifted")
        let name = directory.lastPathComponent
        Swift.print("Lossy full fine-tune of \(name) (\(base.count) bytes), `diff --lossy` (TFLM top-1 on the shifted split; "
            + "reference: full-ft.tflite; exact diff \(exact) bytes):\n")
        Swift.print("| model | allowed drop | --max-window | per tensor (rows×columns: rank, factor bits, misses sent) | bundle | TFLM shifted (reference) | window | restore bundle |")
        Swift.print("|---|---|---:|---|---:|---|---:|---:|")
        for window in windows {
            for drop in drops {
                var options = BundleOptions()
                options.maxWindow = window
                let r = try LossyDiffBundler.bundle(base: base, target: target, key: key, options: options, guard: accuracyGuard,
                                                    maxDrop: drop, reference: nil, dataName: "eval.npz (shifted)")
                let layers = r.layers.map { l -> String in
                    let how = l.rank.map { rank in
                        "rank \(rank), \(l.bits.a)-bit" + (l.tolerance.map { $0 == .max ? "" : ", > \($0)" } ?? "")
                    } ?? "exact"
                    return "\(l.rows)×\(l.columns): \(how)"
                }.joined(separator: "; ")
                Swift.print("| \(name)/full-ft | \(String(format: "%.1f", 100 * drop)) points | \(window) | \(layers) "
                    + "| \(r.bundle.count) | \(GuardedBuildError.points(r.accuracy)) (\(GuardedBuildError.points(r.reference))) "
                    + "| \(HostLoader.declaredWindow(r.bundle)) | \(r.restore.map { String($0.count) } ?? "-") |")
            }
        }
        Swift.print("")
    }
}
