import Foundation

/// Where a repository's files go, and the one way they are written.
///
/// Layout (TUF 1.0, consistent snapshots): `metadata/root.json` (a copy of the newest
/// root, for clients to start from), `metadata/N.root.json`, `metadata/N.targets.json`,
/// `metadata/N.snapshot.json`, `metadata/timestamp.json`; `targets/[DIR/]SHA256.NAME` for
/// a target path `[DIR/]NAME`.
public struct RepositoryLayout: Sendable {
    public let directory: String

    public init(_ directory: String) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
    }

    public var metadata: String { directory + "/metadata" }
    public var targets: String { directory + "/targets" }
    public func metadata(_ name: String) -> String { metadata + "/" + name }
    public func versioned(_ version: Int64, _ role: String) -> String { metadata("\(version).\(role).json") }
    public var timestamp: String { metadata("timestamp.json") }
    /// Bins signed by workers and not yet in a snapshot (`repo stage`, `repo merge`); a
    /// dot directory, which the recommended server configuration does not serve.
    public var staging: String { directory + "/.staging" }
    public func staged(_ role: String) -> String { staging + "/" + role + ".json" }

    /// `targets/DIR/SHA256.NAME` for target path `DIR/NAME`.
    public func targetFile(path: String, sha256: String) -> String {
        if let slash = path.lastIndex(of: "/") {
            return targets + "/" + path[..<slash] + "/" + sha256 + "." + path[path.index(after: slash)...]
        }
        return targets + "/" + sha256 + "." + path
    }
}

/// Writes one whole file; the repository calls it once per file, in the order that
/// keeps the repository consistent (versioned files first, timestamp.json last).
/// Tests substitute one that fails after N writes, as a crash would.
public protocol RepositoryWriter: AnyObject {
    func write(_ bytes: [UInt8], to path: String) throws(RepositoryError)
}

/// `FileIO.write`: atomic and durable, so a crash leaves each file old or new.
public final class FileIOWriter: RepositoryWriter {
    public init() {}
    public func write(_ bytes: [UInt8], to path: String) throws(RepositoryError) {
        do throws(FileIOError) {
            try FileIO.write(bytes, to: path)
        } catch {
            throw .io(error)
        }
    }
}

/// How long each role's metadata stays valid after it is signed.
public struct RepositoryExpiry: Sendable, Equatable {
    public static let day: TimeInterval = 86_400
    public var root: TimeInterval = 365 * day
    public var targets: TimeInterval = 90 * day
    public var snapshot: TimeInterval = 7 * day
    public var timestamp: TimeInterval = 1 * day

    public init() {}
}

/// A private key and the file it came from (for messages).
public struct RoleSigningKey: Sendable {
    public let path: String
    public let key: SigningKey

    public init(path: String, key: SigningKey) {
        self.path = path
        self.key = key
    }

    /// Reads a PEM private key; it must be Ed25519.
    public init(pemFile path: String) throws(RepositoryError) {
        do throws(KeyError) {
            key = try SigningKey(pemFile: path)
        } catch {
            throw .key(path: path, reason: error.description)
        }
        self.path = path
        guard key.algorithm == .ed25519 else { throw .notEd25519(path: path) }
    }

    public var tufKey: TUFKey { TUFKey(ed25519PublicKey: key.verifyingKey.rawPublicKey) }
}

enum RepositoryIO {
    static func read(_ path: String) throws(RepositoryError) -> [UInt8] {
        do throws(FileIOError) {
            return try FileIO.read(path, limit: .json)
        } catch {
            throw .io(error)
        }
    }

    static func exists(_ path: String) -> Bool { FileIO.exists(path) }

    static func makeDirectory(_ path: String) throws(RepositoryError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .badArgument("cannot create directory \(path): \(error.localizedDescription)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock (flock) on `DIR/.adapterpack-lock` for the length of one
/// command, so two commands cannot both build version N+1 from version N.
public final class RepositoryLock {
    private let fd: Int32

    /// Takes the lock or throws `.locked` at once (it does not wait). `shared`: many
    /// holders at once (bin-staging workers), none while an exclusive holder has it.
    public convenience init(_ directory: String, shared: Bool = false) throws(RepositoryError) {
        try self.init(file: RepositoryLayout(directory).directory + "/.adapterpack-lock", shared: shared)
    }

    /// The same on any lock file (a staging worker's part).
    public init(file path: String, shared: Bool = false) throws(RepositoryError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .badArgument("cannot open lock file \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0 else {
            close(fd)
            throw .locked(path: path)
        }
        self.fd = fd
    }

    deinit {
        _ = flock(fd, LOCK_UN)
        close(fd)
    }
}
