import AdapterFormat
import AdapterLoader
import Foundation

/// Settings of `adapterpack build`.
public struct LoRABuildOptions: Sendable {
    public var sequence: UInt64 = 1
    public var name: String?
    public var baseFile: String?
    /// Largest RAM window the device gives the loader.
    public var maxWindow = 4096
    /// Largest bundle accepted.
    public var maxBytes = 102_400
    public var segmentSize = ModelDiffer.defaultSegmentSize
    /// Backup runs of rescaled rows closer than this are merged (flash vs bundle bytes).
    public var backupMergeGap = LoRAPlanner.defaultMergeGap
    /// Applies and unapplies the bundle with the device loader before returning it.
    public var selfCheck = true

    public init() {}
}

/// What `build` made.
public struct LoRABuildResult: Sendable {
    public var bundle: [UInt8]
    /// The model the device ends up with (base + LoRA, backups after it).
    public var target: [UInt8]
    public var plan: LoRAPlan
    public var sections: [(kind: SectionKind, bytes: Int)]
    public var window: Int
    /// Σ r·(in + out) over the modules.
    public var factorValues: Int
}

public enum LoRABuildError: Error, CustomStringConvertible {
    /// The bundle is over budget; `fits` is the largest lower rank that would fit, with its size.
    case overBudget(size: Int, budget: Int, rank: Int, fits: (rank: Int, size: Int)?)
    case selfCheck(String)

    public var description: String {
        switch self {
        case .overBudget(let size, let budget, let rank, let fits):
            var text = "bundle would be \(size) bytes, \(size - budget) over the \(budget)-byte budget (--max-bytes)"
            if let fits {
                text += "; truncating the adapter to rank \(fits.rank) (from \(rank)) gives \(fits.size) bytes: rebuild with --rank \(fits.rank)"
            } else {
                text += "; even rank 1 does not fit: raise --max-bytes or adapt fewer modules"
            }
            return text
        case .selfCheck(let why): return "internal check failed: \(why)"
        }
    }
}

/// base + PEFT adapter (+ tensor map) → signed bundle with a factors section.
public enum LoRABundler {
    public static func build(base: [UInt8], adapter: PEFTAdapter, map: Data?, key: SigningKey,
                             options: LoRABuildOptions = LoRABuildOptions(), rank: Int? = nil) throws -> LoRABuildResult {
        guard !base.isEmpty else { throw BundleBuildError.emptyModel(which: "base") }
        let model = try TFLiteModel(bytes: base)
        var modules = adapter.modules
        if let rank { modules = modules.map { RankReduction.truncate($0, to: rank) } }
        let targets = try LoRATargetResolver.resolve(modules, in: model, map: map)
        let result = try assemble(base: base, targets: targets, adapter: adapter, key: key, options: options)
        if result.bundle.count > options.maxBytes {
            let current = modules.map(\.rank).max() ?? 1
            var fits: (Int, Int)?
            for lower in stride(from: current - 1, through: 1, by: -1) {
                let reduced = targets.map { t -> LoRATarget in
                    var t = t
                    t.module = RankReduction.truncate(t.module, to: lower)
                    return t
                }
                var quick = options
                quick.selfCheck = false
                if let size = try? assemble(base: base, targets: reduced, adapter: adapter, key: key, options: quick).bundle.count,
                   size <= options.maxBytes {
                    fits = (lower, size)
                    break
                }
            }
            throw LoRABuildError.overBudget(size: result.bundle.count, budget: options.maxBytes, rank: current, fits: fits)
        }
        return result
    }

    static func assemble(base: [UInt8], targets: [LoRATarget], adapter: PEFTAdapter, key: SigningKey,
                         options: LoRABuildOptions) throws -> LoRABuildResult {
        let plan = try LoRAPlanner.plan(base: base, targets: targets, segmentSize: options.segmentSize,
                                        mergeGap: options.backupMergeGap)
        // Deflate windows must leave room for the factor buffer.
        let deflateWindow = options.maxWindow - WindowLayout.factorBuffer
        var metadata = MetadataWriter()
        if let name = options.name { metadata.add(.name, name) }
        metadata.add(.tool, DiffBundler.toolVersion)
        if let file = options.baseFile { metadata.add(.baseFile, file) }
        metadata.add(.adapterID, "sha256:" + adapter.weightsSHA256)
        var sections: [SectionPayload] = [.stored(.metadata, metadata.bytes)]
        if !plan.tensorMap.isEmpty { sections.append(.tensorMap(plan.tensorMap)) }
        if !plan.layout.isEmpty { sections.append(.smallest(.layout, plan.layout.bytes, maxWindow: deflateWindow)) }
        if !plan.scales.isEmpty { sections.append(.segmented(.scales, plan.scales, maxWindow: deflateWindow)) }
        sections.append(plan.payload.section(.payload, maxWindow: deflateWindow))
        if !plan.undo.isEmpty { sections.append(.smallest(.undo, plan.undo.bytes, maxWindow: deflateWindow)) }
        sections.append(.stored(.factors, plan.factors))
        let bytes = try BundleWriter.write(sections: sections, sequence: options.sequence, segmentSize: options.segmentSize,
                                           base: base, target: plan.target, key: key)
        if options.selfCheck {
            let keys = TrustedKeys([key.verifyingKey])
            let applied: [UInt8], restored: [UInt8]
            do {
                applied = try HostLoader.apply(bundle: bytes, base: base, keys: keys).model
                restored = try HostLoader.unapply(bundle: bytes, target: applied, keys: keys).model
            } catch {
                throw LoRABuildError.selfCheck("the device loader refused the bundle: \(error)")
            }
            guard applied == plan.target, restored == base else {
                throw LoRABuildError.selfCheck("the device loader's result differs from the host reference")
            }
        }
        return LoRABuildResult(bundle: bytes, target: plan.target, plan: plan,
                               sections: sections.sorted { $0.kind.rawValue < $1.kind.rawValue }.map { ($0.kind, $0.stored.count) },
                               window: HostLoader.declaredWindow(bytes),
                               factorValues: targets.reduce(0) { $0 + $1.module.factorCount })
    }
}
