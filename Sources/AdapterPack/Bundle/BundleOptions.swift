/// Settings of a bundle that `diff` or `build` makes.
public struct BundleOptions: Sendable {
    /// Anti-rollback sequence number written into the header.
    public var sequence: UInt64 = 1
    public var name: String?
    public var baseFile: String?
    public var targetFile: String?
    /// Largest RAM window the device offers (format 2: one block, the factors,
    /// the fixed buffers and a decoder); decoders are chosen to fit.
    public var maxWindow = 8192
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
    /// `build`: keep the base bytes of rescaled rows behind the model so
    /// that the bundle unapplies by itself (the model grows, +65 % on
    /// digits/lora-adapter). Off by default: the bundle is one-way, the
    /// model keeps the base's length, and a restore bundle undoes it.
    public var keepBaseRows = false
    /// `build --reversible`: backup runs of rescaled rows closer than this are merged
    /// (flash kept vs bundle bytes).
    public var backupMergeGap = LoRAPlanner.defaultMergeGap

    /// Largest block in bytes (a power of two, 256 ... 32 KB); each
    /// block but the last ends with its successor's 34-byte length and digest.
    public var blockSize = 2048
    /// Carry the human metadata (tool, file names) and the tensor
    /// map; off by default (the device never reads them). `name` alone adds
    /// just the name.
    public var describe = false

    public init() {}
}
