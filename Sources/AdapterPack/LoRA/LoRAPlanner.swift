import Foundation
import AdapterFormat

/// What a LoRA bundle does to one module, for reports.
public struct LoRAModuleReport: Sendable, Equatable {
    public var module: String
    public var tensorIndex: Int
    public var matchedBy: String
    public var rank: Int
    public var rows: Int
    public var columns: Int
    /// Weights whose w + Δ leaves −127 … 127.
    public var saturatingWeights: Int
    /// Rows whose scale widened.
    public var rescaledRows: Int
    /// Largest |Δ| in int8 steps.
    public var largestDelta: Int
}

/// The plan of a LoRA bundle (Spec/FORMAT.md §4.2–4.4) and what it does per module.
public struct LoRAPlan: Sendable {
    /// The sections `BundleAssembler` writes; its target is base + LoRA with the backups after it.
    public var sections: BundlePlan
    public var modules: [LoRAModuleReport] = []
    /// Base bytes the target keeps after the model for unapply (rescaled rows and biases).
    public var backupBytes = 0
    public var backupRuns = 0
}

/// Quantizes the factors, expands them with the device's arithmetic
/// (`LoRAExpansion`) to compute the exact target, and lays out the sections.
///
/// Reversibility: shifted rows are undone by subtracting Δ again. A rescaled
/// row loses information (≈ log2(max|w + Δ| / 127) bits per weight). By
/// default nothing of it is kept: the bundle is one-way (FORMAT.md §2) and
/// `LoRABundler` also makes the restore bundle (target → base). With
/// `keepBaseRows` its base bytes, and those of its bias, are kept instead:
/// the layout section copies them (`move`) to the end of the model before
/// the content runs, and the undo section moves them back and restores the
/// base length. Measured on digits/lora-adapter: 47 rescaled rows; sending
/// their base bytes as undo `write` records would cost about 20 KB, the
/// moves cost 30 bytes, the model grows by 24,300 bytes (+65 %).
public enum LoRAPlanner {
    /// Backup runs closer than this many bytes are merged into one `move`
    /// (fewer bundle bytes and flash steps, a little more flash). On
    /// digits/lora-adapter: gap 0 → 24 runs, 4,592-byte bundle, 20,540 bytes
    /// kept; gap 512 → 2 runs, 4,279 bytes, 24,300 bytes kept.
    public static let defaultMergeGap = 512

    public static func plan(base: [UInt8], targets: [LoRATarget], segmentSize: Int, keepBaseRows: Bool = false,
                            mergeGap: Int = defaultMergeGap) throws -> LoRAPlan {
        var plan = LoRAPlan(sections: BundlePlan(target: base, segmentSize: segmentSize))
        var backups: [Range<Int>] = []
        var blocks: [Int] = []
        for target in targets {
            let block = plan.sections.factors.count
            blocks.append(block)
            let (bytes, report, rescaled) = try expand(target, block: block, model: &plan.sections.target)
            plan.sections.factors += bytes
            plan.modules.append(report)
            let weights = target.weight.dataRange!
            let columns = target.module.inFeatures
            try plan.sections.payload.blockOp(.loraWeights, range: weights, block: block)
            if let bias = target.bias?.dataRange {
                try plan.sections.payload.blockOp(.loraBias, range: bias, block: block)
            }
            for row in rescaled {
                backups.append(weights.lowerBound + row * columns ..< weights.lowerBound + (row + 1) * columns)
                if let bias = target.bias?.dataRange { backups.append(bias.lowerBound + 4 * row ..< bias.lowerBound + 4 * row + 4) }
            }
            plan.sections.tensorMap.append(entry(target.weight, role: .weights))
            if let bias = target.bias { plan.sections.tensorMap.append(entry(bias, role: .bias)) }
        }
        // Scale vectors: a one-way bundle has the device divide them by the rows'
        // ratios (`loraScales`, 4 bytes an operation) when the vector lies in one
        // segment; otherwise, and in a reversible bundle (whose undo needs an exact
        // inverse), the XOR of the float32 bit patterns (its own inverse).
        for (target, block) in zip(targets, blocks) {
            let rows = target.module.outFeatures
            for range in target.scaleVectors {
                let changes = ChangedRuns.find(base: base, target: plan.sections.target, origin: nil, range: range)
                let count = range.count / 4
                if !changes.isEmpty, !keepBaseRows, count == rows || count == 1,
                   range.lowerBound / segmentSize == (range.upperBound - 1) / segmentSize {
                    try plan.sections.scales.blockOp(.loraScales, range: range, block: block)
                    continue
                }
                for run in changes {
                    let data = run.map { plan.sections.target[$0] ^ base[$0] }
                    plan.sections.scales.bytesOp(.xor, offset: run.lowerBound, data: data[...])
                }
            }
        }
        // Backups of rescaled rows after the model; undo moves them back.
        if !keepBaseRows {
            plan.sections.oneWay = !backups.isEmpty
            return plan
        }
        let runs = merge(backups, gap: mergeGap)
        if !runs.isEmpty {
            var tail = base.count
            let total = base.count + runs.reduce(0) { $0 + $1.count }
            plan.sections.layout.setLength(total)
            for run in runs {
                plan.sections.layout.move(from: run.lowerBound, to: tail, length: run.count)
                plan.sections.undo.move(from: tail, to: run.lowerBound, length: run.count)
                plan.sections.target += base[run]
                tail += run.count
            }
            plan.sections.undo.setLength(base.count)
            plan.backupBytes = total - base.count
            plan.backupRuns = runs.count
        }
        return plan
    }

    /// Builds one factor block and applies it to `model` with the shared
    /// fixed-point code; returns the block, its report and the rescaled rows.
    static func expand(_ target: LoRATarget, block: Int,
                       model: inout [UInt8]) throws -> ([UInt8], LoRAModuleReport, [Int]) {
        let module = target.module
        let quantization = target.weight.quantization!
        let scales = quantization.scales.map(Double.init)
        let q = try LoRAQuantizer.quantize(module, weightScales: scales, bits: target.bits)
        let r = q.rank, rows = q.rows, columns = q.columns
        let weights = target.weight.dataRange!
        let header = LoRABlockHeader(weights: UInt32(weights.lowerBound),
                                     bias: target.bias?.dataRange.map { UInt32($0.lowerBound) } ?? LoRABlockHeader.noBias,
                                     rows: UInt16(rows), columns: UInt16(columns), rank: UInt8(r), shift: q.shift)
        var bytes = FactorBlockWriter.block(header, q, extent: header.blockSize)
        var report = LoRAModuleReport(module: module.name, tensorIndex: target.weight.index, matchedBy: target.matchedBy,
                                      rank: r, rows: rows, columns: columns, saturatingWeights: 0, rescaledRows: 0,
                                      largestDelta: 0)
        // Every row's v = w + Δ, with the device's arithmetic.
        var values = [[Int64]](repeating: [], count: rows)
        var accs = [[Int32]](repeating: [], count: rows)
        var rowParameters: [LoRARow] = []
        bytes.withUnsafeBytes { raw in
            for o in 0 ..< rows {
                let m = q.multipliers[o]
                let parameters = LoRARow(multiplier: m.multiplier, shift: m.shift)
                rowParameters.append(parameters)
                let record = header.rowsOffset + o * header.rowRecordSize
                var row = [Int64](repeating: 0, count: columns)
                var rowAccs = [Int32](repeating: 0, count: columns)
                for i in 0 ..< columns {
                    rowAccs[i] = LoRAExpansion.dot(raw, record, raw, header.aOffset + i * r, rank: r)
                    let delta = LoRAExpansion.delta(rowAccs[i], parameters)
                    report.largestDelta = max(report.largestDelta, Int(delta.magnitude))
                    row[i] = Int64(Int8(bitPattern: model[weights.lowerBound + o * columns + i])) + delta
                }
                values[o] = row
                accs[o] = rowAccs
            }
        }
        // Rows (or, per-tensor, the whole tensor) that leave the int8 range get a wider scale.
        let largest = values.map { $0.map(\.magnitude).max() ?? 0 }
        report.saturatingWeights = values.reduce(0) { $0 + $1.filter { $0.magnitude > 127 }.count }
        var rescaled: [Int] = []
        let perTensor = scales.count == 1
        let tensorLargest = largest.max() ?? 0
        let wanted = (0 ..< rows).map { 127 / Double(perTensor ? tensorLargest : largest[$0]) }
        let overflowing = (0 ..< rows).filter { perTensor ? tensorLargest > 127 : largest[$0] > 127 }
        // One m for the block, from its largest ratio; each row's R ≤ 255 under it.
        let m = overflowing.isEmpty ? 0 : FixedPoint.ratioShift(largest: overflowing.map { wanted[$0] }.max()!)
        for o in overflowing {
            rowParameters[o].rescaled = true
            rowParameters[o].ratio = FixedPoint.ratio(wanted[o], shift: m)
            rowParameters[o].ratioShift = m
            rescaled.append(o)
        }
        report.rescaledRows = rescaled.count
        bytes.withUnsafeMutableBytes { raw in
            var withRatio = header
            withRatio.ratioShift = m
            withRatio.write(into: raw)
            for o in 0 ..< rows {
                rowParameters[o].write(into: raw, at: header.rowsOffset + o * header.rowRecordSize + r)
            }
        }
        // The target: weights, then biases and scales of rescaled rows.
        for o in 0 ..< rows {
            let p = rowParameters[o]
            for i in 0 ..< columns {
                let at = weights.lowerBound + o * columns + i
                model[at] = LoRAExpansion.forward(model[at], acc: accs[o][i], p)
            }
        }
        if let bias = target.bias?.dataRange {
            for o in rescaled {
                let at = bias.lowerBound + 4 * o
                let old = Int32(bitPattern: readLE32(model, at))
                writeLE32(&model, at, UInt32(bitPattern: LoRAExpansion.rescaleBias(old, rowParameters[o])))
            }
        }
        // New float32 scales: old / ρ, with the device's exact integer division
        // (`loraScales` computes them there; a reversible bundle sends them as XOR).
        let scaleRows = perTensor ? (rescaled.isEmpty ? [] : [0]) : rescaled
        for o in scaleRows {
            for range in target.scaleVectors {
                let at = range.lowerBound + 4 * o
                guard let scaled = LoRAExpansion.rescaleScale(readLE32(model, at), rowParameters[o]) else {
                    throw PEFTError.map("module \(module.name): row \(o)'s quantization scale at model offset \(at) is not a "
                        + "positive normal float32 or overflows when widened by 1/ρ = \(Double(1 << Int(rowParameters[o].ratioShift)) / Double(rowParameters[o].ratio))")
                }
                writeLE32(&model, at, scaled)
            }
        }
        return (bytes, report, rescaled)
    }

    static func entry(_ tensor: TFLiteTensor, role: TensorMapEntry.Role) -> TensorMapEntry {
        let region = ModelRegion(range: tensor.dataRange!, content: role == .weights ? .int8Weights : .int32Values,
                                 tensor: tensor)
        return region.mapEntry()
    }

    /// Sorted, merged ranges (neighbours closer than `gap` bytes join).
    static func merge(_ ranges: [Range<Int>], gap: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, range.lowerBound <= last.upperBound + gap {
                out[out.count - 1] = last.lowerBound ..< max(last.upperBound, range.upperBound)
            } else {
                out.append(range)
            }
        }
        return out
    }

    static func readLE32(_ b: [UInt8], _ p: Int) -> UInt32 {
        UInt32(b[p]) | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2]) << 16 | UInt32(b[p + 3]) << 24
    }

    static func writeLE32(_ b: inout [UInt8], _ p: Int, _ v: UInt32) {
        for k in 0 ..< 4 { b[p + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }
}
