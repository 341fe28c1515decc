import COpenSSL

// MARK: - EVP_PKEY: loading a key, its algorithm and its raw public key

extension SigningSupport {
    /// Parses a PEM private key (always accepted) or SPKI public key (accepted unless
    /// `needPrivate`), and checks it is Ed25519 or P-256. The caller owns `pkey`.
    static func loadKey(pem: [UInt8], path: String?, needPrivate: Bool)
        throws(KeyError) -> (pkey: OpaquePointer, algorithm: SignatureAlgorithm, isPrivate: Bool)
    {
        let (label, isPrivate) = try keyBlock(in: pem, path: path, needPrivate: needPrivate)
        let place = path.map { " in \($0)" } ?? ""

        ERR_clear_error()
        let pkey: OpaquePointer = try withReadBIO(pem) { bio throws(KeyError) -> OpaquePointer in
            let loaded: OpaquePointer?
            if isPrivate {
                // Never prompt for a password: `keyBlock` rejected encrypted keys, and a
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
}
