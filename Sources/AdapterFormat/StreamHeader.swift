/// The 112-byte signed front of a bundle (Spec/FORMAT.md §2).
///
/// A device reads it first, then the 64-byte signature, then block 0; the
/// signature covers this front and block 0, and every later block is covered
/// by the digest its predecessor ends with.
public struct StreamHeader: Equatable, Sendable {
    /// "ADPB" read as a little-endian u32 (as format 1).
    public static let magic: UInt32 = 0x4250_4441
    public static let size = 112
    public static let majorVersion: UInt8 = 3
    public static let minorVersion: UInt8 = 0
    /// Bytes of the signature that follows the front.
    public static let signatureSize = 64
    /// Offset of block 0: front plus signature.
    public static let firstBlockOffset = size + signatureSize
    /// Bytes of the key id: a prefix of the SHA-256 of the raw public key.
    public static let keyIDSize = 8
    /// Largest bundle and model length: 2^31 − 1, so every length and offset
    /// fits a 32-bit Int on the device.
    public static let maxLength: UInt32 = 0x7FFF_FFFF
    /// Smallest and largest block-size exponent (256 B ... 32 KB).
    public static let blockBitsRange: ClosedRange<UInt8> = 8 ... 15

    public var major: UInt8
    public var minor: UInt8
    /// The optional loader features the bundle uses: bit (feature raw value − 1)
    /// of each `LoaderFeature` (deflate 1, LoRA 2, low rank 4, layout 8).
    public var flags: UInt8
    /// Bytes 38-39, zero.
    private var reserved: UInt16 = 0
    /// 1 = Ed25519, 2 = ECDSA P-256 (as `SignatureBlock`).
    public var algorithm: UInt8
    public var bundleLength: UInt32
    public var baseLength: UInt32
    public var targetLength: UInt32
    /// RAM window bytes the loader needs for this bundle.
    public var windowSize: UInt32
    /// Bytes of block 0 (records and, unless it is the last block, its trailer).
    public var firstBlockLength: UInt16
    /// Most power-fail steps an apply or unapply of this bundle takes, at a
    /// step unit equal to the segment size (a store with larger units takes fewer).
    public var stepBound: UInt32
    /// Bytes of factor blocks the device keeps while the bundle runs.
    public var factorBytes: UInt16
    /// log2 of the segment size S (8 ... 24).
    public var segmentBits: UInt8
    /// log2 of the largest block (8 ... 15).
    public var blockBits: UInt8
    /// Monotonic anti-rollback counter (32 bits in format 2).
    public var sequence: UInt32
    /// First 8 bytes of SHA-256 of the signer's raw public key (the rest zero).
    public var keyID: Digest32
    public var baseSHA256: Digest32
    public var targetSHA256: Digest32

    public init(algorithm: UInt8, bundleLength: UInt32, baseLength: UInt32, targetLength: UInt32,
                windowSize: UInt32, firstBlockLength: UInt16, stepBound: UInt32, factorBytes: UInt16,
                segmentBits: UInt8, blockBits: UInt8, sequence: UInt32, keyID: Digest32,
                baseSHA256: Digest32, targetSHA256: Digest32) {
        major = Self.majorVersion
        minor = Self.minorVersion
        flags = 0
        self.algorithm = algorithm
        self.bundleLength = bundleLength
        self.baseLength = baseLength
        self.targetLength = targetLength
        self.windowSize = windowSize
        self.firstBlockLength = firstBlockLength
        self.stepBound = stepBound
        self.factorBytes = factorBytes
        self.segmentBits = segmentBits
        self.blockBits = blockBits
        self.sequence = sequence
        self.keyID = keyID.keyIDPrefix
        self.baseSHA256 = baseSHA256
        self.targetSHA256 = targetSHA256
    }

    /// Parses and checks every field of the front.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(FormatError) {
        guard bytes.count >= 4 else { throw .truncated(offset: 0, needed: Self.size, available: bytes.count) }
        let magic = bytes.le32(0)
        guard magic == Self.magic else { throw .badMagic(found: magic) }
        guard bytes.count >= 6 else { throw .truncated(offset: 0, needed: Self.size, available: bytes.count) }
        major = bytes[4]
        minor = bytes[5]
        guard major == Self.majorVersion else { throw .unsupportedVersion(major: UInt16(major), minor: UInt16(minor)) }
        guard bytes.count >= Self.size else { throw .truncated(offset: 0, needed: Self.size, available: bytes.count) }
        flags = bytes[6]
        algorithm = bytes[7]
        bundleLength = bytes.le32(8)
        baseLength = bytes.le32(12)
        targetLength = bytes.le32(16)
        windowSize = bytes.le32(20)
        stepBound = bytes.le32(24)
        firstBlockLength = bytes.le16(28)
        factorBytes = bytes.le16(30)
        sequence = bytes.le32(32)
        segmentBits = bytes[36]
        blockBits = bytes[37]
        reserved = bytes.le16(38)
        keyID = Digest32(storage: (bytes.loadUnaligned(fromByteOffset: 40, as: UInt64.self), 0, 0, 0))
        baseSHA256 = bytes.digest(48)
        targetSHA256 = bytes.digest(80)
        try check()
    }

    private func check() throws(FormatError) {
        guard flags & ~(Self.featureMask | Self.oneWayFlag) == 0 else { throw .invalidHeaderField(.flags, value: UInt32(flags)) }
        guard reserved == 0 else { throw .invalidHeaderField(.reserved, value: UInt32(reserved)) }
        guard algorithm == StreamSignature.ed25519 || algorithm == StreamSignature.ecdsaP256 else {
            throw .invalidHeaderField(.algorithm, value: UInt32(algorithm))
        }
        guard segmentBits >= 8, segmentBits <= 24 else { throw .invalidHeaderField(.segmentSize, value: UInt32(segmentBits)) }
        guard Self.blockBitsRange.contains(blockBits) else { throw .invalidHeaderField(.blockSize, value: UInt32(blockBits)) }
        guard bundleLength <= Self.maxLength else { throw .invalidHeaderField(.bundleLength, value: bundleLength) }
        guard baseLength > 0, baseLength <= Self.maxLength else {
            throw .invalidHeaderField(.baseLength, value: baseLength)
        }
        guard targetLength > 0, targetLength <= Self.maxLength else {
            throw .invalidHeaderField(.targetLength, value: targetLength)
        }
        guard firstBlockLength >= 1, Int(firstBlockLength) <= blockLimit,
              UInt64(Self.firstBlockOffset) + UInt64(firstBlockLength) <= UInt64(bundleLength) else {
            throw .invalidHeaderField(.firstBlockLength, value: UInt32(firstBlockLength))
        }
        // The upper bound first: Int(windowSize) traps on a 32-bit device for 2^31 or more.
        guard windowSize <= UInt32(StreamWindow.maximum), Int(windowSize) >= StreamWindow.required(for: self) else {
            throw .invalidHeaderField(.windowSize, value: UInt32(windowSize))
        }
    }

    /// Flag bits that name loader features.
    public static let featureMask: UInt8 = 0x0F
    /// Flag bit: the bundle is one-way (not self-reversing); unapply refuses
    /// it and a separate restore bundle brings the base back. Bits 5–7 are 0.
    public static let oneWayFlag: UInt8 = 0x10

    /// The flag bit of `feature`.
    public static func flag(_ feature: LoaderFeature) -> UInt8 { 1 << (feature.rawValue - 1) }

    /// The first feature the bundle declares that this loader build lacks.
    public var missingFeature: LoaderFeature? {
        for feature in LoaderFeature.allCases where flags & Self.flag(feature) != 0 && !LoaderFeature.isBuiltIn(feature) {
            return feature
        }
        return nil
    }

    /// Largest number of bytes any block of this bundle has.
    public var blockLimit: Int { 1 << Int(blockBits) }
    public var segmentSize: UInt32 { 1 << UInt32(segmentBits) }
    /// Bytes a model store must hold while the bundle is applied or removed.
    public var storeCapacityNeeded: UInt32 { max(baseLength, targetLength) }
    /// Number of segments that cover max(base, target) bytes.
    public var segmentCount: UInt32 {
        UInt32((UInt64(storeCapacityNeeded) + UInt64(segmentSize) - 1) / UInt64(segmentSize))
    }

    /// Writes the front into the first 112 bytes of `bytes`.
    public func write(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.size)
        for i in 0 ..< Self.size { bytes[i] = 0 }
        bytes.put32(Self.magic, at: 0)
        bytes[4] = major
        bytes[5] = minor
        bytes[6] = flags
        bytes[7] = algorithm
        bytes.put32(bundleLength, at: 8)
        bytes.put32(baseLength, at: 12)
        bytes.put32(targetLength, at: 16)
        bytes.put32(windowSize, at: 20)
        bytes.put32(stepBound, at: 24)
        bytes.put16(firstBlockLength, at: 28)
        bytes.put16(factorBytes, at: 30)
        bytes.put32(sequence, at: 32)
        bytes[36] = segmentBits
        bytes[37] = blockBits
        bytes.storeBytes(of: keyID.storage.0, toByteOffset: 40, as: UInt64.self)
        bytes.putDigest(baseSHA256, at: 48)
        bytes.putDigest(targetSHA256, at: 80)
    }
}

/// The signed message of a bundle (Spec/FORMAT.md §3): a 32-byte
/// domain separator, then SHA-256(front ‖ block 0).
public enum StreamSignature {
    public static let domain: StaticString = "adapterpack bundle signature v2\n"
    public static let messageSize = 64
    /// Signature algorithms (front byte 7).
    public static let ed25519: UInt8 = 1
    public static let ecdsaP256: UInt8 = 2

    /// Writes the 64-byte message for `digest` = SHA-256(front ‖ block 0).
    public static func message(digest: Digest32, into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= messageSize)
        domain.withUTF8Buffer { text in
            for i in 0 ..< 32 { bytes[i] = text[i] }
        }
        bytes.putDigest(digest, at: 32)
    }
}

extension Digest32 {
    /// The first 8 bytes of this digest, the rest zero: the short key id of
    /// format 2 (memory order, like every digest byte).
    public var keyIDPrefix: Digest32 { Digest32(storage: (storage.0, 0, 0, 0)) }
}
