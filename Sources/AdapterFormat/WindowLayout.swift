/// The fixed buffers of the loader's RAM window (Spec/FORMAT.md §7), after
/// the block buffer and the factor area (`StreamWindow`).
///
/// The window holds a bundle read buffer for op streams, a smaller one for
/// chunk directories, a model read-modify-write buffer and the workspace of
/// the decoder of the stream being run. Host and device use this one
/// definition, so the header's declared size is exactly what the loader carves.
public enum WindowLayout {
    /// Bytes of the buffer that receives op-stream bytes from the source.
    public static let sourceBuffer = 192
    /// Bytes of the buffer that reads chunk directories.
    public static let directoryBuffer = 64
    /// Bytes of the buffer used to read, modify and write model bytes.
    public static let modelBuffer = 256
    /// Bytes of the buffer that LoRA expansion reads factor blocks into; only
    /// bundles with a factors section need it (the last bytes of the window).
    public static let factorBuffer = 512
    /// Fixed part of every window (also where header and table are read).
    public static var fixed: Int { sourceBuffer + directoryBuffer + modelBuffer }

    /// Workspace a section's decoder needs on top of the fixed part.
    public static func decoderWorkspace(_ codec: SectionCodec) -> Int {
        switch codec {
        case .stored, .values: return 0
        case .deflate(let bits): return Inflater<EmptyInput>.workspaceSize(windowBits: bits)
        }
    }

    /// The largest window any bundle can need: the fixed part, the 32 KB
    /// deflate workspace and the factor buffer. A header declaring more is
    /// refused, so no reader sizes memory from a larger unverified value.
    public static var maximum: Int { fixed + Inflater<EmptyInput>.workspaceSize(windowBits: 15) + factorBuffer }
}

/// A `ByteInput` with no bytes; names the inflater type for static queries.
public struct EmptyInput: ByteInput {
    public init() {}
    public mutating func nextByte() throws(FormatError) -> UInt8? { nil }
}
