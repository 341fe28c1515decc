import COpenSSL

// MARK: - DER: ECDSA signatures and the P-256 SubjectPublicKeyInfo prefix

extension SigningSupport {
    /// The uncompressed-point SPKI prefix for a P-256 public key:
    /// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused bits) ... }.
    static let p256SPKIPrefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
        0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ]

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
