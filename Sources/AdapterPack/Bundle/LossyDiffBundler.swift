import Foundation
import AdapterFormat

/// How `diff --lossy` sends one weight tensor.
public struct LossyLayer: Sendable, Equatable {
    public var tensorIndex: Int
    public var name: String
    public var rows: Int
    public var columns: Int
    /// The rank of its low-rank prediction; nil: the tensor's exact change.
    public var rank: Int?
    public var bits: FactorBits
    /// Misses of the prediction larger than this many int8 steps are sent
    /// (nil: exact; `Int.max`: none).
    public var tolerance: Int?
    /// Share of the float change ‖ΔW‖² in that rank (1 when exact).
    public var energy: Double
}

/// One candidate the lossy search measured.
public struct LossyTrial: Sendable, Equatable {
    public var tensor: String
    /// What changed: "rank 4", "exact", "5-bit".
    public var choice: String
    public var bytes: Int
    public var accuracy: Double
    /// Whether it kept the guard and was the smallest of its round.
    public var kept: Bool
}

/// What `diff --lossy` chose and measured.
public struct LossyDiffResult: Sendable {
    public var bundle: [UInt8]
    /// The model the device holds after applying it (not the target: an approximation).
    public var model: [UInt8]
    public var plan: DeltaPlan
    public var layers: [LossyLayer]
    /// TFLM top-1 of `model`, and of the reference.
    public var accuracy: Double
    public var reference: Double
    public var trials: [LossyTrial]
    /// The exact bundle back to the base (`model` → base) for a one-way
    /// bundle, or nil with `restoreProblem` saying why none was made.
    public var restore: [UInt8]?
    public var restoreProblem: String?
}

public enum LossyDiffError: Error, CustomStringConvertible, Equatable {
    /// No int8 weight tensor changed in a way the low-rank prediction can carry.
    case nothingToApproximate
    /// Even the exact change scores under the guard (the reference is another model).
    case guardNotMet(accuracy: Double, reference: Double, maxDrop: Double)
    /// The smallest bundle within the guard is over the byte budget.
    case overBudget(size: Int, budget: Int, accuracy: Double, reference: Double, maxDrop: Double)

    public var description: String {
        let points = GuardedBuildError.points, drop = GuardedBuildError.drop
        switch self {
        case .nothingToApproximate:
            return "diff --lossy: no int8 weight tensor of --target differs from --base in a way a low-rank prediction "
                + "can carry (same shape, per-row or per-tensor scales, zero points 0); use diff without --lossy"
        case .guardNotMet(let accuracy, let reference, let maxDrop):
            return "accuracy guard: even the exact change scores \(points(accuracy)) against the reference's "
                + "\(points(reference)), a drop of \(drop(reference - accuracy)), over --max-accuracy-drop "
                + "\(drop(maxDrop)); no bundle was written"
        case .overBudget(let size, let budget, let accuracy, let reference, let maxDrop):
            return "the smallest lossy bundle within the accuracy guard (\(points(accuracy)) vs \(points(reference)), "
                + "allowed drop \(drop(maxDrop))) is \(size) bytes, \(size - budget) over the \(budget)-byte budget "
                + "(--max-bytes): the guard is met, the budget is not; allow a larger drop or more bytes; no bundle was written"
        }
    }
}

/// `diff --lossy` (issue #15): a full fine-tune sent as an approximation
/// that keeps accuracy. Each changed int8 weight tensor may go as the
/// low-rank prediction of its change alone (Spec/FORMAT.md §4.5 with a zero
/// forward residual: truncated SVD of the dequantized ΔW, factors quantized
/// like LoRA's); everything else (biases, scales, zero points, small
/// tensors) goes exact. The device's model is then the prediction, and the
/// bundle's target digest is that model's, so apply, verify and unapply
/// (the inverse residual is exact) work as for any bundle.
///
/// Search, every candidate run by TFLM on the user's data, many per helper
/// call: (1) every tensor at its largest rank (fall back to exact tensors,
/// smallest first, until the guard holds); (2) tensors from the largest,
/// each at every lower rank, the others fixed: keep the smallest bundle
/// within the guard; (3) the same over factor widths 7 … 3 bits.
public enum LossyDiffBundler {
    /// Largest rank tried for a tensor.
    public static let maxRank = 32

    public static func bundle(base: [UInt8], target: [UInt8], key: SigningKey, options: BundleOptions,
                              guard accuracyGuard: AccuracyGuard, maxDrop: Double, reference: [UInt8]?,
                              dataName: String, progress: (LossyTrial) -> Void = { _ in }) throws -> LossyDiffResult {
        let baseModel = try TFLiteModel(bytes: base), targetModel = try TFLiteModel(bytes: target)
        let problems = Self.problems(base: base, target: target, baseModel: baseModel, targetModel: targetModel)
        guard !problems.isEmpty else { throw LossyDiffError.nothingToApproximate }
        let names = Dictionary(problems.map { ($0.tensorIndex, Self.name(targetModel, $0.tensorIndex)) }) { a, _ in a }
        // Candidates are measured whatever their size; the budget is checked on the choice.
        var open = options
        open.maxBytes = 1 << 28

        /// A configuration: tensor index → its lossy coding (absent: exact).
        typealias Choice = [Int: LossyTensor]
        struct Built { var bytes: [UInt8]; var model: [UInt8]; var plan: DeltaPlan }
        func build(_ choice: Choice, metadata: AccuracyRecord? = nil) -> Built? {
            var model = target
            var byOffset: [Int: LossyTensor] = [:]
            for lossy in choice.values {
                guard let c = lossy.candidate(segmentSize: options.segmentSize, block: 0) else { return nil }
                model.replaceSubrange(lossy.problem.range, with: c.produced)
                byOffset[lossy.problem.range.lowerBound] = lossy
            }
            var plan = ModelDiffer.plan(base: base, target: model, segmentSize: options.segmentSize,
                                        lowRank: options.lowRank, deflate: options.deflate, lossy: byOffset)
            if let metadata { plan.sections.metadata.append((.accuracy, metadata.text)) }
            // Lossy tensors carry no inverse residual: unapply is refused, the restore bundle undoes it.
            plan.sections.oneWay = !plan.lowRank.isEmpty && !choice.isEmpty
            // A candidate whose factors do not fit the window is no candidate.
            guard let bytes = try? BundleAssembler.assemble(plan.sections, base: base, key: key, options: open) else { return nil }
            return Built(bytes: bytes, model: model, plan: plan)
        }
        /// Builds and scores the configurations (one helper call), with `extra` models scored first.
        func measure(_ choices: [Choice], extra: [[UInt8]] = []) throws -> (extra: [Double], scored: [(Choice, Built, Double)]) {
            let built = choices.map { c in build(c).map { (c, $0) } }.compactMap { $0 }
            let scores = try accuracyGuard.accuracy(of: extra + built.map(\.1.model))
            return (Array(scores.prefix(extra.count)), zip(built, scores.dropFirst(extra.count)).map { ($0.0, $0.1, $1) })
        }

        // (1) Every tensor at its largest useful rank.
        var choice: Choice = [:]
        for p in problems { choice[p.tensorIndex] = LossyTensor(problem: p, rank: rankLimit(p)) }
        // Factors live in the device's window: lower the highest ranks (the
        // largest block of those) until the bundle fits it.
        func order(_ t: LossyTensor) -> (Int, Int) { (t.rank, (t.problem.rows + t.problem.columns) * t.rank) }
        while !choice.isEmpty, build(choice) == nil {
            let (index, largest) = choice.max { order($0.value) < order($1.value) }!
            choice[index] = largest.rank > 1 ? LossyTensor(problem: largest.problem, rank: largest.rank - 1) : nil
        }
        let first = try measure([choice], extra: [reference ?? target])
        let referenceAccuracy = first.extra[0]
        let floor = referenceAccuracy - maxDrop - 1e-9
        var trials: [LossyTrial] = []
        func record(_ tensor: String, _ what: String, _ built: Built, _ score: Double, kept: Bool) {
            let t = LossyTrial(tensor: tensor, choice: what, bytes: built.bytes.count, accuracy: score, kept: kept)
            trials.append(t)
            progress(t)
        }
        func describe(_ t: LossyTensor) -> String {
            "rank \(t.rank), \(t.bits)" + (t.tolerance == .max ? "" : ", misses over \(t.tolerance) sent")
        }
        func describe(_ c: Choice) -> String {
            c.values.sorted { $0.problem.tensorIndex < $1.problem.tensorIndex }
                .map { "\(names[$0.problem.tensorIndex]!) \(describe($0))" }.joined(separator: "; ")
        }
        /// Measures the options and moves to the smallest one within the guard, if smaller than `current`.
        var current: (built: Built, accuracy: Double)?
        func step(_ index: Int?, _ options: [Choice]) throws {
            guard !options.isEmpty else { return }
            let scored = try measure(options).scored
            let best = scored.filter { $0.2 >= floor }.min { $0.1.bytes.count < $1.1.bytes.count }
            let keep = best.map { b in current.map { b.1.bytes.count < $0.built.bytes.count } ?? true } ?? false
            for (c, built, score) in scored {
                let what = index.map { c[$0].map(describe) ?? "exact" } ?? describe(c)
                record(index.map { names[$0]! } ?? "all", what, built, score, kept: keep && built.bytes == best!.1.bytes)
            }
            if keep, let best {
                choice = best.0
                current = (best.1, best.2)
            }
        }
        if let (_, built, score) = first.scored.first {
            record("all", describe(choice), built, score, kept: score >= floor)
            if score >= floor { current = (built, score) }
        }
        if current == nil {
            // Send the larger misses too, the same tolerance everywhere, then
            // exact tensors (smallest first), until the guard holds.
            var options = [4, 2, 1].map { t in choice.mapValues { var x = $0; x.tolerance = t; return x } }
            var c = choice
            for p in problems.reversed() where c[p.tensorIndex] != nil {
                c[p.tensorIndex] = nil
                options.append(c)
            }
            try step(nil, options)
            guard current != nil else {
                throw LossyDiffError.guardNotMet(accuracy: trials.last?.accuracy ?? 0, reference: referenceAccuracy, maxDrop: maxDrop)
            }
        }
        // Then one tensor at a time from the largest: (2) lower ranks, (3)
        // narrower factors, (4) fewer misses sent.
        for round in 0 ..< 3 {
            for p in problems {
                guard let now = choice[p.tensorIndex] else { continue }
                var options: [LossyTensor] = []
                switch round {
                case 0: options = (1 ..< now.rank).map { var x = now; x.rank = $0; return x }
                case 1: options = stride(from: 7, through: 3, by: -1).map { var x = now; x.bits = FactorBits(a: $0, b: $0); return x }
                default: options = [2, 4, 8, .max].filter { $0 > now.tolerance }.map { var x = now; x.tolerance = $0; return x }
                }
                try step(p.tensorIndex, options.map { o in var c = choice; c[p.tensorIndex] = o; return c })
            }
        }
        guard let current else { throw LossyDiffError.nothingToApproximate }
        // The choice, with its measurement in the metadata, self-checked by the device loader.
        let measured = AccuracyRecord(approximate: !choice.isEmpty, accuracy: current.accuracy, reference: referenceAccuracy,
                                      maxDrop: maxDrop, data: options.describe ? dataName : "")
        guard let chosen = build(choice, metadata: measured) else {
            throw BundleBuildError.selfCheck("the chosen lossy bundle could not be assembled again")
        }
        try BundleAssembler.selfCheck(chosen.bytes, base: base, target: chosen.model, key: key,
                                      oneWay: chosen.plan.sections.oneWay)
        guard chosen.bytes.count <= options.maxBytes else {
            throw LossyDiffError.overBudget(size: chosen.bytes.count, budget: options.maxBytes, accuracy: current.accuracy,
                                            reference: referenceAccuracy, maxDrop: maxDrop)
        }
        let layers = problems.map { p -> LossyLayer in
            let c = choice[p.tensorIndex]
            return LossyLayer(tensorIndex: p.tensorIndex, name: names[p.tensorIndex]!, rows: p.rows, columns: p.columns,
                              rank: c?.rank, bits: c?.bits ?? .exact, tolerance: c?.tolerance,
                              energy: c.map { p.captured(rank: $0.rank) } ?? 1)
        }
        var restore: [UInt8]?, restoreProblem: String?
        if chosen.plan.sections.oneWay {
            var reverse = options
            reverse.name = options.name.map { $0 + " (restore)" }
            // --max-bytes is the lossy bundle's budget; the restore bundle has the product's 100 KB.
            reverse.maxBytes = BundleOptions().maxBytes
            (reverse.baseFile, reverse.targetFile) = (options.targetFile, options.baseFile)
            do {
                restore = try DiffBundler.bundle(base: chosen.model, target: base, key: key, options: reverse).bytes
            } catch BundleBuildError.overBudget(let size, let budget) {
                restoreProblem = "the exact way back to the base is \(size) bytes, over the \(budget)-byte bundle limit: "
                    + "no restore bundle was written; removing this adapter means sending the base model whole"
            }
        }
        return LossyDiffResult(bundle: chosen.bytes, model: chosen.model, plan: chosen.plan, layers: layers,
                               accuracy: current.accuracy, reference: referenceAccuracy, trials: trials,
                               restore: restore, restoreProblem: restoreProblem)
    }

    /// The changed int8 weight tensors a low-rank prediction can carry, largest first.
    static func problems(base: [UInt8], target: [UInt8], baseModel: TFLiteModel, targetModel: TFLiteModel) -> [LowRankProblem] {
        var found: [LowRankProblem] = []
        for pair in TensorMatcher.match(base: baseModel, target: targetModel) {
            guard let b = pair.base.dataRange, let t = pair.target.dataRange, b.count == t.count,
                  !base[b].elementsEqual(target[t]),
                  let p = LowRankProblem(base: base, target: target, baseTensor: pair.base, targetTensor: pair.target,
                                         baseStart: b.lowerBound, range: t, maxRank: maxRank) else { continue }
            if rankLimit(p) >= 1 { found.append(p) }
        }
        return found.sorted { $0.rows * $0.columns > $1.rows * $1.columns }
    }

    /// Largest rank worth trying: factors under half the tensor's int8 bytes.
    static func rankLimit(_ p: LowRankProblem) -> Int {
        min(maxRank, p.sigma.count, p.sigma.filter { $0 > 0 }.count, p.rows * p.columns / (2 * (p.rows + p.columns)))
    }

    static func name(_ model: TFLiteModel, _ index: Int) -> String {
        let name = model.subgraphs.first.flatMap { g in g.tensors.first { $0.index == index }?.name } ?? ""
        return name.isEmpty ? "tensor \(index)" : "\(name) (tensor \(index))"
    }
}
