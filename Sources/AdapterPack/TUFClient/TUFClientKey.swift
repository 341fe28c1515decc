import COpenSSL

/// A public key from TUF metadata with the scheme it signs with: ed25519 (hex
/// key), ecdsa-sha2-nistp256 (PEM key, DER signatures), rsassa-pss-sha256 and
/// rsa-pkcs1v15-sha256 (PEM keys), as python-tuf / securesystemslib write them.
/// Verification is OpenSSL's.
final class TUFClientKey: @unchecked Sendable {
    enum Scheme { case ed25519, ecdsaP256, rsaPSS, rsaPKCS1 }

    let scheme: Scheme
    private let pkey: OpaquePointer

    deinit { EVP_PKEY_free(pkey) }

    /// Reads `{"keytype", "scheme", "keyval": {"public"}}`; nil for a key type or
    /// scheme this client does not know (such a key then never counts toward a threshold).
    init?(json: JSONValue) {
        guard let keytype = json["keytype"]?.stringValue, let schemeName = json["scheme"]?.stringValue,
              let publicValue = json["keyval"]?["public"]?.stringValue else { return nil }
        switch (keytype, schemeName) {
        case ("ed25519", "ed25519"):
            guard let raw = hexBytes(publicValue), raw.count == 32,
                  let key = raw.withUnsafeBytes({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count) })
            else { return nil }
            scheme = .ed25519
            pkey = key
        case ("ecdsa", "ecdsa-sha2-nistp256"), ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"),
             ("rsa", "rsassa-pss-sha256"), ("rsa", "rsa-pkcs1v15-sha256"):
            guard let key = Self.readPEM(Array(publicValue.utf8)) else { return nil }
            let isRSA = keytype == "rsa"
            guard (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) == isRSA,
                  isRSA || EVP_PKEY_get_base_id(key) == EVP_PKEY_EC else {
                EVP_PKEY_free(key)
                return nil
            }
            scheme = !isRSA ? .ecdsaP256 : schemeName == "rsassa-pss-sha256" ? .rsaPSS : .rsaPKCS1
            pkey = key
        default:
            return nil
        }
    }

    private static func readPEM(_ pem: [UInt8]) -> OpaquePointer? {
        ERR_clear_error()
        defer { ERR_clear_error() }
        return pem.withUnsafeBytes { raw -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, { _, _, _, _ in -1 }, nil)
        }
    }

    /// True only if `signatureHex` is this key's valid signature of `message`.
    func verify(_ message: [UInt8], signatureHex: String) -> Bool {
        guard let signature = hexBytes(signatureHex), !signature.isEmpty else { return false }
        ERR_clear_error()
        defer { ERR_clear_error() }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        guard EVP_DigestVerifyInit(ctx, &pctx, scheme == .ed25519 ? nil : EVP_sha256(), nil, pkey) == 1 else { return false }
        switch scheme {
        case .rsaPSS:
            guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1 else { return false }
        case .rsaPKCS1:
            guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 else { return false }
        case .ed25519, .ecdsaP256:
            break
        }
        return message.withUnsafeBufferPointer { msg in
            signature.withUnsafeBufferPointer { sig in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, msg.baseAddress, msg.count) == 1
            }
        }
    }
}

/// SHA-256 or SHA-512 of `bytes` (the hash names TUF metadata uses); nil for another name.
func tufDigest(_ name: String, _ bytes: [UInt8]) -> [UInt8]? {
    let md: OpaquePointer?
    switch name {
    case "sha256": md = EVP_sha256()
    case "sha512": md = EVP_sha512()
    default: return nil
    }
    var digest = [UInt8](repeating: 0, count: 64)
    var length: UInt32 = 0
    let ok = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, md, nil) }
    return ok == 1 ? Array(digest[0 ..< Int(length)]) : nil
}
