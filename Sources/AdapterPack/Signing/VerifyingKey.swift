import COpenSSL

/// A public key that checks bundle signatures (Ed25519 or ECDSA P-256).
///
/// However it was loaded (SPKI "PUBLIC KEY", a private key PEM, or raw bytes), the key is
/// rebuilt from its raw form, so it never holds private material and `publicPEM()` is
/// canonical (P-256 points are always written uncompressed).
///
/// Immutable after `init`; OpenSSL allows concurrent verifications with one `EVP_PKEY`.
public final class VerifyingKey: @unchecked Sendable, Equatable {
    /// Owned; freed in `deinit`. Public-only.
    let pkey: OpaquePointer
    public let algorithm: SignatureAlgorithm
    /// Ed25519: the 32-byte key. P-256: the 65-byte uncompressed point 0x04 || X || Y.
    public let rawPublicKey: [UInt8]
    /// SHA-256 of `rawPublicKey` (32 bytes): the key id stored in a bundle.
    public let keyID: [UInt8]

    private init(owning pkey: OpaquePointer, algorithm: SignatureAlgorithm, raw: [UInt8]) {
        self.pkey = pkey
        self.algorithm = algorithm
        self.rawPublicKey = raw
        self.keyID = SigningSupport.sha256(raw)
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    public static func == (lhs: VerifyingKey, rhs: VerifyingKey) -> Bool {
        lhs.algorithm == rhs.algorithm && lhs.rawPublicKey == rhs.rawPublicKey
    }

    /// Builds a key from its raw form: 32 bytes for Ed25519; the 65-byte uncompressed
    /// point 0x04 || X || Y for P-256 (which must lie on the curve).
    public static func fromRaw(_ raw: [UInt8], algorithm: SignatureAlgorithm) throws(KeyError) -> VerifyingKey {
        VerifyingKey(owning: try makePKey(raw, algorithm), algorithm: algorithm, raw: raw)
    }

    /// A new public-only EVP_PKEY (owned by the caller) from raw key bytes.
    private static func makePKey(_ raw: [UInt8], _ algorithm: SignatureAlgorithm) throws(KeyError) -> OpaquePointer {
        guard raw.count == algorithm.rawPublicKeyLength else {
            throw .invalidPublicKey(algorithm: algorithm,
                                    reason: "expected \(algorithm.rawPublicKeyLength) bytes, got \(raw.count)")
        }
        ERR_clear_error()
        switch algorithm {
        case .ed25519:
            let made = raw.withUnsafeBufferPointer {
                EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count)
            }
            guard let made else {
                throw .invalidPublicKey(algorithm: algorithm, reason: SigningSupport.drainErrors())
            }
            return made
        case .ecdsaP256SHA256:
            guard raw[0] == 0x04 else {
                throw .invalidPublicKey(algorithm: algorithm,
                                        reason: "expected an uncompressed point starting with 0x04, got 0x"
                                            + String(raw[0], radix: 16))
            }
            // Wrap the point in a SubjectPublicKeyInfo and let OpenSSL decode it; the
            // decoder rejects points that are not on the curve.
            let spki = SigningSupport.p256SPKIPrefix + raw
            let made: OpaquePointer? = spki.withUnsafeBufferPointer { buffer in
                var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
                return d2i_PUBKEY(nil, &cursor, buffer.count)
            }
            guard let made else {
                throw .invalidPublicKey(algorithm: algorithm,
                                        reason: "not a point on P-256 (\(SigningSupport.drainErrors()))")
            }
            return made
        }
    }

    /// Reads a public key PEM file ("PUBLIC KEY", as `openssl pkey -pubout` writes) or a
    /// private key PEM file, from which the public key is derived.
    public convenience init(pemFile: String) throws(KeyError) {
        let bytes = try KeyFiles.read(pemFile)
        try self.init(pem: bytes, path: pemFile)
    }

    /// Parses public key PEM ("PUBLIC KEY") or private key PEM ("PRIVATE KEY",
    /// "EC PRIVATE KEY"), from which the public key is derived.
    public convenience init(pem: [UInt8]) throws(KeyError) {
        try self.init(pem: pem, path: nil)
    }

    private convenience init(pem: [UInt8], path: String?) throws(KeyError) {
        let loaded = try SigningSupport.loadKey(pem: pem, path: path, needPrivate: false)
        defer { EVP_PKEY_free(loaded.pkey) }
        let raw = try SigningSupport.rawPublicKey(of: loaded.pkey, algorithm: loaded.algorithm)
        let canonical = try Self.makePKey(raw, loaded.algorithm)
        self.init(owning: canonical, algorithm: loaded.algorithm, raw: raw)
    }

    /// The key as SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"), as
    /// `openssl pkey -pubout` writes it.
    public func publicPEM() -> [UInt8] {
        SigningSupport.writePEM("PEM_write_bio_PUBKEY") { bio in
            PEM_write_bio_PUBKEY(bio, pkey)
        }
    }

    /// True only if `signature` is a valid signature of `message` under this key.
    ///
    /// Ed25519: 64 bytes, verified by OpenSSL (which rejects S ≥ L and non-canonical
    /// encodings per RFC 8032). ECDSA P-256: raw r || s (64 bytes) over SHA-256 of the
    /// message; r and s must be in [1, n-1] (OpenSSL enforces the upper bound).
    public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        guard signature.count == algorithm.signatureLength else { return false }
        switch algorithm {
        case .ed25519:
            return digestVerify(message, signature: signature)
        case .ecdsaP256SHA256:
            guard let der = SigningSupport.ecdsaRawToDER(signature) else { return false }
            return digestVerify(message, signature: der)
        }
    }

    /// ECDSA only: verifies a DER-encoded ECDSA-Sig-Value, as X.509 and Wycheproof carry
    /// them. OpenSSL rejects BER, trailing bytes and other non-DER encodings.
    func verifyDER(_ message: [UInt8], derSignature: [UInt8]) -> Bool {
        guard algorithm == .ecdsaP256SHA256 else { return false }
        return digestVerify(message, signature: derSignature)
    }

    private func digestVerify(_ message: [UInt8], signature: [UInt8]) -> Bool {
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        let md: OpaquePointer? = algorithm == .ed25519 ? nil : EVP_sha256()
        guard EVP_DigestVerifyInit(ctx, nil, md, nil, pkey) == 1 else { return false }
        let result = message.withUnsafeBufferPointer { msg in
            signature.withUnsafeBufferPointer { sig in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        return result == 1
    }
}
