import AdapterFormat

/// base + target → signed bundle: `ModelDiffer` plans, `BundleAssembler`
/// writes and self-checks.
public enum DiffBundler {
    public static func bundle(base: [UInt8], target: [UInt8], key: SigningKey,
                              options: BundleOptions = BundleOptions()) throws -> (bytes: [UInt8], plan: DeltaPlan) {
        guard !base.isEmpty else { throw BundleBuildError.emptyModel(which: "base") }
        guard !target.isEmpty else { throw BundleBuildError.emptyModel(which: "target") }
        for (which, model) in [("base", base), ("target", target)] where model.count > Int(UInt32.max) {
            throw BundleBuildError.tooLarge(which: which, bytes: model.count)
        }
        // Low-rank coding needs the factor buffer on top of the fixed window part (§4.5, §6).
        let lowRank = options.lowRank && options.maxWindow >= WindowLayout.fixed + WindowLayout.factorBuffer
        var plan = ModelDiffer.plan(base: base, target: target, segmentSize: options.segmentSize, lowRank: lowRank,
                                    deflate: options.deflate)
        if !options.layout, plan.sections.changesLayout {
            throw BundleBuildError.layoutChanges(moves: plan.sections.layout.operationCount,
                                                 lengthChange: target.count - base.count)
        }
        var bytes: [UInt8]
        do {
            bytes = try BundleAssembler.assemble(plan.sections, base: base, key: key, options: options)
        } catch BundleBuildError.windowTooSmall(_, _, _, let factorBytes) where factorBytes > 0 && !plan.lowRank.isEmpty {
            // Format 2 keeps factors in RAM: when they do not fit the window, code the weights plainly.
            plan = ModelDiffer.plan(base: base, target: target, segmentSize: options.segmentSize, lowRank: false,
                                    deflate: options.deflate)
            bytes = try BundleAssembler.assemble(plan.sections, base: base, key: key, options: options)
            plan.notes.append("low-rank coding dropped: its \(factorBytes) factor bytes do not fit the RAM window (--max-window)")
        }
        do {
            try BundleAssembler.selfCheck(bytes, base: base, target: target, key: key)
        } catch where !plan.lowRank.isEmpty {
            // A low-rank bundle's inverse restores the base only if its residuals
            // are right (Spec/FORMAT.md §4.5): when it does not round-trip, the
            // plain coding goes instead, and the caller is told.
            let dropped = bytes.count
            plan = ModelDiffer.plan(base: base, target: target, segmentSize: options.segmentSize, lowRank: false,
                                    deflate: options.deflate)
            bytes = try BundleAssembler.checkedBundle(plan.sections, base: base, key: key, options: options)
            plan.notes.append("low-rank coding dropped (\(error)); the plain coding is \(bytes.count) bytes instead of \(dropped)")
        }
        guard bytes.count <= options.maxBytes else {
            throw BundleBuildError.overBudget(size: bytes.count, budget: options.maxBytes)
        }
        return (bytes, plan)
    }
}
