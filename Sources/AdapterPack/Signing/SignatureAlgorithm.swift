/// Signature schemes a bundle can carry. The raw value is the byte stored in the
/// container's signature section, so it must never be renumbered.
public enum SignatureAlgorithm: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Pure Ed25519 (RFC 8032) over the message bytes. The default.
    case ed25519 = 1
    /// ECDSA on NIST P-256 (prime256v1 / secp256r1) over SHA-256 of the message.
    case ecdsaP256SHA256 = 2

    /// Length of a signature as carried in a bundle. ECDSA signatures are carried raw
    /// as r || s, each 32 bytes big-endian and left-padded with zeros, never as DER.
    public var signatureLength: Int {
        switch self {
        case .ed25519: return 64
        case .ecdsaP256SHA256: return 64
        }
    }

    /// Length of `VerifyingKey.rawPublicKey`: 32 bytes for Ed25519, 65 bytes
    /// (0x04 || X || Y, uncompressed SEC 1 point) for P-256.
    public var rawPublicKeyLength: Int {
        switch self {
        case .ed25519: return 32
        case .ecdsaP256SHA256: return 65
        }
    }

    /// Short stable name used in messages, `inspect` output and the CLI.
    public var name: String {
        switch self {
        case .ed25519: return "ed25519"
        case .ecdsaP256SHA256: return "ecdsa-p256-sha256"
        }
    }

    public var description: String { name }
}
