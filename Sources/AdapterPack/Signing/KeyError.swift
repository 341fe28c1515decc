/// Why a key could not be read, written, or used. Every message names the file or
/// value at fault and says what would work instead.
public enum KeyError: Error, CustomStringConvertible, Sendable {
    /// The file could not be opened or read (missing, a directory, no permission, too large).
    case unreadableFile(path: String, reason: String)
    /// The input contains no PEM block at all. `path` is nil for in-memory input.
    case notPEM(path: String?)
    /// A PEM block was found but it is not a key of the expected kind
    /// (for example a public key where a private key is needed, or a certificate).
    case wrongPEMType(path: String?, found: String, expected: String)
    /// The private key is password-protected ("ENCRYPTED PRIVATE KEY").
    case encryptedKey(path: String?)
    /// The PEM block has a key label but its contents could not be decoded.
    case malformedPEM(path: String?, label: String, detail: String)
    /// The key is a valid key of a type adapterpack does not sign with (RSA, P-384, Ed448...).
    /// The string says which type was found.
    case unsupportedKeyType(String)
    /// Raw public key bytes that do not form a key of the named algorithm.
    case invalidPublicKey(algorithm: SignatureAlgorithm, reason: String)
    /// An OpenSSL call failed; `message` holds the drained OpenSSL error queue.
    case openssl(function: String, message: String)
    /// Producing a signature failed.
    case signingFailed(algorithm: SignatureAlgorithm, reason: String)
    /// Refusing to overwrite an existing key file.
    case fileExists(path: String)
    /// A key file could not be written.
    case unwritableFile(path: String, reason: String)

    static let supported = "adapterpack signs with Ed25519 (the default) or ECDSA P-256 (prime256v1)"
    static let howToCreate =
        "Create one with `adapterpack keygen -o Keys/NAME.pem` or "
        + "`openssl genpkey -algorithm ed25519 -out NAME.pem`."

    private static func subject(_ path: String?) -> String { path ?? "key data" }

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read key file: \(reason)."
        case let .notPEM(path):
            return "\(Self.subject(path)): not a PEM key (expected '-----BEGIN PRIVATE KEY-----'"
                + ", or '-----BEGIN PUBLIC KEY-----' where only verification is needed). "
                + Self.howToCreate
        case let .wrongPEMType(path, found, expected):
            var text = "\(Self.subject(path)): found '-----BEGIN \(found)-----' but expected \(expected)."
            if found.hasSuffix("PUBLIC KEY") {
                text += " A public key can only verify; signing needs the private key file"
                    + " (the NAME.pem next to NAME.pub.pem). " + Self.howToCreate
            }
            return text
        case let .encryptedKey(path):
            return "\(Self.subject(path)): the private key is password-protected"
                + " ('-----BEGIN ENCRYPTED PRIVATE KEY-----'), which adapterpack does not read."
                + " Write an unencrypted copy with `openssl pkey -in \(path ?? "ENCRYPTED.pem") -out NAME.pem`"
                + " and keep it with mode 0600."
        case let .malformedPEM(path, label, detail):
            return "\(Self.subject(path)): the '-----BEGIN \(label)-----' block could not be decoded"
                + " (\(detail)). The file may be truncated or edited; check it with"
                + " `openssl pkey -in \(path ?? "FILE") -noout -text`. " + Self.howToCreate
        case let .unsupportedKeyType(found):
            return "unsupported key type: \(found). \(Self.supported). " + Self.howToCreate
                + " For P-256 use"
                + " `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out NAME.pem`."
        case let .invalidPublicKey(algorithm, reason):
            return "invalid \(algorithm.name) public key: \(reason)."
        case let .openssl(function, message):
            return "OpenSSL \(function) failed: \(message)"
        case let .signingFailed(algorithm, reason):
            return "\(algorithm.name) signing failed: \(reason)"
        case let .fileExists(path):
            return "\(path): already exists; refusing to overwrite a key file."
                + " Choose another name or move the old file away first."
        case let .unwritableFile(path, reason):
            return "\(path): cannot write key file: \(reason)."
        }
    }
}
