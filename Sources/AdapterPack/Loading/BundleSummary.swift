import AdapterFormat
import AdapterLoader

/// What a verified bundle of either format says about itself: the fields
/// host tools print and publish.
public struct BundleSummary: Equatable, Sendable {
    public var major: Int
    public var minor: Int
    public var sequence: UInt64
    public var baseLength: UInt32
    public var targetLength: UInt32
    public var baseSHA256: Digest32
    public var targetSHA256: Digest32
    /// RAM window the loader needs.
    public var windowSize: UInt32
    /// Format 1: SHA-256 of the signer's public key; format 2: its first 8 bytes, the rest zero.
    public var keyID: Digest32
    public var algorithm: UInt8

    init(_ verified: VerifiedBundle) {
        let h = verified.header
        self.init(major: Int(h.major), minor: Int(h.minor), sequence: h.sequence, baseLength: h.baseLength,
                  targetLength: h.targetLength, baseSHA256: h.baseSHA256, targetSHA256: h.targetSHA256,
                  windowSize: h.windowSize, keyID: verified.keyID, algorithm: verified.algorithm)
    }

    init(_ h: StreamHeader) {
        self.init(major: Int(h.major), minor: Int(h.minor), sequence: UInt64(h.sequence), baseLength: h.baseLength,
                  targetLength: h.targetLength, baseSHA256: h.baseSHA256, targetSHA256: h.targetSHA256,
                  windowSize: h.windowSize, keyID: h.keyID, algorithm: h.algorithm)
    }

    init(major: Int, minor: Int, sequence: UInt64, baseLength: UInt32, targetLength: UInt32, baseSHA256: Digest32,
         targetSHA256: Digest32, windowSize: UInt32, keyID: Digest32, algorithm: UInt8) {
        self.major = major
        self.minor = minor
        self.sequence = sequence
        self.baseLength = baseLength
        self.targetLength = targetLength
        self.baseSHA256 = baseSHA256
        self.targetSHA256 = targetSHA256
        self.windowSize = windowSize
        self.keyID = keyID
        self.algorithm = algorithm
    }

    /// The key id as hex: 64 digits (format 1) or 16 (format 2's short id).
    public var keyIDHex: String { major >= 2 ? hexString(keyID.bytes.prefix(StreamHeader.keyIDSize)) : keyID.hex }
}

extension HostLoader {
    /// Verifies a bundle of either format with the device loader (format 2:
    /// streamed); with `base`, also that it applies to it (by applying it to a copy).
    public static func check(bundle: [UInt8], keys: TrustedKeys, base: [UInt8]? = nil,
                             minimumSequence: UInt64 = 0) throws(LoaderError) -> BundleSummary {
        guard BundleFormat.of(bundle) == 2 else {
            return BundleSummary(try verify(bundle: bundle, keys: keys, base: base, minimumSequence: minimumSequence))
        }
        let header = try StreamHostLoader.verify(bundle: bundle, keys: keys, minimumSequence: minimumSequence)
        if let base {
            guard base.count == Int(header.baseLength) else {
                throw .modelLengthMismatch(expected: header.baseLength, actual: base.count)
            }
            let digest = sha256(base)
            guard digest == header.baseSHA256 else { throw .baseMismatch(expected: header.baseSHA256, actual: digest) }
            _ = try StreamHostLoader.apply(bundle: bundle, base: base, keys: keys, minimumSequence: minimumSequence)
        }
        return BundleSummary(header)
    }
}
