import AdapterFormat
import AdapterLoader

/// The host's `SignatureVerifier`: a set of public keys, looked up by key id,
/// checked with OpenSSL.
public struct TrustedKeys: SignatureVerifier, @unchecked Sendable {
    public let keys: [VerifyingKey]

    public init(_ keys: [VerifyingKey]) { self.keys = keys }

    /// Loads each PEM file (public, or private from which the public key is derived).
    public init(pemFiles: [String]) throws(KeyError) {
        var keys: [VerifyingKey] = []
        for path in pemFiles { keys.append(try VerifyingKey(pemFile: path)) }
        self.keys = keys
    }

    public func check(algorithm: UInt8, keyID: Digest32, message: UnsafeRawBufferPointer,
                      signature: UnsafeRawBufferPointer) -> SignatureCheck {
        let id = keyID.bytes
        guard let key = keys.first(where: { $0.keyID == id }) else { return .unknownKey }
        guard key.algorithm.rawValue == algorithm else { return .invalid }
        return key.verify(Array(message), signature: Array(signature)) ? .valid : .invalid
    }
}
