import AdapterPack
import Foundation

/// `adapterpack-lora-bench --width-grid`: every combination of factor widths
/// (A and B of each module, 3 … 8 bits) built and run by TFLM, and the
/// smallest bundle within each allowed drop: the floor of what a search over
/// widths alone can reach, against which `build --max-accuracy-drop`'s greedy
/// choice is measured (issue #15's ≤ 0.6 bytes per factor value within 1 point).
enum WidthGrid {
    static let widths = Array(3 ... 8)

    static func print(directory: URL, key: SigningKey, python: URL) throws {
        let f = try GuardFixture(directory: directory, python: python)
        let (base, adapter, map, reference, accuracyGuard) = (f.base, f.adapter, f.map, f.reference, f.accuracyGuard)
        let names = adapter.modules.map(\.name)
        // Every assignment of (A, B) widths to every module.
        var grid: [[String: FactorBits]] = [[:]]
        for name in names {
            grid = grid.flatMap { partial in
                widths.flatMap { a in widths.map { b in partial.merging([name: FactorBits(a: a, b: b)]) { $1 } } }
            }
        }
        let referenceAccuracy = try accuracyGuard.accuracy(of: reference)
        var measured: [(bits: [String: FactorBits], bytes: Int, accuracy: Double)] = []
        let chunk = 150
        for start in stride(from: 0, to: grid.count, by: chunk) {
            let part = grid[start ..< min(grid.count, start + chunk)]
            let built = try part.map {
                try LoRABundler.build(base: base, adapter: adapter, map: map, key: key, bits: $0, makeRestore: false)
            }
            let scores = try accuracyGuard.accuracy(of: built.map(\.target))
            for (bits, (b, score)) in zip(part, zip(built, scores)) { measured.append((bits, b.bundle.count, score)) }
        }
        let values = adapter.modules.reduce(0) { $0 + $1.factorCount }
        Swift.print("Width grid, \(directory.lastPathComponent): \(grid.count) combinations (A and B of \(names.joined(separator: ", ")), "
            + "\(widths.first!) … \(widths.last!) bits), TFLM top-1 on the shifted split, reference \(GuardedBuildError.points(referenceAccuracy)):\n")
        Swift.print("| allowed drop | smallest bundle within it | bytes per factor value | widths | TFLM |")
        Swift.print("|---|---:|---:|---|---:|")
        for drop in [0.005, 0.01, 0.02] {
            guard let best = measured.filter({ $0.accuracy >= referenceAccuracy - drop - 1e-9 }).min(by: { $0.bytes < $1.bytes }) else {
                Swift.print("| \(String(format: "%.1f", 100 * drop)) points | none | | | |")
                continue
            }
            let w = names.map { "\($0) \(best.bits[$0]!)" }.joined(separator: "; ")
            Swift.print("| \(String(format: "%.1f", 100 * drop)) points | \(best.bytes) | \(String(format: "%.2f", Double(best.bytes) / Double(values))) "
                + "| \(w) | \(GuardedBuildError.points(best.accuracy)) |")
        }
        Swift.print("")
    }
}
