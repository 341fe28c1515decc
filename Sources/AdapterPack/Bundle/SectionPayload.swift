import AdapterFormat

/// One kind's content before it is cut into records.
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

    /// The tensor-map section: 32-byte entries back to back (Spec/FORMAT.md §7).
    public static func tensorMap(_ entries: [TensorMapEntry]) -> SectionPayload {
        var map = [UInt8](repeating: 0, count: entries.count * TensorMapEntry.size)
        map.withUnsafeMutableBytes { raw in
            for (i, entry) in entries.enumerated() {
                let start = i * TensorMapEntry.size
                entry.write(into: UnsafeMutableRawBufferPointer(rebasing: raw[start ..< start + TensorMapEntry.size]))
            }
        }
        return .stored(.tensorMap, map)
    }

    /// Raw deflate codecs whose inflater fits in `maxWindow`.
    static func deflateCodecs(maxWindow: Int) -> [SectionCodec] {
        (9 ... 15).map { SectionCodec.deflate(windowBits: $0) }
            .filter { WindowLayout.fixed + WindowLayout.decoderWorkspace($0) <= maxWindow }
    }

    /// The smallest of the stored form and raw deflate at each allowed window
    /// size; the window cap keeps the device's inflater inside `maxWindow`.
    public static func smallest(_ kind: SectionKind, _ bytes: [UInt8], maxWindow: Int) -> SectionPayload {
        var best = stored(kind, bytes)
        for codec in deflateCodecs(maxWindow: maxWindow) {
            guard case .deflate(let bits) = codec else { continue }
            let packed = Deflate.compress(bytes, windowBits: bits)
            if packed.count < best.stored.count {
                best = SectionPayload(kind: kind, codec: codec, stored: packed, decodedLength: bytes.count)
            }
        }
        return best
    }
}
