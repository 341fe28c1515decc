import Foundation
import AdapterFormat

/// One candidate the guarded build measured.
public struct GuardedTrial: Sendable, Equatable {
    /// Which of a module's factors the trial narrowed (`rank`: truncated it, `bits` is then the rank).
    public enum Factor: String, Sendable { case both = "A and B", a = "A", b = "B", rank = "rank" }
    public var module: String
    public var factor: Factor
    public var bits: Int
    public var bytes: Int
    public var accuracy: Double
    /// Whether the candidate kept the guard (and became the new choice).
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
/// Search: modules from the most factor values down; each module's A and B
/// width lowered together one bit at a time from 8 while the guard holds,
/// the others kept at their choice; then A alone, then B alone; last each
/// module's rank (every lower rank measured at once, kept when smaller). Accuracy is not monotonic in the width, so
/// this is greedy: it stops at a module's first failing width. Widths only
/// change the int8 values in the factor block, so the device's expansion,
/// bit-exact with the host, is unchanged (FORMAT.md §5.2–5.3); fewer levels
/// code in fewer bits (the `values` record codec, §4).
public enum GuardedLoRABuild {
    public static func build(base: [UInt8], adapter: PEFTAdapter, map: Data?, key: SigningKey, options: BundleOptions,
                             rank: Int?, mapName: String, guard accuracyGuard: AccuracyGuard, maxDrop: Double,
                             reference: [UInt8]?, dataName: String, describe: (([String: FactorBits], Double, Double) -> String)? = nil,
                             progress: (GuardedTrial) -> Void = { _ in }) throws -> GuardedBuildResult {
        // Candidates are measured whatever their size; the budget is checked on the choice.
        var open = options
        open.maxBytes = 1 << 28
        var ranks: [String: Int] = [:]
        func candidate(_ bits: [String: FactorBits], trialRanks: [String: Int]? = nil) throws -> LoRABuildResult {
            try LoRABundler.build(base: base, adapter: adapter, map: map, key: key, options: open, rank: rank,
                                  mapName: mapName, bits: bits, ranks: trialRanks ?? ranks, makeRestore: false)
        }
        let order = adapter.modules.sorted { $0.factorCount > $1.factorCount }.map(\.name)
        var bits = Dictionary(uniqueKeysWithValues: order.map { ($0, FactorBits.exact) })
        let exact = try candidate(bits)
        // One helper call checks the data against the model and measures both.
        let measured = try accuracyGuard.accuracy(of: (reference.map { [$0] } ?? []) + [exact.target])
        let referenceAccuracy = measured[0], exactAccuracy = measured[measured.count - 1]
        let floor = referenceAccuracy - maxDrop - 1e-9
        guard exactAccuracy >= floor else {
            throw GuardedBuildError.exactBelowGuard(exact: exactAccuracy, reference: referenceAccuracy, maxDrop: maxDrop)
        }
        var accuracy = exactAccuracy, trials: [GuardedTrial] = []
        // Lowers one module's widths step by step while the guard holds.
        func lower(_ name: String, _ factor: GuardedTrial.Factor, _ next: (FactorBits) -> FactorBits?) throws {
            while let narrower = next(bits[name]!) {
                var trial = bits
                trial[name] = narrower
                let built = try candidate(trial)
                let score = try accuracyGuard.accuracy(of: built.target)
                let kept = score >= floor
                let record = GuardedTrial(module: name, factor: factor, bits: factor == .b ? narrower.b : narrower.a,
                                          bytes: built.bundle.count, accuracy: score, kept: kept)
                trials.append(record)
                progress(record)
                guard kept else { return }
                bits = trial
                accuracy = score
            }
        }
        func step(_ w: Int) -> Int? { w > FactorBits.narrowest ? w - 1 : nil }
        // Both factors together first, then A alone (most of the values) and B alone.
        for name in order { try lower(name, .both) { w in step(w.a).flatMap { a in step(w.b).map { FactorBits(a: a, b: $0) } } } }
        for name in order { try lower(name, .a) { w in step(w.a).map { FactorBits(a: $0, b: w.b) } } }
        for name in order { try lower(name, .b) { w in step(w.b).map { FactorBits(a: w.a, b: $0) } } }
        // Then lower ranks (truncated SVD of B·A, RankReduction) at the chosen
        // widths: every lower rank of a module measured in one helper call, the
        // smallest bundle within the guard kept if smaller than the choice so far.
        // (Before the widths it loses: on the conv fixture a lower rank
        // leaves no room for narrower factors.)
        var currentBytes = try candidate(bits).bundle.count
        for name in order {
            let top = min(rank ?? Int.max, adapter.modules.first { $0.name == name }!.rank)
            guard top > 1 else { continue }
            let trialsOfModule = try (1 ..< top).map { r -> (Int, LoRABuildResult) in
                var trial = ranks
                trial[name] = r
                return (r, try candidate(bits, trialRanks: trial))
            }
            let scores = try accuracyGuard.accuracy(of: trialsOfModule.map(\.1.target))
            var best: (rank: Int, bytes: Int, accuracy: Double)?
            for ((r, built), score) in zip(trialsOfModule, scores) where score >= floor && built.bundle.count < currentBytes {
                if best == nil || built.bundle.count < best!.bytes { best = (r, built.bundle.count, score) }
            }
            for ((r, built), score) in zip(trialsOfModule, scores) {
                let record = GuardedTrial(module: name, factor: .rank, bits: r, bytes: built.bundle.count, accuracy: score,
                                          kept: best?.rank == r)
                trials.append(record)
                progress(record)
            }
            if let best {
                ranks[name] = best.rank
                accuracy = best.accuracy
                currentBytes = best.bytes
            }
        }
        // The measurement goes into the metadata (tag 7), and the widths as a note.
        let approximate = bits.values.contains { $0 != .exact }
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
                                  exactAccuracy: exactAccuracy, exactBytes: exact.bundle.count, trials: trials)
    }
}
