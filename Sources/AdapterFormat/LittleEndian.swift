// Little-endian field access on raw buffers. Callers check bounds first;
// these helpers only assemble bytes, so they work on any alignment.

extension UnsafeRawBufferPointer {
    @inlinable func le16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }
    @inlinable func le32(_ offset: Int) -> UInt32 {
        UInt32(le16(offset)) | UInt32(le16(offset + 2)) << 16
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
        self[offset] = UInt8(truncatingIfNeeded: value)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }
    @inlinable func put32(_ value: UInt32, at offset: Int) {
        put16(UInt16(truncatingIfNeeded: value), at: offset)
        put16(UInt16(truncatingIfNeeded: value >> 16), at: offset + 2)
    }
    @inlinable func put64(_ value: UInt64, at offset: Int) {
        put32(UInt32(truncatingIfNeeded: value), at: offset)
        put32(UInt32(truncatingIfNeeded: value >> 32), at: offset + 4)
    }
    @inlinable func putDigest(_ value: Digest32, at offset: Int) {
        for i in 0 ..< 32 { self[offset + i] = value[i] }
    }
}
