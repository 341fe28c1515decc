import Foundation
import AdapterFormat

/// One candidate the guarded build measured: one module's widths and rank
/// changed, the others at their choice so far.
public struct GuardedTrial: Sendable, Equatable {
    public var module: String
    public var bits: FactorBits
    /// The module's rank in the trial (the adapter's unless the rank pass lowered it).
    public var rank: Int
    public var bytes: Int
    public var accuracy: Double
    /// Whether the candidate became the new choice (within the guard, the smallest of its round).
    public var kept: Bool
}

/// What `build --max-accuracy-drop` chose and measured.
public struct GuardedBuildResult: Sendable {
    public var result: LoRABuildResult
    /// Factor bits per module.
    public var bits: [String: FactorBits]
    /// Rank per module (the adapter's, or lower).
    public var ranks: [String: Int]
    /// TFLM accuracy of the chosen bundle's patched model, of the reference,
    /// and of the exact (8-bit) bundle's patched model.
    public var accuracy: Double
    public var reference: Double
    public var exactAccuracy: Double
    public var exactBytes: Int
    public var trials: [GuardedTrial]
}

public enum GuardedBuildError: Error, CustomStringConvertible {
    /// Even the exact bundle's patched model drops more than allowed.
    case exactBelowGuard(exact: Double, reference: Double, maxDrop: Double)
    /// The smallest bundle within the guard is over --max-bytes.
    case overBudget(size: Int, budget: Int, accuracy: Double, reference: Double, maxDrop: Double)

    public var description: String {
        switch self {
        case .exactBelowGuard(let exact, let reference, let maxDrop):
            return "accuracy guard: even the exact (8-bit) bundle scores \(Self.points(exact)) against the reference's "
                + "\(Self.points(reference)), a drop of \(Self.drop(reference - exact)), over --max-accuracy-drop "
                + "\(maxDrop) (\(Self.drop(maxDrop))); no bundle was written"
        case .overBudget(let size, let budget, let accuracy, let reference, let maxDrop):
            return "the smallest bundle within the accuracy guard (\(Self.points(accuracy)) vs \(Self.points(reference)), "
                + "allowed drop \(Self.drop(maxDrop))) is \(size) bytes, \(size - budget) over the \(budget)-byte "
                + "budget (--max-bytes): the guard is met, the budget is not; allow a larger drop or a lower --rank"
        }
    }

    /// A fraction as percentage points, e.g. 0.8125 → "81.25 %".
    public static func points(_ x: Double) -> String { String(format: "%.2f %%", 100 * x) }
    /// A difference of fractions in percentage points, e.g. 0.0075 → "0.75 points".
    public static func drop(_ x: Double) -> String { String(format: "%.2f points", 100 * x) }
}

/// `build` with an accuracy guard (issue #15): the smallest factor coding
/// whose patched model, run by TFLM on the user's data, stays within
/// `maxDrop` of the reference (the exact bundle's model, or `reference`,
/// e.g. the float-merged model).
///
/// Search, coordinate by coordinate, each round one helper call: modules from
/// the most factor values down, every (A, B) width pair 2 … 8 bits of one
/// module with the others at their choice, keeping the smallest bundle within
/// the guard; again until a round over all modules changes nothing (at most
/// three); then each module's lower ranks at its widths, kept when smaller.
/// Accuracy is not monotonic in the width, which is why whole rows of the
/// grid are measured rather than one bit at a time (on digits the greedy
/// one-bit descent chose 2,023 bytes within 0.5 points where the grid has
/// 1,752). Widths only change the int8 values in the factor block, so the
/// device's expansion, bit-exact with the host, is unchanged (FORMAT.md
/// §5.2–5.3); fewer levels code in fewer bits (the `values` record codec, §4).
public enum GuardedLoRABuild {
    public static func build(base: [UInt8], adapter: PEFTAdapter, map: Data?, key: SigningKey, options: BundleOptions,
                             rank: Int?, mapName: String, guard accuracyGuard: AccuracyGuard, maxDrop: Double,
                             reference: [UInt8]?, dataName: String, describe: (([String: FactorBits], Double, Double) -> String)? = nil,
                             progress: (GuardedTrial) -> Void = { _ in }) throws -> GuardedBuildResult {
        // Candidates are measured whatever their size; the budget is checked on the choice.
        var open = options
        open.maxBytes = 1 << 28
        // Resolved once; candidates are planned and assembled without the self-check (the choice has it).
        let resolved = try LoRABundler.targets(base: base, adapter: adapter, map: map, rank: rank, mapName: mapName)
        let topRank = Dictionary(resolved.map { ($0.module.name, $0.module.rank) }) { a, _ in a }
        func candidate(_ bits: [String: FactorBits], _ ranks: [String: Int]) throws -> (bytes: Int, target: [UInt8]) {
            let (plan, bytes) = try LoRABundler.assemble(base: base, targets: LoRABundler.with(resolved, bits: bits, ranks: ranks),
                                                         adapter: adapter, key: key, options: open, selfCheck: false)
            return (bytes.count, plan.sections.target)
        }
        let order = adapter.modules.sorted { $0.factorCount > $1.factorCount }.map(\.name)
        var bits = Dictionary(uniqueKeysWithValues: order.map { ($0, FactorBits.exact) })
        var ranks: [String: Int] = [:]
        let exact = try candidate(bits, ranks)
        // One helper call checks the data against the model and measures both.
        let measured = try accuracyGuard.accuracy(of: (reference.map { [$0] } ?? []) + [exact.target])
        let referenceAccuracy = measured[0], exactAccuracy = measured[measured.count - 1]
        let floor = referenceAccuracy - maxDrop - 1e-9
        guard exactAccuracy >= floor else {
            throw GuardedBuildError.exactBelowGuard(exact: exactAccuracy, reference: referenceAccuracy, maxDrop: maxDrop)
        }
        var accuracy = exactAccuracy, currentBytes = exact.bytes, trials: [GuardedTrial] = []
        /// Measures one module's options in one helper call; moves to the smallest within the guard if smaller. True if it moved.
        func round(_ name: String, _ options: [(bits: FactorBits, rank: Int?)]) throws -> Bool {
            let built = try options.map { o -> (FactorBits, Int?, (bytes: Int, target: [UInt8])) in
                var b = bits, r = ranks
                b[name] = o.bits
                r[name] = o.rank
                return (o.bits, o.rank, try candidate(b, r))
            }
            let scores = try accuracyGuard.accuracy(of: built.map(\.2.target))
            let best = zip(built, scores).filter { $0.1 >= floor && $0.0.2.bytes < currentBytes }.min { $0.0.2.bytes < $1.0.2.bytes }
            for ((b, r, c), score) in zip(built, scores) {
                let record = GuardedTrial(module: name, bits: b, rank: r ?? topRank[name] ?? 0, bytes: c.bytes, accuracy: score,
                                          kept: best.map { $0.0.0 == b && $0.0.1 == r } ?? false)
                trials.append(record)
                progress(record)
            }
            guard let ((b, r, c), score) = best else { return false }
            bits[name] = b
            ranks[name] = r
            accuracy = score
            currentBytes = c.bytes
            return true
        }
        let widths = FactorBits.narrowest ... 8
        for _ in 0 ..< 3 {
            var moved = false
            for name in order {
                let pairs = widths.flatMap { a in widths.map { b in FactorBits(a: a, b: b) } }.filter { $0 != bits[name] }
                moved = try round(name, pairs.map { ($0, ranks[name]) }) || moved
            }
            guard moved else { break }
        }
        // Lower ranks (truncated SVD of B·A, RankReduction) at the chosen widths.
        for name in order where (topRank[name] ?? 1) > 1 {
            _ = try round(name, (1 ..< (ranks[name] ?? topRank[name]!)).map { (bits[name]!, $0) })
        }
        // The measurement goes into the metadata (tag 7), and the widths as a note.
        let approximate = bits.values.contains { $0 != .exact } || !ranks.isEmpty
        var metadata: [(tag: MetadataTag, value: String)] = [
            (.accuracy, AccuracyRecord(approximate: approximate, accuracy: accuracy, reference: referenceAccuracy,
                                       maxDrop: maxDrop, data: options.describe ? dataName : "").text)]
        if let note = describe?(bits, accuracy, referenceAccuracy) { metadata.append((.note, note)) }
        let chosen = try LoRABundler.build(base: base, adapter: adapter, map: map, key: key, options: open, rank: rank,
                                           mapName: mapName, bits: bits, ranks: ranks, metadata: metadata)
        guard chosen.bundle.count <= options.maxBytes else {
            throw GuardedBuildError.overBudget(size: chosen.bundle.count, budget: options.maxBytes, accuracy: accuracy,
                                               reference: referenceAccuracy, maxDrop: maxDrop)
        }
        return GuardedBuildResult(result: chosen, bits: bits, ranks: ranks, accuracy: accuracy, reference: referenceAccuracy,
                                  exactAccuracy: exactAccuracy, exactBytes: exact.bytes, trials: trials)
    }
}
