/// The fixed 128-byte header at the start of every bundle (Spec/FORMAT.md §2).
public struct BundleHeader: Equatable, Sendable {
    /// "ADPB" read as a little-endian u32.
    public static let magic: UInt32 = 0x4250_4441
    public static let size = 128
    public static let majorVersion: UInt16 = 1
    public static let minorVersion: UInt16 = 0
    /// Largest bundle, window and model length: 2^31 − 1, so every length and
    /// offset fits a 32-bit Int on the device.
    public static let maxLength: UInt32 = 0x7FFF_FFFF
    /// A bundle holds at most one section of each kind, so few entries are possible.
    public static let maxSections = 8

    public var major: UInt16
    public var minor: UInt16
    public var sectionCount: UInt16
    public var flags: UInt32
    /// Total length of the bundle in bytes, signature included.
    public var bundleLength: UInt32
    /// RAM window bytes the loader needs for this bundle.
    public var windowSize: UInt32
    /// Content operations are grouped per aligned segment of this many model
    /// bytes, each decodable on its own (power of two, 256 ... 16 MiB).
    public var segmentSize: UInt32
    /// Monotonic anti-rollback counter.
    public var sequence: UInt64
    public var baseLength: UInt32
    public var targetLength: UInt32
    public var baseSHA256: Digest32
    public var targetSHA256: Digest32

    /// Creates a header for the current format version.
    public init(sectionCount: UInt16, bundleLength: UInt32, windowSize: UInt32, segmentSize: UInt32, sequence: UInt64,
                baseLength: UInt32, targetLength: UInt32, baseSHA256: Digest32, targetSHA256: Digest32) {
        self.major = Self.majorVersion
        self.minor = Self.minorVersion
        self.flags = 0
        self.sectionCount = sectionCount
        self.bundleLength = bundleLength
        self.windowSize = windowSize
        self.segmentSize = segmentSize
        self.sequence = sequence
        self.baseLength = baseLength
        self.targetLength = targetLength
        self.baseSHA256 = baseSHA256
        self.targetSHA256 = targetSHA256
    }

    /// Parses and checks the header fields that do not depend on the section table.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(FormatError) {
        guard bytes.count >= 4 else {
            throw .truncated(offset: 0, needed: Self.size, available: bytes.count)
        }
        let magic = bytes.le32(0)
        guard magic == Self.magic else { throw .badMagic(found: magic) }
        guard bytes.count >= 8 else {
            throw .truncated(offset: 0, needed: Self.size, available: bytes.count)
        }
        major = bytes.le16(4)
        minor = bytes.le16(6)
        guard major == Self.majorVersion else { throw .unsupportedVersion(major: major, minor: minor) }
        guard bytes.count >= Self.size else {
            throw .truncated(offset: 0, needed: Self.size, available: bytes.count)
        }
        let headerSize = bytes.le16(8)
        guard Int(headerSize) == Self.size else {
            throw .invalidHeaderField(.headerSize, value: UInt32(headerSize))
        }
        sectionCount = bytes.le16(10)
        guard sectionCount >= 1, Int(sectionCount) <= Self.maxSections else {
            throw .invalidHeaderField(.sectionCount, value: UInt32(sectionCount))
        }
        flags = bytes.le32(12)
        guard flags == 0 else { throw .invalidHeaderField(.flags, value: UInt32(flags)) }
        bundleLength = bytes.le32(16)
        windowSize = bytes.le32(20)
        sequence = bytes.le64(24)
        baseLength = bytes.le32(32)
        targetLength = bytes.le32(36)
        segmentSize = bytes.le32(40)
        guard segmentSize >= 256, segmentSize <= 1 << 24, segmentSize & (segmentSize - 1) == 0 else {
            throw .invalidHeaderField(.segmentSize, value: UInt32(segmentSize))
        }
        guard bytes.allZero(44 ..< 64) else { throw .invalidHeaderField(.reserved, value: 0) }
        baseSHA256 = bytes.digest(64)
        targetSHA256 = bytes.digest(96)
        // Every length must fit a 32-bit device's Int (checked before any conversion).
        guard bundleLength <= Self.maxLength else { throw .invalidHeaderField(.bundleLength, value: UInt32(bundleLength)) }
        guard windowSize <= UInt32(WindowLayout.maximum) else { throw .invalidHeaderField(.windowSize, value: UInt32(windowSize)) }
        guard baseLength > 0, baseLength <= Self.maxLength else {
            throw .invalidHeaderField(.baseLength, value: UInt32(baseLength))
        }
        guard targetLength > 0, targetLength <= Self.maxLength else {
            throw .invalidHeaderField(.targetLength, value: UInt32(targetLength))
        }
        let minimum = Self.size + Int(sectionCount) * SectionEntry.size + SignatureBlock.size
        guard Int(bundleLength) >= minimum else {
            throw .invalidHeaderField(.bundleLength, value: UInt32(bundleLength))
        }
    }

    /// Offset of the first section: right after the header and the table.
    public var firstSectionOffset: Int { Self.size + Int(sectionCount) * SectionEntry.size }

    /// Number of segments that cover max(base, target) bytes.
    public var segmentCount: UInt32 {
        UInt32((UInt64(storeCapacityNeeded) + UInt64(segmentSize) - 1) / UInt64(segmentSize))
    }

    /// Bytes a model store must hold while the bundle is applied or removed.
    public var storeCapacityNeeded: UInt32 { max(baseLength, targetLength) }

    /// Writes the header into the first 128 bytes of `bytes`.
    public func write(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.size)
        for i in 0 ..< Self.size { bytes[i] = 0 }
        bytes.put32(Self.magic, at: 0)
        bytes.put16(major, at: 4)
        bytes.put16(minor, at: 6)
        bytes.put16(UInt16(Self.size), at: 8)
        bytes.put16(sectionCount, at: 10)
        bytes.put32(flags, at: 12)
        bytes.put32(bundleLength, at: 16)
        bytes.put32(windowSize, at: 20)
        bytes.put64(sequence, at: 24)
        bytes.put32(baseLength, at: 32)
        bytes.put32(targetLength, at: 36)
        bytes.put32(segmentSize, at: 40)
        bytes.putDigest(baseSHA256, at: 64)
        bytes.putDigest(targetSHA256, at: 96)
    }
}
