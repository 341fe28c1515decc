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
            let f = try GuardFixture(directory: directory, python: python)
            for drop in drops {
                let g = try GuardedLoRABuild.build(base: f.base, adapter: f.adapter, map: f.map, key: key, options: BundleOptions(),
                                                   rank: nil, mapName: "tensor_map.json", guard: f.accuracyGuard,
                                                   maxDrop: drop, reference: f.reference, dataName: "eval.npz (shifted)")
                let widths = f.adapter.modules.map { "\($0.name) \(g.bits[$0.name]!)" }.joined(separator: "; ")
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
