import AdapterFormat

/// Settings of a bundle that `diff` (and later `build`) makes.
public struct BundleOptions: Sendable {
    /// Anti-rollback sequence number written into the header.
    public var sequence: UInt64 = 1
    public var name: String?
    public var baseFile: String?
    public var targetFile: String?
    /// Largest RAM window the device offers; decoders are chosen to fit.
    public var maxWindow = 4096
    /// Largest bundle the caller accepts.
    public var maxBytes = 102_400
    /// Model bytes per independently decodable content chunk; the device's
    /// flash page should divide it (or be a multiple of it).
    public var segmentSize = ModelDiffer.defaultSegmentSize
    /// Whether int8 weight tensors may take the low-rank prediction plus
    /// residual coding (Spec/FORMAT.md §4.5) when it measures smaller.
    public var lowRank = true
    /// Whether sections may be deflated; off for a loader built with
    /// `ADAPTERPACK_NO_DEFLATE` (then content goes as `coded` or plain operations).
    public var deflate = true
    /// Whether the bundle may move tensors or change the model's length
    /// (layout and undo sections); off for a loader built with
    /// `ADAPTERPACK_NO_LAYOUT`, which only patches bytes in place.
    public var layout = true

    public init() {}
}

/// Why a bundle could not be made.
public enum BundleBuildError: Error, CustomStringConvertible {
    case overBudget(size: Int, budget: Int)
    case emptyModel(which: String)
    case tooLarge(which: String, bytes: Int)
    /// The target's layout differs from the base's and layout changes are off.
    case layoutChanges(moves: Int, lengthChange: Int)

    public var description: String {
        switch self {
        case .overBudget(let size, let budget):
            return "bundle would be \(size) bytes, \(size - budget) over the \(budget)-byte budget (--max-bytes)"
        case .emptyModel(let which): return "\(which) model is empty"
        case .tooLarge(let which, let bytes): return "\(which) model is \(bytes) bytes; the format limit is 4 GiB"
        case .layoutChanges(let moves, let change):
            return "the target does not keep the base's layout (\(moves) tensor moves, length change \(change) bytes): "
                + "a loader built without layout support (--without layout) cannot apply it"
        }
    }
}

/// base + target → signed bundle, through the planner and the encoders.
public enum DiffBundler {
    public static let toolVersion = "adapterpack 0.1.0"

    public static func bundle(base: [UInt8], target: [UInt8], key: SigningKey,
                              options: BundleOptions = BundleOptions()) throws -> (bytes: [UInt8], plan: DeltaPlan) {
        guard !base.isEmpty else { throw BundleBuildError.emptyModel(which: "base") }
        guard !target.isEmpty else { throw BundleBuildError.emptyModel(which: "target") }
        for (which, model) in [("base", base), ("target", target)] where model.count > Int(UInt32.max) {
            throw BundleBuildError.tooLarge(which: which, bytes: model.count)
        }
        // Low-rank coding needs the factor buffer on top of the fixed window part (§4.5, §6).
        var plan = ModelDiffer.plan(base: base, target: target, segmentSize: options.segmentSize,
                                    lowRank: options.lowRank && options.maxWindow >= WindowLayout.fixed + WindowLayout.factorBuffer,
                                    deflate: options.deflate)
        if !options.layout, !plan.layout.isEmpty || !plan.undo.isEmpty {
            throw BundleBuildError.layoutChanges(moves: plan.layout.operationCount, lengthChange: target.count - base.count)
        }
        var bytes = try assemble(plan, base: base, target: target, key: key, options: options)
        // A low-rank bundle's inverse restores the base only if its residuals are
        // right (Spec/FORMAT.md §4.5): run it through the device loader before
        // handing it out, and fall back to the plain coding if it does not round-trip.
        if !plan.lowRank.isEmpty, !roundTrips(bytes, base: base, target: target, key: key) {
            plan = ModelDiffer.plan(base: base, target: target, segmentSize: options.segmentSize, lowRank: false,
                                    deflate: options.deflate)
            bytes = try assemble(plan, base: base, target: target, key: key, options: options)
        }
        guard bytes.count <= options.maxBytes else {
            throw BundleBuildError.overBudget(size: bytes.count, budget: options.maxBytes)
        }
        return (bytes, plan)
    }

    /// Apply gives the target and unapply the base, with the device loader in the declared window.
    static func roundTrips(_ bytes: [UInt8], base: [UInt8], target: [UInt8], key: SigningKey) -> Bool {
        let keys = TrustedKeys([key.verifyingKey])
        guard let forward = try? HostLoader.apply(bundle: bytes, base: base, keys: keys), forward.model == target,
              let back = try? HostLoader.unapply(bundle: bytes, target: target, keys: keys), back.model == base else {
            return false
        }
        return true
    }

    /// The plan's sections, written and signed.
    static func assemble(_ plan: DeltaPlan, base: [UInt8], target: [UInt8], key: SigningKey,
                         options: BundleOptions) throws -> [UInt8] {
        var sections: [SectionPayload] = []
        // A factors section reserves the window's last 512 bytes (§6): decoders get the rest.
        // Without deflate no inflater fits the window, so every section stays stored.
        let decoderWindow = options.deflate ? options.maxWindow - (plan.factors.isEmpty ? 0 : WindowLayout.factorBuffer) : 0
        var metadata = MetadataWriter()
        if let name = options.name { metadata.add(.name, name) }
        metadata.add(.tool, toolVersion)
        if let file = options.baseFile { metadata.add(.baseFile, file) }
        if let file = options.targetFile { metadata.add(.targetFile, file) }
        sections.append(.stored(.metadata, metadata.bytes))
        if !plan.tensorMap.isEmpty { sections.append(.tensorMap(plan.tensorMap)) }
        if !plan.layout.isEmpty { sections.append(.smallest(.layout, plan.layout.bytes, maxWindow: decoderWindow)) }
        if !plan.scales.isEmpty { sections.append(.segmented(.scales, plan.scales, maxWindow: decoderWindow)) }
        if !plan.payload.isEmpty { sections.append(.segmented(.payload, plan.payload, maxWindow: decoderWindow)) }
        if !plan.undo.isEmpty { sections.append(.smallest(.undo, plan.undo.bytes, maxWindow: decoderWindow)) }
        if !plan.factors.isEmpty { sections.append(.stored(.factors, plan.factors)) }
        return try BundleWriter.write(sections: sections, sequence: options.sequence, segmentSize: options.segmentSize,
                                      base: base, target: target, key: key)
    }
}
