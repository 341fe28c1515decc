import AdapterPack
import Foundation

/// The accuracy-guarded rows (issue #15): for each fixture and allowed drop,
/// the widths `build --max-accuracy-drop` chooses against the float-merged
/// reference on the shifted split, its bytes and TFLM accuracy.
enum GuardedTable {
    static let drops = [0.005, 0.01, 0.02]

    static func print(fixtures: [URL], key: SigningKey, python: URL) throws {
        Swift.print("Accuracy-guarded factor widths (TFLM top-1 on the shifted split; reference: lora.tflite):\n")
        Swift.print("| fixture | allowed drop | chosen widths | bundle | bytes per factor value | TFLM shifted (reference) | exact bundle (accuracy) |")
        Swift.print("|---|---|---|---:|---:|---|---|")
        for directory in fixtures {
            let base = try FileIO.read(directory.appendingPathComponent("base.tflite").path, limit: .modelOrBundle)
            let adapterDir = directory.appendingPathComponent("lora-adapter")
            let adapter = try PEFTAdapter(directory: adapterDir.path)
            let map = Data(try FileIO.read(adapterDir.appendingPathComponent("tensor_map.json").path, limit: .json))
            let reference = try FileIO.read(directory.appendingPathComponent("lora.tflite").path, limit: .modelOrBundle)
            let accuracyGuard = AccuracyGuard(python: python.path, data: directory.appendingPathComponent("eval.npz").path,
                                              split: "shifted")
            for drop in drops {
                let g = try GuardedLoRABuild.build(base: base, adapter: adapter, map: map, key: key, options: BundleOptions(),
                                                   rank: nil, mapName: "tensor_map.json", guard: accuracyGuard,
                                                   maxDrop: drop, reference: reference, dataName: "eval.npz (shifted)")
                let widths = adapter.modules.map { "\($0.name) \(g.bits[$0.name]!)" }.joined(separator: "; ")
                let values = g.result.factorValues
                Swift.print("| \(directory.lastPathComponent) | \(String(format: "%.1f", 100 * drop)) points | \(widths) "
                    + "| \(g.result.bundle.count) | \(String(format: "%.2f", Double(g.result.bundle.count) / Double(values))) "
                    + "| \(GuardedBuildError.points(g.accuracy)) (\(GuardedBuildError.points(g.reference))) "
                    + "| \(g.exactBytes) (\(GuardedBuildError.points(g.exactAccuracy))) |")
            }
        }
        Swift.print("")
    }
}
