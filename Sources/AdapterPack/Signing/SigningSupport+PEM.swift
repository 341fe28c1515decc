import Foundation

// MARK: - PEM scanning: which "-----BEGIN …-----" blocks a key file holds

extension SigningSupport {
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

    static let privateLabels: Set<String> = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "DSA PRIVATE KEY"]
    static let publicLabels: Set<String> = ["PUBLIC KEY"]

    /// Finds the block `loadKey` reads (the first one that is not "EC PARAMETERS") and
    /// says whether it is a private key. Refuses encrypted, OpenSSH and RSA public keys,
    /// other kinds of PEM, and a public key when `needPrivate`.
    static func keyBlock(in pem: [UInt8], path: String?, needPrivate: Bool)
        throws(KeyError) -> (label: String, isPrivate: Bool)
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
        return (label, privateLabels.contains(label))
    }
}
