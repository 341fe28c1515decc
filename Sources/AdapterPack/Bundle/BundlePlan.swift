import AdapterFormat

/// Everything one bundle carries, as `diff` and `build` plan it: the
/// sections' contents and the exact model the bundle produces.
/// `BundleAssembler` is the one place that turns a plan into signed bytes.
public struct BundlePlan: Sendable {
    /// The model the device ends up with, byte for byte.
    public var target: [UInt8]
    /// Metadata records after the standard ones (name, tool, file names).
    public var metadata: [(tag: MetadataTag, value: String)] = []
    public var tensorMap: [TensorMapEntry] = []
    /// Run first on apply: moves and length changes.
    public var layout = OpStreamWriter()
    /// Content operations on quantization parameters, per segment.
    public var scales: SegmentedOps
    /// Content operations on weights, biases and everything else, per segment.
    public var payload: SegmentedOps
    /// Run last on unapply: restores the base layout and bytes.
    public var undo = OpStreamWriter()
    /// Factor blocks that LoRA and low-rank operations read.
    public var factors: [UInt8] = []
    /// The bundle cannot be unapplied (its target keeps no copy of what it
    /// overwrote): the front says so and a restore bundle undoes it.
    public var oneWay = false

    /// `deflate`: whether content sections may be deflated (see `SegmentedOps.deflate`).
    public init(target: [UInt8], segmentSize: Int, deflate: Bool = true) {
        self.target = target
        scales = SegmentedOps(segmentSize: segmentSize)
        payload = SegmentedOps(segmentSize: segmentSize)
        scales.deflate = deflate
        payload.deflate = deflate
    }

    /// Whether the plan moves bytes or changes the model's length.
    public var changesLayout: Bool { !layout.isEmpty || !undo.isEmpty }
}
