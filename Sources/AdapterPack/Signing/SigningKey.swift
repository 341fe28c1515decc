import COpenSSL

/// A private signing key (Ed25519 or ECDSA P-256) held as an OpenSSL `EVP_PKEY`.
///
/// Keys are PEM files that `openssl` reads and writes: `privatePEM()` produces PKCS#8
/// ("PRIVATE KEY"), and `init(pem:)` reads PKCS#8 or SEC 1 ("EC PRIVATE KEY").
///
/// An `EVP_PKEY` may be used from several threads at once for signing (each call makes
/// its own `EVP_MD_CTX`); nothing mutates it after `init`, hence `@unchecked Sendable`.
public final class SigningKey: @unchecked Sendable {
    /// Owned; freed in `deinit`.
    let pkey: OpaquePointer
    public let algorithm: SignatureAlgorithm
    /// The matching public key (computed once, at load time).
    public let verifyingKey: VerifyingKey

    private init(owning pkey: OpaquePointer, algorithm: SignatureAlgorithm, verifyingKey: VerifyingKey) {
        self.pkey = pkey
        self.algorithm = algorithm
        self.verifyingKey = verifyingKey
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// Takes ownership of `pkey` whether it succeeds or not: on success it belongs to
    /// the returned parts, on failure it has been freed.
    private static func adopt(_ pkey: OpaquePointer, _ algorithm: SignatureAlgorithm)
        throws(KeyError) -> (pkey: OpaquePointer, algorithm: SignatureAlgorithm, verifyingKey: VerifyingKey)
    {
        do throws(KeyError) {
            let raw = try SigningSupport.rawPublicKey(of: pkey, algorithm: algorithm)
            let verifying = try VerifyingKey.fromRaw(raw, algorithm: algorithm)
            return (pkey, algorithm, verifying)
        } catch {
            EVP_PKEY_free(pkey)
            throw error
        }
    }

    /// Generates a fresh key with OpenSSL's default random generator.
    public static func generate(_ alg: SignatureAlgorithm) throws(KeyError) -> SigningKey {
        ERR_clear_error()
        let typeName = alg == .ed25519 ? "ED25519" : "EC"
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, typeName, nil) else {
            throw SigningSupport.failure("EVP_PKEY_CTX_new_from_name(\(typeName))")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else {
            throw SigningSupport.failure("EVP_PKEY_keygen_init")
        }
        if alg == .ecdsaP256SHA256 {
            guard EVP_PKEY_CTX_set_group_name(ctx, "prime256v1") == 1 else {
                throw SigningSupport.failure("EVP_PKEY_CTX_set_group_name(prime256v1)")
            }
        }
        var generated: OpaquePointer? = nil
        guard EVP_PKEY_generate(ctx, &generated) == 1, let pkey = generated else {
            throw SigningSupport.failure("EVP_PKEY_generate(\(alg.name))")
        }
        let parts = try adopt(pkey, alg)
        return SigningKey(owning: parts.pkey, algorithm: parts.algorithm, verifyingKey: parts.verifyingKey)
    }

    /// Reads a private key PEM file (PKCS#8 "PRIVATE KEY" or SEC 1 "EC PRIVATE KEY").
    public convenience init(pemFile: String) throws(KeyError) {
        let bytes = try KeyFiles.read(pemFile)
        try self.init(pem: bytes, path: pemFile)
    }

    /// Parses private key PEM text (PKCS#8 "PRIVATE KEY" or SEC 1 "EC PRIVATE KEY").
    public convenience init(pem: [UInt8]) throws(KeyError) {
        try self.init(pem: pem, path: nil)
    }

    private convenience init(pem: [UInt8], path: String?) throws(KeyError) {
        let loaded = try SigningSupport.loadKey(pem: pem, path: path, needPrivate: true)
        let parts = try Self.adopt(loaded.pkey, loaded.algorithm)
        self.init(owning: parts.pkey, algorithm: parts.algorithm, verifyingKey: parts.verifyingKey)
    }

    /// The private key as PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), unencrypted,
    /// as `openssl genpkey` writes it.
    public func privatePEM() -> [UInt8] {
        SigningSupport.writePEM("PEM_write_bio_PrivateKey") { bio in
            PEM_write_bio_PrivateKey(bio, pkey, nil, nil, 0, nil, nil)
        }
    }

    /// Signs `message`. Ed25519: pure EdDSA over the message (64 bytes).
    /// ECDSA P-256: over SHA-256 of the message, returned raw as r || s (64 bytes).
    public func sign(_ message: [UInt8]) throws(KeyError) -> [UInt8] {
        ERR_clear_error()
        guard let ctx = EVP_MD_CTX_new() else {
            throw .signingFailed(algorithm: algorithm, reason: "EVP_MD_CTX_new: \(SigningSupport.drainErrors())")
        }
        defer { EVP_MD_CTX_free(ctx) }
        let md: OpaquePointer? = algorithm == .ed25519 ? nil : EVP_sha256()
        guard EVP_DigestSignInit(ctx, nil, md, nil, pkey) == 1 else {
            throw .signingFailed(algorithm: algorithm, reason: "EVP_DigestSignInit: \(SigningSupport.drainErrors())")
        }
        let capacity = Int(EVP_PKEY_get_size(pkey))
        guard capacity > 0 else {
            throw .signingFailed(algorithm: algorithm, reason: "EVP_PKEY_get_size: \(SigningSupport.drainErrors())")
        }
        var signature = [UInt8](repeating: 0, count: capacity)
        var length = capacity
        let ok = message.withUnsafeBufferPointer { msg in
            signature.withUnsafeMutableBufferPointer { sig in
                EVP_DigestSign(ctx, sig.baseAddress, &length, msg.baseAddress, msg.count)
            }
        }
        guard ok == 1, length <= capacity else {
            throw .signingFailed(algorithm: algorithm, reason: "EVP_DigestSign: \(SigningSupport.drainErrors())")
        }
        signature.removeSubrange(length...)

        switch algorithm {
        case .ed25519:
            guard signature.count == 64 else {
                throw .signingFailed(algorithm: algorithm,
                                     reason: "OpenSSL returned a \(signature.count)-byte Ed25519 signature, expected 64")
            }
            return signature
        case .ecdsaP256SHA256:
            guard let raw = SigningSupport.ecdsaDERToRaw(signature) else {
                throw .signingFailed(algorithm: algorithm,
                                     reason: "could not convert OpenSSL's DER signature to raw r||s: \(SigningSupport.drainErrors())")
            }
            return raw
        }
    }
}
