#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// The outcome of checking one signature.
public enum SignatureCheck: Sendable {
    case valid
    case invalid
    /// No trusted key has the bundle's key id.
    case unknownKey
    /// The verifier does not implement the algorithm.
    case unsupportedAlgorithm
}

/// Checks an Ed25519 or ECDSA P-256 signature against the device's trusted keys.
///
/// The loader hashes the bundle itself and hands over only the 96-byte signed
/// message, so a verifier can be a crypto accelerator, a C library or, on the
/// host, OpenSSL.
public protocol SignatureVerifier {
    func check(algorithm: UInt8, keyID: Digest32, message: UnsafeRawBufferPointer,
               signature: UnsafeRawBufferPointer) -> SignatureCheck
}
