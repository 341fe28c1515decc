/// Why a repository command refused. Every message names the file, key or value at
/// fault; a refused command has written nothing.
public enum RepositoryError: Error, CustomStringConvertible, Sendable {
    /// The directory has no metadata/timestamp.json (or no metadata/ at all).
    case notARepository(path: String, reason: String)
    /// `repo init` on a directory that already holds a repository.
    case alreadyARepository(path: String)
    /// A metadata file could not be parsed or does not match what refers to it.
    case badMetadata(file: String, reason: String)
    /// Fewer than `threshold` valid signatures by the role's keys.
    case signatureThreshold(file: String, role: String, valid: Int, threshold: Int)
    /// A key given for a role is not one of the role's keys in root.json.
    case wrongKey(role: String, path: String, keyID: String, expected: [String])
    /// Fewer signing keys than the role's threshold.
    case belowThreshold(role: String, given: Int, threshold: Int)
    /// TUF keys here are Ed25519.
    case notEd25519(path: String)
    /// A key file could not be read.
    case key(path: String, reason: String)
    /// A bundle that the loader refuses.
    case bundleDoesNotVerify(path: String, reason: String)
    /// A bundle whose sequence is not above what the repository holds for its base and cohort.
    case sequenceNotAbove(path: String, sequence: UInt64, held: UInt64, heldBy: String, base: String, cohort: String?)
    /// A cohort or device class that is not a plain name.
    case badName(what: String, name: String)
    /// The target path already names a different bundle.
    case targetPathTaken(path: String, existingSHA256: String)
    /// `repo stage --part`: a bundle whose target path hashes into a bin of another part.
    case outsidePart(path: String, targetPath: String, bin: String, part: String, first: String, last: String)
    /// Invalid option values (threshold, expiry).
    case badArgument(String)
    /// Producing a signature failed.
    case signing(role: String, reason: String)
    /// Another command holds the repository's lock.
    case locked(path: String)
    /// Reading or writing a file failed.
    case io(FileIOError)

    public var description: String {
        switch self {
        case let .notARepository(path, reason):
            return "\(path) is not a TUF repository: \(reason). Create one with `adapterpack repo init \(path) ...`."
        case let .alreadyARepository(path):
            return "\(path) already holds a TUF repository (metadata/timestamp.json exists); refusing to replace it."
        case let .badMetadata(file, reason):
            return "\(file): invalid TUF metadata: \(reason)."
        case let .signatureThreshold(file, role, valid, threshold):
            return "\(file): \(valid) valid signature\(valid == 1 ? "" : "s") by the \(role) role's keys, its threshold is \(threshold)."
        case let .wrongKey(role, path, keyID, expected):
            return "\(path) (key id \(keyID)) is not a key of the \(role) role; root.json lists "
                + (expected.isEmpty ? "none" : expected.joined(separator: ", ")) + "."
        case let .belowThreshold(role, given, threshold):
            return "the \(role) role needs \(threshold) signing key\(threshold == 1 ? "" : "s"), \(given) given; nothing was written."
        case let .notEd25519(path):
            return "\(path) is not an Ed25519 key; TUF repository keys must be Ed25519 (`adapterpack keygen -o NAME.pem`)."
        case let .key(path, reason):
            return "\(path): \(reason)"
        case let .bundleDoesNotVerify(path, reason):
            return "\(path) does not verify with the trusted keys: \(reason); not published."
        case let .sequenceNotAbove(path, sequence, held, heldBy, base, cohort):
            return "\(path) has sequence \(sequence), but the repository already holds sequence \(held) (\(heldBy)) for base "
                + "\(base) in cohort \(cohort ?? "(none)"); a device would refuse it. Rebuild it with --sequence \(held + 1) or higher."
        case let .badName(what, name):
            return "\(what) \"\(name)\" is not a plain name: use 1-64 letters, digits, '-', '_' or '.', not starting with '.' (no '/' or '\\')."
        case let .targetPathTaken(path, existing):
            return "target path \(path) already names a different bundle (sha256 \(existing)); rename the bundle file."
        case let .outsidePart(path, targetPath, bin, part, first, last):
            return "\(path): target path \(targetPath) hashes into \(bin), which is not in part \(part) (\(first) … \(last)); "
                + "stage it with the worker of that bin's part."
        case let .badArgument(message):
            return message
        case let .signing(role, reason):
            return "signing \(role) metadata failed: \(reason)"
        case let .locked(path):
            return "another adapterpack repo command is changing this repository (it holds \(path)); run this one after it."
        case let .io(error):
            return error.description
        }
    }
}
