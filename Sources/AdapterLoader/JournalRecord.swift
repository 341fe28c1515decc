#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// Where a streamed operation must pick up again if step S is cut short
/// (Spec/LOADER.md §2): the block that holds the step's first record, and
/// the loader's counters as they were when that block began.
public struct ResumePoint: Equatable, Sendable {
    /// Block number and its place in the bundle.
    public var blockIndex: UInt32
    public var blockOffset: UInt32
    public var blockLength: UInt16
    /// SHA-256 of the block (what its predecessor's trailer says; block 0 is
    /// covered by the signature instead, so zero there).
    public var digest: Digest32
    /// Index of the next step when the block began.
    public var stepAtBlockStart: UInt32
    /// Unit of the step still open when the block began (`noUnit`: none).
    public var openUnitAtBlockStart: UInt32
    /// Rank and segment of the record before the block (record order checks).
    public var orderRank: UInt8
    public var orderSegment: UInt32
    /// The model's logical length when the block began (a resume that jumps
    /// past `setLength` operations restores it).
    public var modelLength: UInt32 = 0

    public static let noUnit = UInt32.max
    /// Format 1 and non-streamed operations: nothing to record.
    public static let none = ResumePoint(blockIndex: 0, blockOffset: 0, blockLength: 0, digest: .zero,
                                         stepAtBlockStart: 0, openUnitAtBlockStart: noUnit, orderRank: 0, orderSegment: 0,
                                         modelLength: 0)

    public init(blockIndex: UInt32, blockOffset: UInt32, blockLength: UInt16, digest: Digest32,
                stepAtBlockStart: UInt32, openUnitAtBlockStart: UInt32, orderRank: UInt8, orderSegment: UInt32,
                modelLength: UInt32) {
        self.blockIndex = blockIndex
        self.blockOffset = blockOffset
        self.blockLength = blockLength
        self.digest = digest
        self.stepAtBlockStart = stepAtBlockStart
        self.openUnitAtBlockStart = openUnitAtBlockStart
        self.orderRank = orderRank
        self.orderSegment = orderSegment
        self.modelLength = modelLength
    }
}

/// One 108-byte journal record (Spec/LOADER.md §2): "the old bytes of unit U
/// are saved in the scratch area for step S of this operation", and where a
/// streamed operation resumes if the step is cut short.
public struct JournalRecord: Equatable {
    /// Bytes of a record; its slot is this rounded up to the flash program size.
    public static let size = 108
    static let magic: UInt32 = 0x324A_5041  // "APJ2"
    static let saved: UInt8 = 1
    static let crcOffset = 104

    var operation: JournalOperation
    var step: UInt32
    var unit: UInt32
    /// CRC-32 of the scratch area's saved bytes.
    var scratchCRC: UInt32
    /// First 24 bytes of the bundle id: format 1 the target SHA-256, format 2
    /// the SHA-256 of the signed front.
    var bundleID: Digest32
    var resume: ResumePoint

    func write(into b: UnsafeMutableRawBufferPointer) {
        UnsafeMutableRawBufferPointer(rebasing: b[0 ..< Self.size]).initializeMemory(as: UInt8.self, repeating: 0)
        b.putLE32(Self.magic, at: 0)
        b[4] = Self.saved
        b[5] = operation.rawValue
        b[6] = resume.orderRank
        b.putLE32(step, at: 8)
        b.putLE32(unit, at: 12)
        b.putLE32(scratchCRC, at: 16)
        bundleID.withUnsafeBytes { id in
            UnsafeMutableRawBufferPointer(rebasing: b[20 ..< 44]).copyMemory(from: UnsafeRawBufferPointer(rebasing: id[0 ..< 24]))
        }
        b.putLE32(resume.blockIndex, at: 44)
        b.putLE32(resume.blockOffset, at: 48)
        b.putLE32(UInt32(resume.blockLength), at: 52)
        b.putLE32(resume.stepAtBlockStart, at: 56)
        b.putLE32(resume.openUnitAtBlockStart, at: 60)
        b.putLE32(resume.orderSegment, at: 64)
        resume.digest.withUnsafeBytes { d in
            UnsafeMutableRawBufferPointer(rebasing: b[68 ..< 100]).copyMemory(from: d)
        }
        b.putLE32(resume.modelLength, at: 100)
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(rebasing: b[0 ..< Self.crcOffset]))
        b.putLE32(crc.checksum, at: Self.crcOffset)
    }

    /// Whether `b` holds an intact record (magic, state, operation, CRC) of
    /// the bundle whose id starts as `id` does. The fields are then read with
    /// the accessors below, straight from the slot: no record value is built
    /// (on the device that copying costs more code than the reads).
    @inline(never)
    static func isIntact(_ b: UnsafeRawBufferPointer, of id: Digest32) -> Bool {
        guard b.count >= size, b.le32Value(0) == magic, b[4] == saved,
              JournalOperation(rawValue: b[5]) != nil else { return false }
        var crc = CRC32()
        crc.update(UnsafeRawBufferPointer(rebasing: b[0 ..< crcOffset]))
        guard crc.checksum == b.le32Value(crcOffset) else { return false }
        return id.withUnsafeBytes { whole in
            var k = 20
            while k < 44 {
                guard whole[k - 20] == b[k] else { return false }
                k += 1
            }
            return true
        }
    }

    /// The fields of an intact record (see `isIntact`).
    static func operation(_ b: UnsafeRawBufferPointer) -> JournalOperation { JournalOperation(rawValue: b[5]) ?? .apply }
    static func step(_ b: UnsafeRawBufferPointer) -> UInt32 { b.le32Value(8) }
    static func unit(_ b: UnsafeRawBufferPointer) -> UInt32 { b.le32Value(12) }
    static func scratchCRC(_ b: UnsafeRawBufferPointer) -> UInt32 { b.le32Value(16) }
    static func resume(_ b: UnsafeRawBufferPointer) -> ResumePoint {
        ResumePoint(blockIndex: b.le32Value(44), blockOffset: b.le32Value(48),
                    blockLength: UInt16(truncatingIfNeeded: b.le32Value(52)),
                    digest: Digest32(bytes: UnsafeRawBufferPointer(rebasing: b[68 ..< 100])),
                    stepAtBlockStart: b.le32Value(56), openUnitAtBlockStart: b.le32Value(60),
                    orderRank: b[6], orderSegment: b.le32Value(64), modelLength: b.le32Value(100))
    }
}

extension UnsafeMutableRawBufferPointer {
    func putLE32(_ v: UInt32, at o: Int) { storeLE32(v, at: o) }
}
