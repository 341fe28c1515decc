/// Why a report could not be made; every message names the file or option.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    case notABundle(path: String, reason: String)
    case unknownLink(String, valid: [String])
    case baseMismatch(base: String, bundle: String)
    case applyFailed(bundle: String, reason: String)
    case targetMatchesNoBundle(path: String)
    case targetMismatch(target: String, bundle: String)
    case invalidOption(String)
    /// A section digest, header rule or the signature failed (`BundleVerification`).
    case notVerified(path: String, problems: [String])

    public var description: String {
        switch self {
        case .notABundle(let path, let reason):
            return "\(path): not a readable adapterpack bundle (\(reason))"
        case .unknownLink(let value, let valid):
            return "unknown link '\(value)' in --links; use a comma-separated list of: \(valid.joined(separator: ", "))"
        case .baseMismatch(let base, let bundle):
            return "\(base) is not the base model of \(bundle) (length or SHA-256 differs from the bundle header)"
        case .applyFailed(let bundle, let reason):
            return "\(bundle): could not apply to the base to reconstruct the target: \(reason)"
        case .targetMatchesNoBundle(let path):
            return "\(path): its SHA-256 is the target of none of the bundles given"
        case .targetMismatch(let target, let bundle):
            return "\(target) is not the target model of \(bundle)"
        case .invalidOption(let message):
            return message
        case .notVerified(let path, let problems):
            return "\(path): NOT VERIFIED: \(problems.joined(separator: "; ")); no report was made"

        }
    }
}
