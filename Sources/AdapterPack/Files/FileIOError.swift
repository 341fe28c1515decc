#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why `FileIO` could not read or write a file. Every message names the file, what was
/// being done to it, and the system's reason (or the size and the limit).
///
/// `description` reads "PATH: cannot read (REASON)" or "PATH: cannot write (REASON);
/// nothing was written"; `reason` is the part in parentheses, for callers that wrap
/// the error in their own message (key files do).
public enum FileIOError: Error, CustomStringConvertible, Sendable, Equatable {
    // MARK: reading

    /// Nothing at `path` (open(2) said ENOENT).
    case missing(path: String)
    /// `path` names a directory.
    case isDirectory(path: String)
    /// The file is larger than the reader accepts. `size` is the size fstat(2) reported,
    /// nil when that size was not known (a pipe, or a file that grew while being read).
    case tooLarge(path: String, size: Int?, limit: Int, what: String)
    /// The file has no bytes and the reader needs some.
    case empty(path: String, what: String)
    /// A system call failed while reading; `operation` is "open", "fstat" or "read".
    case readFailed(path: String, operation: String, code: Int32)

    // MARK: writing

    /// The directory that would hold `path` does not exist, or is not a directory.
    case noDirectory(path: String, directory: String, exists: Bool)
    /// `path` exists and the write was asked not to replace it.
    case alreadyExists(path: String)
    /// A system call failed while writing; `operation` names the call and the file it
    /// was applied to (a temporary file, or the rename/link onto `path`).
    case writeFailed(path: String, operation: String, code: Int32)

    /// The file the error is about.
    public var path: String {
        switch self {
        case let .missing(path), let .isDirectory(path), let .tooLarge(path, _, _, _), let .empty(path, _),
             let .readFailed(path, _, _), let .noDirectory(path, _, _), let .alreadyExists(path),
             let .writeFailed(path, _, _):
            return path
        }
    }

    /// True for errors raised while writing (the destination was left as it was).
    public var isWriteError: Bool {
        switch self {
        case .missing, .isDirectory, .tooLarge, .empty, .readFailed: return false
        case .noDirectory, .alreadyExists, .writeFailed: return true
        }
    }

    /// What went wrong, without the path.
    public var reason: String {
        switch self {
        case .missing:
            return "no such file"
        case .isDirectory:
            return "it is a directory, not a file"
        case let .tooLarge(_, size, limit, what):
            if let size { return "file is \(size) bytes, over the \(limit)-byte limit for \(what)" }
            return "file is over the \(limit)-byte limit for \(what)"
        case let .empty(_, what):
            return "file is empty; expected \(what)"
        case let .readFailed(_, operation, code):
            return "\(operation): \(Self.errorText(code))"
        case let .noDirectory(_, directory, exists):
            return exists ? "'\(directory)' is not a directory" : "directory '\(directory)' does not exist"
        case .alreadyExists:
            return "file already exists and is not replaced"
        case let .writeFailed(_, operation, code):
            return "\(operation): \(Self.errorText(code))"
        }
    }

    public var description: String {
        isWriteError ? "\(path): cannot write (\(reason)); nothing was written" : "\(path): cannot read (\(reason))"
    }

    /// strerror(3) text for an errno value.
    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
