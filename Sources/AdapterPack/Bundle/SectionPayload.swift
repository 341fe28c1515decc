import AdapterFormat

/// One section's content before the bundle is assembled.
public struct SectionPayload: Sendable {
    public var kind: SectionKind
    public var codec: SectionCodec
    public var stored: [UInt8]
    public var decodedLength: Int

    public init(kind: SectionKind, codec: SectionCodec, stored: [UInt8], decodedLength: Int) {
        self.kind = kind
        self.codec = codec
        self.stored = stored
        self.decodedLength = decodedLength
    }

    /// An uncompressed section.
    public static func stored(_ kind: SectionKind, _ bytes: [UInt8]) -> SectionPayload {
        SectionPayload(kind: kind, codec: .stored, stored: bytes, decodedLength: bytes.count)
    }

    /// The smallest of the stored form and raw deflate at each allowed window
    /// size; the window cap keeps the device's inflater inside `maxWindow`.
    public static func smallest(_ kind: SectionKind, _ bytes: [UInt8], maxWindow: Int) -> SectionPayload {
        var best = stored(kind, bytes)
        for bits in 9 ... 15 {
            let codec = SectionCodec.deflate(windowBits: bits)
            guard WindowLayout.fixed + WindowLayout.decoderWorkspace(codec) <= maxWindow else { break }
            let packed = Deflate.compress(bytes, windowBits: bits)
            if packed.count < best.stored.count {
                best = SectionPayload(kind: kind, codec: codec, stored: packed, decodedLength: bytes.count)
            }
        }
        return best
    }
}
