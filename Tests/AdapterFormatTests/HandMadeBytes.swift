import AdapterFormat

/// Little-endian bytes written field by field, as Spec/FORMAT.md's tables lay
/// them out: the format tests build every front, record and stream by hand,
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

/// A front (FORMAT.md §2) whose every field is valid unless the test changes it.
struct FrontFields {
    var magic: [UInt8] = Array("ADPB".utf8)
    var major: UInt8 = 3
    var minor: UInt8 = 0
    var flags: UInt8 = 0
    var algorithm: UInt8 = 1
    var bundleLength: UInt32 = 176 + 300
    var baseLength: UInt32 = 4096
    var targetLength: UInt32 = 4096
    var windowSize: UInt32 = 1024 + 512
    var stepBound: UInt32 = 1
    var firstBlockLength: UInt16 = 300
    var factorBytes: UInt16 = 0
    var sequence: UInt32 = 7
    var segmentBits: UInt8 = 12
    var blockBits: UInt8 = 10
    var reserved: UInt16 = 0

    var bytes: [UInt8] {
        var b = HandMadeBytes(count: 112)
        for (i, m) in magic.enumerated() where i < 4 { b.bytes[i] = m }
        b.bytes[4] = major; b.bytes[5] = minor; b.bytes[6] = flags; b.bytes[7] = algorithm
        b.put32(bundleLength, at: 8); b.put32(baseLength, at: 12); b.put32(targetLength, at: 16)
        b.put32(windowSize, at: 20); b.put32(stepBound, at: 24); b.put16(firstBlockLength, at: 28)
        b.put16(factorBytes, at: 30); b.put32(sequence, at: 32); b.bytes[36] = segmentBits; b.bytes[37] = blockBits
        b.put16(reserved, at: 38)
        b.fill(0xAB, 40 ..< 48); b.fill(0x11, 48 ..< 80); b.fill(0x22, 80 ..< 112)
        return b.bytes
    }
}

func digest(repeating byte: UInt8) -> Digest32 {
    let bytes = [UInt8](repeating: byte, count: 32)
    return bytes.withUnsafeBytes { Digest32(bytes: $0) }
}

/// The front parser's verdict on `bytes`.
func parseFront(_ bytes: [UInt8]) -> Result<StreamHeader, FormatError> {
    bytes.withUnsafeBytes { raw in
        do throws(FormatError) {
            return .success(try StreamHeader(parsing: raw))
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
