import AdapterFormat
import AdapterLoader

/// What a verified bundle says about itself: the fields
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
    /// The first 8 bytes of SHA-256 of the signer's public key, the rest zero.
    public var keyID: Digest32
    public var algorithm: UInt8

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

    /// The short key id as hex (16 digits).
    public var keyIDHex: String { hexString(keyID.bytes.prefix(StreamHeader.keyIDSize)) }
}

