import COpenSSL
import Foundation

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

// MARK: - OpenSSL plumbing shared by SigningKey, VerifyingKey and KeyFiles

enum SigningSupport {
    /// The uncompressed-point SPKI prefix for a P-256 public key:
    /// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused bits) ... }.
    static let p256SPKIPrefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
        0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ]

    /// Empties this thread's OpenSSL error queue into one line.
    static func drainErrors() -> String {
        var parts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(string(fromCBuffer: buffer))
        }
        return parts.isEmpty ? "no detail in the OpenSSL error queue" : parts.joined(separator: "; ")
    }

    static func failure(_ function: String) -> KeyError {
        .openssl(function: function, message: drainErrors())
    }

    /// The labels of the "-----BEGIN LABEL-----" lines in `pem`, in order.
    static func pemLabels(_ pem: [UInt8]) -> [String] {
        let text = String(decoding: pem, as: UTF8.self)
        var labels: [String] = []
        var searchStart = text.startIndex
        while let begin = text.range(of: "-----BEGIN ", range: searchStart..<text.endIndex) {
            guard let end = text.range(of: "-----", range: begin.upperBound..<text.endIndex) else { break }
            let label = String(text[begin.upperBound..<end.lowerBound])
            if !label.contains("\n") && !label.contains("\r") {
                labels.append(label)
            }
            searchStart = end.upperBound
        }
        return labels
    }

    /// Runs `body` with a memory BIO holding a copy of `bytes`.
    static func withReadBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) throws(KeyError) -> T) throws(KeyError) -> T {
        guard let bio = BIO_new(BIO_s_mem()) else { throw failure("BIO_new") }
        defer { BIO_free(bio) }
        if !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            guard written == Int32(bytes.count) else { throw failure("BIO_write") }
        }
        return try body(bio)
    }

    /// A Swift string from a NUL-terminated C buffer.
    static func string(fromCBuffer buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes through a memory BIO and returns what was written. Writing a valid key
    /// to memory can only fail when out of memory, which is treated as fatal.
    static func writePEM(_ function: String, _ write: (OpaquePointer) -> Int32) -> [UInt8] {
        ERR_clear_error()
        guard let bio = BIO_new(BIO_s_mem()) else {
            fatalError("\(function): BIO_new failed: \(drainErrors())")
        }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else {
            fatalError("\(function) failed: \(drainErrors())")
        }
        let pending = Int(BIO_ctrl_pending(bio))
        var out = [UInt8](repeating: 0, count: pending)
        let got = out.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32($0.count)) }
        guard got == Int32(pending) else {
            fatalError("\(function): BIO_read returned \(got) of \(pending) bytes")
        }
        return out
    }

    static let privateLabels: Set<String> = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "DSA PRIVATE KEY"]
    static let publicLabels: Set<String> = ["PUBLIC KEY"]

    /// Parses a PEM private key (always accepted) or SPKI public key (accepted unless
    /// `needPrivate`), and checks it is Ed25519 or P-256. The caller owns `pkey`.
    static func loadKey(pem: [UInt8], path: String?, needPrivate: Bool)
        throws(KeyError) -> (pkey: OpaquePointer, algorithm: SignatureAlgorithm, isPrivate: Bool)
    {
        let expected = needPrivate
            ? "a private key ('-----BEGIN PRIVATE KEY-----' or '-----BEGIN EC PRIVATE KEY-----')"
            : "a public key ('-----BEGIN PUBLIC KEY-----') or a private key ('-----BEGIN PRIVATE KEY-----')"
        // `openssl ecparam -genkey` writes an "EC PARAMETERS" block before the key.
        let labels = pemLabels(pem).filter { $0 != "EC PARAMETERS" }
        guard let label = labels.first else {
            let all = pemLabels(pem)
            if let other = all.first {
                throw .wrongPEMType(path: path, found: other, expected: expected)
            }
            throw .notPEM(path: path)
        }
        let place = path.map { " in \($0)" } ?? ""
        switch label {
        case "ENCRYPTED PRIVATE KEY":
            throw .encryptedKey(path: path)
        case "OPENSSH PRIVATE KEY":
            throw .unsupportedKeyType("OpenSSH-format private key ('-----BEGIN OPENSSH PRIVATE KEY-----')\(place);"
                + " adapterpack reads the PEM/PKCS#8 files that `openssl` writes")
        case "RSA PUBLIC KEY":
            throw .unsupportedKeyType("RSA public key\(place)")
        case _ where privateLabels.contains(label):
            break
        case _ where publicLabels.contains(label):
            if needPrivate {
                throw .wrongPEMType(path: path, found: label, expected: expected)
            }
        default:
            throw .wrongPEMType(path: path, found: label, expected: expected)
        }
        let isPrivate = privateLabels.contains(label)

        ERR_clear_error()
        let pkey: OpaquePointer = try withReadBIO(pem) { bio throws(KeyError) -> OpaquePointer in
            let loaded: OpaquePointer?
            if isPrivate {
                // Never prompt for a password: encrypted keys were rejected above, and a
                // callback that fails keeps OpenSSL from reading the terminal.
                loaded = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil)
            } else {
                loaded = PEM_read_bio_PUBKEY(bio, nil, { _, _, _, _ in -1 }, nil)
            }
            guard let loaded else {
                throw .malformedPEM(path: path, label: label, detail: drainErrors())
            }
            return loaded
        }
        do throws(KeyError) {
            let algorithm = try algorithm(of: pkey, place: place)
            return (pkey, algorithm, isPrivate)
        } catch {
            EVP_PKEY_free(pkey)
            throw error
        }
    }

    static func groupName(_ pkey: OpaquePointer) -> String? {
        var buffer = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_group_name(pkey, &buffer, buffer.count, &length) == 1 else {
            ERR_clear_error()
            return nil
        }
        return string(fromCBuffer: buffer)
    }

    static func algorithm(of pkey: OpaquePointer, place: String) throws(KeyError) -> SignatureAlgorithm {
        if EVP_PKEY_is_a(pkey, "ED25519") == 1 {
            return .ed25519
        }
        if EVP_PKEY_is_a(pkey, "EC") == 1 {
            let group = groupName(pkey)
            if let group, ["prime256v1", "P-256", "secp256r1"].contains(group) {
                return .ecdsaP256SHA256
            }
            throw .unsupportedKeyType(
                "EC key on curve \(group ?? "(explicit parameters, no named curve)")\(place) (only P-256 is supported)")
        }
        let typeName = EVP_PKEY_get0_type_name(pkey).map { String(cString: $0) } ?? "unknown"
        let bits = EVP_PKEY_get_bits(pkey)
        let size = (typeName == "RSA" || typeName == "DSA") && bits > 0 ? " (\(bits)-bit)" : ""
        ERR_clear_error()
        throw .unsupportedKeyType("\(typeName)\(size) key\(place)")
    }

    /// Ed25519: the 32-byte public key. P-256: 0x04 || X || Y (65 bytes), whatever point
    /// format the key was stored with.
    static func rawPublicKey(of pkey: OpaquePointer, algorithm: SignatureAlgorithm) throws(KeyError) -> [UInt8] {
        ERR_clear_error()
        switch algorithm {
        case .ed25519:
            var raw = [UInt8](repeating: 0, count: 32)
            var length = raw.count
            guard EVP_PKEY_get_raw_public_key(pkey, &raw, &length) == 1, length == 32 else {
                throw failure("EVP_PKEY_get_raw_public_key")
            }
            return raw
        case .ecdsaP256SHA256:
            var raw: [UInt8] = [0x04]
            for name in [OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y] {
                var bn: OpaquePointer? = nil
                guard EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, let bn else {
                    throw failure("EVP_PKEY_get_bn_param(\(name))")
                }
                defer { BN_free(bn) }
                var coordinate = [UInt8](repeating: 0, count: 32)
                guard BN_bn2binpad(bn, &coordinate, 32) == 32 else {
                    throw failure("BN_bn2binpad(\(name))")
                }
                raw += coordinate
            }
            return raw
        }
    }

    /// SHA-256 through OpenSSL (EVP_Digest).
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed: \(drainErrors())")
        return digest
    }

    /// DER ECDSA-Sig-Value → raw r || s (32 + 32 bytes). Nil if it does not parse or a
    /// value does not fit in 32 bytes.
    static func ecdsaDERToRaw(_ der: [UInt8]) -> [UInt8]? {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let parsed else { return nil }
        defer { ECDSA_SIG_free(parsed) }
        var r: OpaquePointer? = nil
        var s: OpaquePointer? = nil
        ECDSA_SIG_get0(parsed, &r, &s)
        guard let r, let s else { return nil }
        var raw = [UInt8](repeating: 0, count: 64)
        let okR = raw.withUnsafeMutableBufferPointer { BN_bn2binpad(r, $0.baseAddress, 32) }
        let okS = raw.withUnsafeMutableBufferPointer { BN_bn2binpad(s, $0.baseAddress! + 32, 32) }
        guard okR == 32, okS == 32 else { return nil }
        return raw
    }

    /// Raw r || s → DER ECDSA-Sig-Value. Nil for a wrong length or a zero component;
    /// range checks against the group order are left to OpenSSL's verifier.
    static func ecdsaRawToDER(_ raw: [UInt8]) -> [UInt8]? {
        guard raw.count == 64 else { return nil }
        guard let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        let r = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, 32, nil) }
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + 32, 32, nil) }
        guard let r, let s, BN_is_zero(r) == 0, BN_is_zero(s) == 0,
              ECDSA_SIG_set0(sig, r, s) == 1
        else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        let length = i2d_ECDSA_SIG(sig, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_ECDSA_SIG(sig, &cursor)
        }
        guard written == length else { return nil }
        return der
    }
}
