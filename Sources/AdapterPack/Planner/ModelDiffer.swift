import AdapterFormat

/// What `diff` found: the bundle's plan and how the models paired up.
public struct DeltaPlan: Sendable {
    /// The sections `BundleAssembler` writes.
    public var sections: BundlePlan
    /// Blocks of the base kept in the target (one block when the layout is unchanged).
    public var blocks: [Block] = []
    /// Target bytes that come from no base byte.
    public var literalBytes = 0
    /// Tensors of the target paired with base tensors by graph position.
    public var matchedTensors = 0
    /// The weight tensors coded by low-rank prediction plus residual.
    public var lowRank: [LowRankReport] = []
    /// What the bundler changed after planning (a coding dropped), for the user.
    public var notes: [String] = []

    public init(target: [UInt8], segmentSize: Int, deflate: Bool = true) {
        sections = BundlePlan(target: target, segmentSize: segmentSize, deflate: deflate)
    }
}

/// Computes a tensor-aware, exact delta between two model files.
///
/// Tensors are paired by graph position (subgraph, index, type, shape), never by
/// name or offset, so re-exported models with renamed tensors and moved buffers
/// still align. Changed int8 weights travel as mod-256 differences, int32
/// biases as integer differences, scales and zero points as XOR of their bit
/// patterns (in the scales section), everything else as XOR runs; every
/// content op is its own undo, so removing the adapter needs no extra data
/// unless the layout changed.
public enum ModelDiffer {
    /// Unchanged bytes shorter than this between two changes are sent inside one op.
    static let joinGap = 8

    public static let defaultSegmentSize = 4096

    public static func plan(base: [UInt8], target: [UInt8], segmentSize: Int = defaultSegmentSize,
                            lowRank useLowRank: Bool = true, deflate: Bool = true,
                            lossy: [Int: LossyTensor] = [:]) -> DeltaPlan {
        let baseModel = try? TFLiteModel(bytes: base)
        let targetModel = try? TFLiteModel(bytes: target)
        var plan = DeltaPlan(target: target, segmentSize: segmentSize, deflate: deflate)
        var anchors: [Block] = []
        // int8 weight tensors that may take the low-rank coding, by target data offset.
        var lowRank: [Int: TensorPair] = [:]
        if let baseModel, let targetModel {
            let pairs = TensorMatcher.match(base: baseModel, target: targetModel)
            plan.matchedTensors = pairs.count
            for pair in pairs {
                if useLowRank, let t = pair.target.dataRange, pair.base.dataRange?.count == t.count,
                   LowRankPlanner.geometry(base: pair.base, target: pair.target) != nil {
                    lowRank[t.lowerBound] = pair
                }
                if let b = pair.base.dataRange, let t = pair.target.dataRange, b.count == t.count {
                    anchors.append(Block(base: b.lowerBound, target: t.lowerBound, length: b.count))
                }
                if let b = pair.base.quantization?.scaleRange, let t = pair.target.quantization?.scaleRange,
                   b.count == t.count {
                    anchors.append(Block(base: b.lowerBound, target: t.lowerBound, length: b.count))
                }
            }
        }
        plan.blocks = BlockMap.align(base: base, target: target, anchors: anchors)
        planLayout(&plan, base: base, target: target)

        // For each target byte, the base byte it came from (or -1: literal).
        var origin = [Int](repeating: -1, count: target.count)
        for block in plan.blocks {
            for i in 0 ..< block.length { origin[block.target + i] = block.base + i }
        }
        plan.literalBytes = origin.lazy.filter { $0 < 0 }.count
        let regions = targetModel.map(ModelRegion.regions(of:)) ?? []
        var cursor = 0
        for region in regions {
            emitUntyped(&plan, base: base, target: target, origin: origin, range: cursor ..< region.range.lowerBound)
            emitRegion(&plan, region, base: base, target: target, origin: origin, lowRank: lowRank[region.range.lowerBound],
                       lossy: lossy[region.range.lowerBound])
            cursor = region.range.upperBound
        }
        emitUntyped(&plan, base: base, target: target, origin: origin, range: cursor ..< target.count)
        return plan
    }

    /// Moves and length changes, and the undo stream that reverses them.
    static func planLayout(_ plan: inout DeltaPlan, base: [UInt8], target: [UInt8]) {
        let moved = plan.blocks.filter { $0.shift != 0 }
        guard !moved.isEmpty || base.count != target.count else { return }
        if target.count > base.count { plan.sections.layout.setLength(target.count) }
        // Leftward moves front to back, then rightward moves back to front:
        // with ordered, disjoint blocks no move reads bytes another has written.
        for b in moved where b.shift < 0 { plan.sections.layout.move(from: b.base, to: b.target, length: b.length) }
        for b in moved.reversed() where b.shift > 0 { plan.sections.layout.move(from: b.base, to: b.target, length: b.length) }
        if target.count < base.count { plan.sections.layout.setLength(target.count) }

        if base.count > target.count { plan.sections.undo.setLength(base.count) }
        for b in moved where b.shift > 0 { plan.sections.undo.move(from: b.target, to: b.base, length: b.length) }
        for b in moved.reversed() where b.shift < 0 { plan.sections.undo.move(from: b.target, to: b.base, length: b.length) }
        // Base bytes no block carries are restored verbatim.
        var covered = [Bool](repeating: false, count: base.count)
        for b in plan.blocks { for i in b.base ..< b.base + b.length { covered[i] = true } }
        var i = 0
        while i < base.count {
            if covered[i] { i += 1; continue }
            var j = i
            while j < base.count, !covered[j] { j += 1 }
            plan.sections.undo.bytesOp(.write, offset: i, data: base[i ..< j])
            i = j
        }
        if base.count < target.count { plan.sections.undo.setLength(base.count) }
    }

    /// Bytes outside any known tensor: XOR runs, literal runs as `write`.
    static func emitUntyped(_ plan: inout DeltaPlan, base: [UInt8], target: [UInt8], origin: [Int], range: Range<Int>) {
        for run in ChangedRuns.find(base: base, target: target, origin: origin, range: range) {
            emitXorOrWrite(&plan.sections.payload, base: base, target: target, origin: origin, range: run)
        }
    }

    static func emitRegion(_ plan: inout DeltaPlan, _ region: ModelRegion, base: [UInt8], target: [UInt8], origin: [Int],
                           lowRank: TensorPair? = nil, lossy: LossyTensor? = nil) {
        let range = region.range
        let hasLiteral = range.contains { origin[$0] < 0 }
        let runs = ChangedRuns.find(base: base, target: target, origin: origin, range: range, joinGap: Int.max)
        guard let span = runs.first.map({ $0.lowerBound ..< runs.last!.upperBound }) else { return }
        // Quantization vectors are listed by the scales section's operations;
        // the map names the weight and bias tensors (32 bytes an entry).
        if case .quantization = region.content {} else { plan.sections.tensorMap.append(region.mapEntry()) }
        if hasLiteral {
            for run in ChangedRuns.find(base: base, target: target, origin: origin, range: range) {
                emitXorOrWrite(&plan.sections.payload, base: base, target: target, origin: origin, range: run)
            }
            return
        }
        switch region.content {
        case .int8Weights:
            let deltas = span.map { target[$0] &- base[origin[$0]] }
            if let lossy, emitLossy(&plan, lossy, range: range, base: base, target: target, origin: origin) { break }
            if let pair = lowRank, emitLowRank(&plan, pair, range: range, deltas: deltas, span: span,
                                                base: base, target: target, origin: origin) {
                break
            }
            plan.sections.payload.smallestBytes(xor: false, offset: span.lowerBound, values: deltas[...])
        case .int32Values where range.lowerBound % 4 == 0:
            // Align the span to whole values of the region.
            let first = range.lowerBound + (span.lowerBound - range.lowerBound) / 4 * 4
            let last = range.lowerBound + (span.upperBound - range.lowerBound + 3) / 4 * 4
            var deltas: [UInt32] = []
            for p in stride(from: first, to: last, by: 4) {
                deltas.append(word(target, p) &- word(base, origin[p]))
            }
            // Byte-wise differences mod 256 in four lanes, or int32 differences as varints.
            let bytewise = (first ..< last).map { target[$0] &- base[origin[$0]] }
            var words = OpStreamWriter()
            words.add32(offset: first, deltas: deltas)
            if CodedDeltaEncoder.operationSize(offset: first, values: bytewise, mode: CodedDeltaMode(xor: false, laneBits: 2))
                < words.bytes.count {
                plan.sections.payload.smallestBytes(xor: false, offset: first, values: bytewise[...], laneBits: 2)
            } else {
                plan.sections.payload.add32(offset: first, deltas: deltas)
            }
        case .quantization:
            // XOR of the bit patterns, whole elements, one lane per byte of a float32.
            let first = range.lowerBound + (span.lowerBound - range.lowerBound) / 4 * 4
            let last = min(range.upperBound, range.lowerBound + (span.upperBound - range.lowerBound + 3) / 4 * 4)
            let data = (first ..< last).map { target[$0] ^ base[origin[$0]] }
            plan.sections.scales.smallestBytes(xor: true, offset: first, values: data[...], laneBits: 2)
        case .otherTensor, .int32Values:
            for run in runs.flatMap({ ChangedRuns.find(base: base, target: target, origin: origin, range: $0) }) {
                emitXorOrWrite(&plan.sections.payload, base: base, target: target, origin: origin, range: run)
            }
        }
    }

    /// Codes a weight tensor by low-rank prediction plus residual (§5.5) when
    /// that measures smaller than its plain coding (a first factor block also
    /// pays a factors record header); true if it did.
    static func emitLowRank(_ plan: inout DeltaPlan, _ pair: TensorPair, range: Range<Int>, deltas: [UInt8],
                            span: Range<Int>, base: [UInt8], target: [UInt8], origin: [Int]) -> Bool {
        let baseStart = origin[range.lowerBound]
        guard baseStart >= 0, range.allSatisfy({ origin[$0] == baseStart + ($0 - range.lowerBound) }) else { return false }
        var plain = SegmentedOps(segmentSize: plan.sections.payload.segmentSize)
        plain.deflate = plan.sections.payload.deflate
        plain.smallestBytes(xor: false, offset: span.lowerBound, values: deltas[...])
        guard var candidate = LowRankPlanner.best(base: base, target: target, baseTensor: pair.base, targetTensor: pair.target,
                                                  baseStart: baseStart, range: range, segmentSize: plan.sections.payload.segmentSize,
                                                  block: plan.sections.factors.count) else { return false }
        let sectionEntry = plan.sections.factors.isEmpty ? 4 : 0
        guard candidate.cost + sectionEntry < plain.decodedLength else { return false }
        candidate.report.plainBytes = plain.decodedLength
        plan.sections.factors += candidate.factorBytes
        for op in candidate.operations { plan.sections.payload.append(segment: op.segment, op.ops) }
        plan.lowRank.append(candidate.report)
        return true
    }

    /// Codes a weight tensor by its low-rank prediction alone (`diff --lossy`):
    /// only when the target's bytes there are that prediction and the base's
    /// bytes sit where the problem took them; true if it did.
    static func emitLossy(_ plan: inout DeltaPlan, _ lossy: LossyTensor, range: Range<Int>, base: [UInt8], target: [UInt8],
                          origin: [Int]) -> Bool {
        let baseStart = origin[range.lowerBound]
        guard lossy.problem.range == range, baseStart >= 0,
              range.allSatisfy({ origin[$0] == baseStart + ($0 - range.lowerBound) }),
              base[baseStart ..< baseStart + range.count].elementsEqual(lossy.problem.old),
              let candidate = lossy.candidate(segmentSize: plan.sections.payload.segmentSize, block: plan.sections.factors.count),
              candidate.produced.elementsEqual(target[range]) else { return false }
        plan.sections.factors += candidate.factorBytes
        for op in candidate.operations { plan.sections.payload.append(segment: op.segment, op.ops) }
        plan.lowRank.append(candidate.report)
        return true
    }

    /// Little-endian u32 at `p`; origin of a whole-region op is contiguous.
    static func word(_ bytes: [UInt8], _ p: Int) -> UInt32 {
        UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
    }

    static func emitXorOrWrite(_ stream: inout SegmentedOps, base: [UInt8], target: [UInt8], origin: [Int],
                               range: Range<Int>) {
        // Split into literal and mapped parts.
        var i = range.lowerBound
        while i < range.upperBound {
            let literal = origin[i] < 0
            var j = i
            while j < range.upperBound, (origin[j] < 0) == literal { j += 1 }
            if literal {
                stream.bytesOp(.write, offset: i, data: target[i ..< j])
            } else {
                let data = (i ..< j).map { target[$0] ^ base[origin[$0]] }
                stream.bytesOp(.xor, offset: i, data: data[...])
            }
            i = j
        }
    }
}
