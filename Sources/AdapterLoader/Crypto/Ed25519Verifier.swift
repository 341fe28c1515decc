#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// A dependency-free Ed25519 (RFC 8032, pure) signature verifier for the device.
///
/// Holds one or two trusted public keys inline (no heap): a second key lets a
/// fleet rotate signing keys. Standard library only; builds with Embedded Swift.
///
/// ```
/// let verifier = trustedKeyBytes.withUnsafeBytes { Ed25519Verifier(publicKey: $0) }
/// let loader = BundleLoader(source: source, verifier: verifier, window: window)
/// ```
///
/// Verification follows RFC 8032 §5.1.7 with the cofactorless equation, like
/// OpenSSL (the host's verifier), so host and device accept the same signatures:
/// S must be below L; A must decode under every §5.1.3 rule (canonical y, a square
/// root exists, no "negative zero"); then [S]B - [k]A, k = SHA-512(R ‖ A ‖ M) mod L,
/// must encode to exactly the 32 bytes of R. That byte comparison also rejects
/// every non-canonical encoding of R. Not constant time: it handles public data only.
///
/// Implementation note (Swift 6.3.1, -O and -Osize): the optimizer can delete the
/// copy of a local tuple whose bytes were written through a pointer (for example
/// with `withUnsafeMutableBytes(of:)` and a non-inlined callee) when that copy is
/// then read through a pointer; the read sees uninitialized memory. Minimal case:
/// `func f() -> (UInt64, UInt64) { var b = (0, 0) as (UInt64, UInt64);
/// withUnsafeMutableBytes(of: &b) { fill($0) }; return b }` then
/// `var e = f(); withUnsafeBytes(of: &e) { $0[0] & 1 == 1 }` is false after `fill`
/// stored 3. The crypto files therefore build keys, field elements and scalars by
/// value (loads from the caller's buffers, shifts, `littleEndian`) and never read a
/// pointer-written local through a copy.
public struct Ed25519Verifier: SignatureVerifier, Sendable {
    /// The algorithm byte of §5 of the format: 1 = Ed25519.
    public static let algorithm: UInt8 = 1

    private let primaryKey: Bytes32
    private let primaryID: Digest32
    private let secondaryKey: Bytes32
    private let secondaryID: Digest32
    private let hasSecondary: Bool

    /// Trusts one Ed25519 public key (its 32 raw bytes, RFC 8032 §5.1.5). The key
    /// id is SHA-256 of those bytes (FORMAT.md §5). Traps unless
    /// `publicKey.count == 32`.
    public init(publicKey: UnsafeRawBufferPointer) {
        precondition(publicKey.count == 32, "an Ed25519 public key is 32 bytes")
        primaryKey = Ed25519Verifier.load32(publicKey)
        primaryID = SHA256.hash(publicKey)
        secondaryKey = (0, 0, 0, 0)
        secondaryID = Digest32.zero
        hasSecondary = false
    }

    /// Trusts two Ed25519 public keys (for key rotation). Traps unless both are
    /// 32 bytes.
    public init(publicKey: UnsafeRawBufferPointer, secondPublicKey: UnsafeRawBufferPointer) {
        precondition(publicKey.count == 32 && secondPublicKey.count == 32,
                     "an Ed25519 public key is 32 bytes")
        primaryKey = Ed25519Verifier.load32(publicKey)
        primaryID = SHA256.hash(publicKey)
        secondaryKey = Ed25519Verifier.load32(secondPublicKey)
        secondaryID = SHA256.hash(secondPublicKey)
        hasSecondary = true
    }

    /// The key id of the first trusted key (SHA-256 of its 32 bytes).
    public var keyID: Digest32 { primaryID }

    /// `.unknownKey` unless `keyID` names a trusted key; then
    /// `.unsupportedAlgorithm` unless `algorithm` is 1 (Ed25519); then `.valid`
    /// or `.invalid`.
    public func check(algorithm: UInt8, keyID: Digest32, message: UnsafeRawBufferPointer,
                      signature: UnsafeRawBufferPointer) -> SignatureCheck {
        let key: Bytes32
        // Format 2 names the key by the first 8 bytes of its id, the rest zero.
        if keyID == primaryID || keyID == primaryID.keyIDPrefix {
            key = primaryKey
        } else if hasSecondary && (keyID == secondaryID || keyID == secondaryID.keyIDPrefix) {
            key = secondaryKey
        } else {
            return .unknownKey
        }
        guard algorithm == Ed25519Verifier.algorithm else { return .unsupportedAlgorithm }
        // `key` was built from loaded values, so reading this copy is safe.
        let ok = Swift.withUnsafeBytes(of: key) { raw in
            Ed25519Verifier.verify(message: message, signature: signature, publicKey: raw)
        }
        return ok ? .valid : .invalid
    }

    /// True only if `signature` (64 bytes R ‖ S) is a valid Ed25519 signature of
    /// `message` under `publicKey` (32 bytes); false for any other length.
    public static func verify(message: UnsafeRawBufferPointer, signature: UnsafeRawBufferPointer,
                              publicKey: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == 64, publicKey.count == 32 else { return false }
        let r = UnsafeRawBufferPointer(rebasing: signature[0 ..< 32])
        let sBytes = UnsafeRawBufferPointer(rebasing: signature[32 ..< 64])
        // §5.1.7 step 1: S in 0..<L, A a valid encoding. (R is checked by the
        // final comparison with a canonical encoding.)
        guard Scalar25519.isCanonical(sBytes) else { return false }
        guard let a = Edwards25519.decoding(publicKey) else { return false }
        // Step 2: k = SHA-512(R ‖ A ‖ M) mod L.
        var hasher = SHA512()
        hasher.update(r)
        hasher.update(publicKey)
        hasher.update(message)
        let k = Scalar25519.reducing(hasher.finalize())
        // Step 3 (cofactorless): R == [S]B - [k]A, compared as encodings.
        let s = Scalar25519(bytes: sBytes)
        let check = Edwards25519.doubleScalarMultiply(s: s, k: k, point: a.negated).encoded()
        // Word by word, both sides in memory order.
        return check.0 == r.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
            && check.1 == r.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            && check.2 == r.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            && check.3 == r.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    /// The first 32 bytes as words in memory order (loaded, not copied through a
    /// pointer into a local).
    private static func load32(_ bytes: UnsafeRawBufferPointer) -> Bytes32 {
        (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
         bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
         bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
         bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }
}
