// Little-endian field access on raw buffers. Callers check bounds first.
// Unaligned loads and stores: one instruction each on a Cortex-M3/M4 (and on
// the host), where assembling bytes took a dozen at every field.

extension UnsafeRawBufferPointer {
    @inlinable func le16(_ offset: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inlinable func le32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inlinable func le64(_ offset: Int) -> UInt64 {
        UInt64(le32(offset)) | UInt64(le32(offset + 4)) << 32
    }
    @inlinable func digest(_ offset: Int) -> Digest32 {
        Digest32(bytes: UnsafeRawBufferPointer(rebasing: self[offset ..< offset + 32]))
    }
    /// True when every byte in `range` is zero (reserved fields).
    @inlinable func allZero(_ range: Range<Int>) -> Bool {
        for i in range where self[i] != 0 { return false }
        return true
    }
}

extension UnsafeMutableRawBufferPointer {
    @inlinable func put16(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self)
    }
    @inlinable func put32(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }
    @inlinable func put64(_ value: UInt64, at offset: Int) {
        put32(UInt32(truncatingIfNeeded: value), at: offset)
        put32(UInt32(truncatingIfNeeded: value >> 32), at: offset + 4)
    }
    @inlinable func putDigest(_ value: Digest32, at offset: Int) {
        value.withUnsafeBytes { digest in
            UnsafeMutableRawBufferPointer(rebasing: self[offset ..< offset + 32]).copyMemory(from: digest)
        }
    }
}
