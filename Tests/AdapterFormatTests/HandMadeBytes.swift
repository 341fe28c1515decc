import AdapterFormat

/// Little-endian bytes written field by field, as Spec/FORMAT.md's tables lay
/// them out: the format tests build every header, table and stream by hand,
/// without the host library's writers.
struct HandMadeBytes {
    var bytes: [UInt8]

    init(count: Int) { bytes = [UInt8](repeating: 0, count: count) }

    mutating func put16(_ value: UInt16, at offset: Int) {
        for i in 0 ..< 2 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt16(i))) }
    }

    mutating func put32(_ value: UInt32, at offset: Int) {
        for i in 0 ..< 4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    mutating func put64(_ value: UInt64, at offset: Int) {
        for i in 0 ..< 8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    mutating func fill(_ value: UInt8, _ range: Range<Int>) {
        for i in range { bytes[i] = value }
    }
}

/// A header (§2) whose every field is valid unless the test changes it.
struct HeaderFields {
    var magic: [UInt8] = Array("ADPB".utf8)
    var major: UInt16 = 1
    var minor: UInt16 = 0
    var headerSize: UInt16 = 128
    var sectionCount: UInt16 = 1
    var flags: UInt32 = 0
    /// 128 + 48 × 1 + 100: one section, the signature.
    var bundleLength: UInt32 = 276
    var windowSize: UInt32 = 512
    var sequence: UInt64 = 0x0102_0304_0506_0708
    var baseLength: UInt32 = 1000
    var targetLength: UInt32 = 1200
    var segmentSize: UInt32 = 4096
    var baseDigestByte: UInt8 = 0xB5
    var targetDigestByte: UInt8 = 0x7A

    var bytes: [UInt8] {
        var b = HandMadeBytes(count: 128)
        for (i, byte) in magic.enumerated() { b.bytes[i] = byte }
        b.put16(major, at: 4)
        b.put16(minor, at: 6)
        b.put16(headerSize, at: 8)
        b.put16(sectionCount, at: 10)
        b.put32(flags, at: 12)
        b.put32(bundleLength, at: 16)
        b.put32(windowSize, at: 20)
        b.put64(sequence, at: 24)
        b.put32(baseLength, at: 32)
        b.put32(targetLength, at: 36)
        b.put32(segmentSize, at: 40)
        b.fill(baseDigestByte, 64 ..< 96)
        b.fill(targetDigestByte, 96 ..< 128)
        return b.bytes
    }
}

/// One section-table entry (§3) as raw numbers, so tests can write values
/// the parser's types cannot hold (unknown kinds and codecs).
struct RawEntry {
    var kind: UInt16
    var codec: UInt16 = 0
    var offset: UInt32 = 0
    var storedLength: UInt32
    var decodedLength: UInt32
    /// Every digest byte; 0 for the signature.
    var digestByte: UInt8

    init(kind: UInt16, codec: UInt16 = 0, storedLength: UInt32, decodedLength: UInt32? = nil, digestByte: UInt8? = nil) {
        self.kind = kind
        self.codec = codec
        self.storedLength = storedLength
        self.decodedLength = decodedLength ?? storedLength
        self.digestByte = digestByte ?? (kind == 15 ? 0 : 0x5C)
    }

    /// The 100-byte signature section, digest zero.
    static var signature: RawEntry { RawEntry(kind: 15, storedLength: 100) }

    var bytes: [UInt8] {
        var b = HandMadeBytes(count: 48)
        b.put16(kind, at: 0)
        b.put16(codec, at: 2)
        b.put32(offset, at: 4)
        b.put32(storedLength, at: 8)
        b.put32(decodedLength, at: 12)
        b.fill(digestByte, 16 ..< 48)
        return b.bytes
    }
}

/// Gives `entries` the offsets §3 requires (back to back after the table)
/// and returns them with the bundle length they end at.
func laidOut(_ entries: [RawEntry]) -> (entries: [RawEntry], bundleLength: UInt32) {
    var offset = UInt32(128 + 48 * entries.count)
    var placed = entries
    for i in placed.indices {
        placed[i].offset = offset
        offset += placed[i].storedLength
    }
    return (placed, offset)
}

func digest(repeating byte: UInt8) -> Digest32 {
    let bytes = [UInt8](repeating: byte, count: 32)
    return bytes.withUnsafeBytes { Digest32(bytes: $0) }
}

/// The header parser's verdict on `bytes`.
func parseHeader(_ bytes: [UInt8]) -> Result<BundleHeader, FormatError> {
    bytes.withUnsafeBytes { raw in
        do throws(FormatError) {
            return .success(try BundleHeader(parsing: raw))
        } catch {
            return .failure(error)
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }

    var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}
