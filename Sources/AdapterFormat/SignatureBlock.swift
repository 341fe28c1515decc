/// The 100-byte signature section (Spec/FORMAT.md §5).
public struct SignatureBlock: Equatable, Sendable {
    public static let size = 100
    /// Length of the message that is actually signed.
    public static let messageSize = 96
    /// 32-byte domain separator that starts every signed message.
    public static let domain: StaticString = "adapterpack bundle signature v1\n"

    /// 1 = Ed25519, 2 = ECDSA P-256 with SHA-256 (raw r‖s).
    public var algorithm: UInt8
    /// SHA-256 of the signer's raw public key.
    public var keyID: Digest32
    /// The 64 signature bytes, kept inline as eight words (no heap).
    public var signature: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    public static let ed25519: UInt8 = 1
    public static let ecdsaP256: UInt8 = 2

    public init(algorithm: UInt8, keyID: Digest32, signature bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 64)
        self.algorithm = algorithm
        self.keyID = keyID
        self.signature = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &self.signature) { dst in
            for i in 0 ..< 64 { dst[i] = bytes[i] }
        }
    }

    /// Parses and checks the fixed fields; `sectionIndex` is for error reports.
    public init(parsing bytes: UnsafeRawBufferPointer, sectionIndex: Int, offset: Int) throws(FormatError) {
        try Self.checkFields(bytes, offset: offset)
        self.init(algorithm: bytes[0], keyID: bytes.digest(4),
                  signature: UnsafeRawBufferPointer(rebasing: bytes[36 ..< 100]))
    }

    /// Checks the size and the fixed fields of a signature section's bytes
    /// without copying them (the device verifies straight from its buffer).
    public static func checkFields(_ bytes: UnsafeRawBufferPointer, offset: Int) throws(FormatError) {
        guard bytes.count >= Self.size else {
            throw .truncated(offset: offset, needed: Self.size, available: bytes.count)
        }
        let algorithm = bytes[0]
        guard algorithm == Self.ed25519 || algorithm == Self.ecdsaP256 else {
            throw .malformedRecord(section: SectionKind.signature.rawValue, offset: 0, .badValue(UInt32(algorithm)))
        }
        guard bytes[1] == 64 else {
            throw .malformedRecord(section: SectionKind.signature.rawValue, offset: 1, .badValue(UInt32(bytes[1])))
        }
        guard bytes[2] == 0, bytes[3] == 0 else {
            throw .malformedRecord(section: SectionKind.signature.rawValue, offset: 2, .badValue(UInt32(bytes.le16(2))))
        }
    }

    /// Calls `body` with the 64 signature bytes.
    public func withSignatureBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var copy = signature
        return withUnsafeBytes(of: &copy) { body($0) }
    }

    public func write(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.size)
        bytes[0] = algorithm
        bytes[1] = 64
        bytes[2] = 0
        bytes[3] = 0
        bytes.putDigest(keyID, at: 4)
        withSignatureBytes { sig in
            for i in 0 ..< 64 { bytes[36 + i] = sig[i] }
        }
    }

    public static func == (a: SignatureBlock, b: SignatureBlock) -> Bool {
        a.algorithm == b.algorithm && a.keyID == b.keyID
            && a.withSignatureBytes { x in b.withSignatureBytes { y in
                var same = true
                for i in 0 ..< 64 where x[i] != y[i] { same = false }
                return same
            } }
    }

    /// Writes the 96-byte signed message: domain ‖ key id ‖ SHA-256(signed bytes).
    public static func message(keyID: Digest32, contentDigest: Digest32,
                               into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= messageSize)
        domain.withUTF8Buffer { d in
            UnsafeMutableRawBufferPointer(rebasing: out[0 ..< 32]).copyMemory(from: UnsafeRawBufferPointer(d))
        }
        out.putDigest(keyID, at: 32)
        out.putDigest(contentDigest, at: 64)
    }
}
