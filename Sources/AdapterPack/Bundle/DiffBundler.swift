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

    public init() {}
}

/// Why a bundle could not be made.
public enum BundleBuildError: Error, CustomStringConvertible {
    case overBudget(size: Int, budget: Int)
    case emptyModel(which: String)
    case tooLarge(which: String, bytes: Int)

    public var description: String {
        switch self {
        case .overBudget(let size, let budget):
            return "bundle would be \(size) bytes, \(size - budget) over the \(budget)-byte budget (--max-bytes)"
        case .emptyModel(let which): return "\(which) model is empty"
        case .tooLarge(let which, let bytes): return "\(which) model is \(bytes) bytes; the format limit is 4 GiB"
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
        let plan = ModelDiffer.plan(base: base, target: target, segmentSize: options.segmentSize)
        var sections: [SectionPayload] = []
        var metadata = MetadataWriter()
        if let name = options.name { metadata.add(.name, name) }
        metadata.add(.tool, toolVersion)
        if let file = options.baseFile { metadata.add(.baseFile, file) }
        if let file = options.targetFile { metadata.add(.targetFile, file) }
        sections.append(.stored(.metadata, metadata.bytes))
        if !plan.tensorMap.isEmpty {
            var map = [UInt8](repeating: 0, count: plan.tensorMap.count * TensorMapEntry.size)
            map.withUnsafeMutableBytes { raw in
                for (i, entry) in plan.tensorMap.enumerated() {
                    let start = i * TensorMapEntry.size
                    entry.write(into: UnsafeMutableRawBufferPointer(rebasing: raw[start ..< start + TensorMapEntry.size]))
                }
            }
            sections.append(.stored(.tensorMap, map))
        }
        if !plan.layout.isEmpty { sections.append(.smallest(.layout, plan.layout.bytes, maxWindow: options.maxWindow)) }
        if !plan.scales.isEmpty { sections.append(.segmented(.scales, plan.scales, maxWindow: options.maxWindow)) }
        if !plan.payload.isEmpty { sections.append(.segmented(.payload, plan.payload, maxWindow: options.maxWindow)) }
        if !plan.undo.isEmpty { sections.append(.smallest(.undo, plan.undo.bytes, maxWindow: options.maxWindow)) }
        let bytes = try BundleWriter.write(sections: sections, sequence: options.sequence, segmentSize: options.segmentSize,
                                           base: base, target: target, key: key)
        guard bytes.count <= options.maxBytes else {
            throw BundleBuildError.overBudget(size: bytes.count, budget: options.maxBytes)
        }
        return (bytes, plan)
    }
}
