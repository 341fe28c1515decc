/// An Ed25519 public key as TUF metadata lists it:
/// `{"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": HEX}}`, named by its
/// key id, the SHA-256 (hex) of that object's canonical JSON.
public struct TUFKey: Equatable, Sendable {
    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    public init(ed25519PublicKey raw: [UInt8]) {
        publicKey = raw
    }

    /// The TUF form of `key`; only Ed25519 keys have one here.
    public init(_ key: VerifyingKey, path: String) throws(RepositoryError) {
        guard key.algorithm == .ed25519 else { throw .notEd25519(path: path) }
        self.init(ed25519PublicKey: key.rawPublicKey)
    }

    public var json: JSONValue {
        .object([
            "keytype": .string("ed25519"),
            "scheme": .string("ed25519"),
            "keyval": .object(["public": .string(hexString(publicKey))]),
        ])
    }

    /// SHA-256 of the canonical JSON of `json`, in lowercase hex.
    public var keyID: String { hexString(sha256(CanonicalJSON.encode(json)).bytes) }

    /// Reads a key object from metadata; `keyid` is checked against the object's content.
    init(json value: JSONValue, keyid: String, file: String) throws(RepositoryError) {
        guard value["keytype"]?.stringValue == "ed25519", value["scheme"]?.stringValue == "ed25519" else {
            throw .badMetadata(file: file, reason: "key \(keyid) is not an ed25519/ed25519 key (only Ed25519 is supported)")
        }
        guard let hex = value["keyval"]?["public"]?.stringValue, let raw = hexBytes(hex), raw.count == 32 else {
            throw .badMetadata(file: file, reason: "key \(keyid) has no 64-digit hex keyval.public")
        }
        self.init(ed25519PublicKey: raw)
        guard keyID == keyid else {
            throw .badMetadata(file: file, reason: "key id \(keyid) is not the SHA-256 of its key object (\(keyID))")
        }
    }

    /// True if `signatureHex` is a valid Ed25519 signature of `message` by this key.
    public func verify(_ message: [UInt8], signatureHex: String) -> Bool {
        guard let signature = hexBytes(signatureHex),
              let key = try? VerifyingKey.fromRaw(publicKey, algorithm: .ed25519) else { return false }
        return key.verify(message, signature: signature)
    }
}
