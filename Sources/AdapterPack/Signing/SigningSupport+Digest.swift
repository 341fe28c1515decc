import COpenSSL

// MARK: - SHA-256, which names a key (key id = SHA-256 of the raw public key)

extension SigningSupport {
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
}
