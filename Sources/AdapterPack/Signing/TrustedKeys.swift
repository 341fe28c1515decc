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
        // Format 2 carries an 8-byte key id (the rest of the digest zero).
        let short = id[StreamHeader.keyIDSize...].allSatisfy { $0 == 0 }
        guard let key = keys.first(where: {
            $0.keyID == id || (short && Array($0.keyID.prefix(StreamHeader.keyIDSize)) == Array(id.prefix(StreamHeader.keyIDSize)))
        }) else { return .unknownKey }
        guard key.algorithm.rawValue == algorithm else { return .invalid }
        return key.verify(Array(message), signature: Array(signature)) ? .valid : .invalid
    }
}
