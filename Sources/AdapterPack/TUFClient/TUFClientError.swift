/// Why the TUF client refused metadata or a target. Each names the file or
/// role, so that a log says what to look at.
public enum TUFClientError: Error, CustomStringConvertible, Sendable {
    /// A file could not be fetched (HTTP status, connection), or was longer than allowed.
    case fetchFailed(url: String, reason: String)
    /// Bytes that are not metadata of the expected role and form.
    case badMetadata(role: String, reason: String)
    /// Fewer valid signatures than the role's threshold.
    case unsigned(role: String, valid: Int, threshold: Int)
    /// A version below (or, where the specification requires it, not equal to) the expected one.
    case rollback(role: String, version: Int64, expected: String)
    /// The metadata's `expires` is at or before now.
    case expired(role: String, expires: String)
    /// A file whose length or hash is not what signed metadata says.
    case mismatch(file: String, reason: String)
    /// The target path is in no role's metadata.
    case targetNotFound(path: String)
    /// The local metadata directory could not be read or written.
    case storage(path: String, reason: String)

    public var description: String {
        switch self {
        case .fetchFailed(let url, let reason): return "could not fetch \(url): \(reason)"
        case .badMetadata(let role, let reason): return "\(role) metadata refused: \(reason)"
        case .unsigned(let role, let valid, let threshold):
            return "\(role) metadata has \(valid) valid signature(s) from its keys, \(threshold) needed"
        case .rollback(let role, let version, let expected):
            return "\(role) metadata version \(version) refused: expected \(expected)"
        case .expired(let role, let expires): return "\(role) metadata expired at \(expires)"
        case .mismatch(let file, let reason): return "\(file): \(reason)"
        case .targetNotFound(let path): return "target \(path) is not in the repository's targets metadata"
        case .storage(let path, let reason): return "\(path): \(reason)"
        }
    }
}
