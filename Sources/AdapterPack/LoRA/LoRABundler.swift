import AdapterFormat
import AdapterLoader
import Foundation

/// What `build` made.
public struct LoRABuildResult: Sendable {
    public var bundle: [UInt8]
    /// The model the device ends up with (base + LoRA; with `keepBaseRows`, backups after it).
    public var target: [UInt8]
    /// For a one-way bundle: the bundle that turns `target` back into the
    /// base (what the server sends when the adapter is removed or swapped).
    public var restore: [UInt8]?
    public var plan: LoRAPlan
    /// Stored bytes per section, in table order (signature excluded).
    public var sections: [(kind: SectionKind, bytes: Int)]
    public var window: Int
    /// Σ r·(in + out) over the modules.
    public var factorValues: Int
}

public enum LoRABuildError: Error, CustomStringConvertible {
    /// The bundle is over budget; `fits` is the largest lower rank that would fit, with its size.
    case overBudget(size: Int, budget: Int, rank: Int, fits: (rank: Int, size: Int)?)

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
        }
    }
}

/// base + PEFT adapter (+ tensor map) → signed bundle with a factors section:
/// `LoRAPlanner` plans, `BundleAssembler` writes and self-checks.
public enum LoRABundler {
    public static func build(base: [UInt8], adapter: PEFTAdapter, map: Data?, key: SigningKey,
                             options: BundleOptions = BundleOptions(), rank: Int? = nil,
                             mapName: String = "tensor_map.json", bits: [String: FactorBits] = [:],
                             ranks: [String: Int] = [:], metadata: [(tag: MetadataTag, value: String)] = [], makeRestore: Bool = true) throws -> LoRABuildResult {
        var targets = try Self.targets(base: base, adapter: adapter, map: map, rank: rank, mapName: mapName)
        targets = with(targets, bits: bits, ranks: ranks)
        let (plan, bytes) = try assemble(base: base, targets: targets, adapter: adapter, key: key, options: options, metadata: metadata)
        if bytes.count > options.maxBytes {
            let current = targets.map(\.module.rank).max() ?? 1
            var fits: (Int, Int)?
            for lower in stride(from: current - 1, through: 1, by: -1) {
                let reduced = targets.map { t -> LoRATarget in
                    var t = t
                    t.module = RankReduction.truncate(t.module, to: lower)
                    return t
                }
                // Sizes only: nothing of these candidates is handed out.
                if let size = try? assemble(base: base, targets: reduced, adapter: adapter, key: key, options: options,
                                            selfCheck: false).bytes.count,
                   size <= options.maxBytes {
                    fits = (lower, size)
                    break
                }
            }
            throw LoRABuildError.overBudget(size: bytes.count, budget: options.maxBytes, rank: current, fits: fits)
        }
        var restore: [UInt8]?
        if plan.sections.oneWay && makeRestore {
            var reverse = options
            reverse.name = options.name.map { $0 + " (restore)" }
            // --max-bytes is the adapter bundle's budget; the restore bundle has the product's 100 KB.
            reverse.maxBytes = BundleOptions().maxBytes
            (reverse.baseFile, reverse.targetFile) = (options.targetFile, options.baseFile)
            restore = try DiffBundler.bundle(base: plan.sections.target, target: base, key: key, options: reverse).bytes
        }
        return LoRABuildResult(bundle: bytes, target: plan.sections.target, restore: restore, plan: plan,
                               sections: try ParsedBundle(bytes: bytes).sectionSizes,
                               window: HostLoader.declaredWindow(bytes),
                               factorValues: targets.reduce(0) { $0 + $1.module.factorCount })
    }

    /// The adapter's modules (truncated to `rank` when given) matched to the
    /// base's tensors; resolve once, then vary widths and ranks with `with`.
    public static func targets(base: [UInt8], adapter: PEFTAdapter, map: Data?, rank: Int? = nil,
                               mapName: String = "tensor_map.json") throws -> [LoRATarget] {
        guard !base.isEmpty else { throw BundleBuildError.emptyModel(which: "base") }
        let model = try TFLiteModel(bytes: base)
        var modules = adapter.modules
        if let rank { modules = modules.map { RankReduction.truncate($0, to: rank) } }
        // The map file's own errors first, so they are not read as a wrong base.
        if let map { _ = try LoRATargetResolver.parseMap(map, name: mapName) }
        do {
            return try LoRATargetResolver.resolve(modules, in: model, map: map, mapName: mapName)
        } catch PEFTError.map(let why) where adapter.config.baseModel != nil {
            // The tensors do not fit: say which model the adapter was trained on.
            throw PEFTError.map(why + " (adapter_config.json names the base model '\(adapter.config.baseModel!)': is --base that model?)")
        }
    }

    /// `targets` with each module's factor widths and (lower) rank set, by module name.
    public static func with(_ targets: [LoRATarget], bits: [String: FactorBits], ranks: [String: Int] = [:]) -> [LoRATarget] {
        targets.map { t in
            var t = t
            if let r = ranks[t.module.name] { t.module = RankReduction.truncate(t.module, to: min(r, t.module.rank)) }
            t.bits = bits[t.module.name] ?? .exact
            return t
        }
    }

    static func assemble(base: [UInt8], targets: [LoRATarget], adapter: PEFTAdapter, key: SigningKey,
                         options: BundleOptions, selfCheck: Bool = true,
                         metadata: [(tag: MetadataTag, value: String)] = []) throws -> (plan: LoRAPlan, bytes: [UInt8]) {
        var plan = try LoRAPlanner.plan(base: base, targets: targets, segmentSize: options.segmentSize,
                                        keepBaseRows: options.keepBaseRows, mergeGap: options.backupMergeGap)
        plan.sections.metadata.append((.adapterID, "sha256:" + adapter.weightsSHA256))
        plan.sections.metadata += metadata
        let bytes = selfCheck ? try BundleAssembler.checkedBundle(plan.sections, base: base, key: key, options: options)
                              : try BundleAssembler.assemble(plan.sections, base: base, key: key, options: options)
        return (plan, bytes)
    }
}
