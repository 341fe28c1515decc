#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// One 48-byte journal record (Spec/LOADER.md §2): "the old bytes of unit U
/// are saved in the scratch area for step S of this operation".
public struct JournalRecord: Equatable {
    /// Bytes of a record; its slot is this rounded up to the flash program size.
    public static let size = 48
    static let magic: UInt32 = 0x314A_5041  // "APJ1"
    static let saved: UInt8 = 1

    var operation: JournalOperation
    var step: UInt32
    var unit: UInt32
    /// CRC-32 of the scratch area's saved bytes.
    var scratchCRC: UInt32
    /// First 24 bytes of the bundle's target SHA-256.
    var bundleID: Digest32

    func write(into b: UnsafeMutableRawBufferPointer) {
        UnsafeMutableRawBufferPointer(rebasing: b[0 ..< Self.size]).initializeMemory(as: UInt8.self, repeating: 0)
        b.putLE32(Self.magic, at: 0)
        b[4] = Self.saved
        b[5] = operation.rawValue
        b.putLE32(step, at: 8)
        b.putLE32(unit, at: 12)
        b.putLE32(scratchCRC, at: 16)
        bundleID.withUnsafeBytes { id in
            UnsafeMutableRawBufferPointer(rebasing: b[20 ..< 44]).copyMemory(from: UnsafeRawBufferPointer(rebasing: id[0 ..< 24]))
        }
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(rebasing: b[0 ..< 44]))
        b.putLE32(crc.checksum, at: 44)
    }

    /// Parses a record slot; nil for erased, torn or foreign bytes.
    static func parse(_ b: UnsafeRawBufferPointer) -> (operation: JournalOperation, step: UInt32, unit: UInt32,
                                                       scratchCRC: UInt32, id: UnsafeRawBufferPointer)? {
        guard b.count >= size, b.le32Value(0) == magic, b[4] == saved,
              let operation = JournalOperation(rawValue: b[5]) else { return nil }
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(rebasing: b[0 ..< 44]))
        guard crc.checksum == b.le32Value(44) else { return nil }
        return (operation, b.le32Value(8), b.le32Value(12), b.le32Value(16), UnsafeRawBufferPointer(rebasing: b[20 ..< 44]))
    }
}

extension UnsafeMutableRawBufferPointer {
    func putLE32(_ v: UInt32, at o: Int) { storeLE32(v, at: o) }
}
