import Foundation

/// Where the client gets repository files from: nil for "not there" (HTTP 403
/// or 404), the bytes otherwise; more than `maxLength` bytes is an error.
public protocol TUFFetcher {
    func fetch(_ url: String, maxLength: Int) throws(TUFClientError) -> [UInt8]?
}

/// A TUF 1.0 client (the specification's "detailed client workflow"): keeps
/// trusted metadata in a directory (`root.json`, `timestamp.json`, …, one file
/// per role, names percent-encoded), updates it from a repository and finds
/// and downloads targets. Metadata becomes trusted, and is written to the
/// directory, only after every check of its step passed.
public final class TUFUpdater {
    /// Limits on files whose length signed metadata does not give (python-tuf's defaults).
    static let maxRootLength = 512_000, maxTimestampLength = 16_384
    static let maxSnapshotLength = 2_000_000, maxTargetsLength = 5_000_000
    static let maxRootRotations = 256, maxDelegations = 32

    let metadataDirectory: String
    let metadataURL: String
    let fetcher: TUFFetcher
    /// The time every expiry is checked against: the start of this run.
    let now: Date

    private(set) var root: TUFClientRoot
    private var timestamp: TUFEnvelope?
    private var snapshot: TUFEnvelope?
    private var targets: [String: TUFClientTargets] = [:]
    private var refreshed = false

    /// Loads the trusted root from `metadataDirectory/root.json` (it must be
    /// signed by a threshold of its own root keys).
    public init(metadataDirectory: String, metadataURL: String, fetcher: TUFFetcher, now: Date = Date()) throws(TUFClientError) {
        self.metadataDirectory = metadataDirectory
        self.metadataURL = metadataURL.hasSuffix("/") ? String(metadataURL.dropLast()) : metadataURL
        self.fetcher = fetcher
        self.now = now
        guard let bytes = Self.read(metadataDirectory + "/root.json") else {
            throw .storage(path: metadataDirectory + "/root.json", reason: "no trusted root (run init first)")
        }
        root = try TUFClientRoot(bytes: bytes)
        try root.verify(root.envelope, as: "root")
    }

    /// Updates root, timestamp, snapshot and top-level targets, in that order.
    public func refresh() throws(TUFClientError) {
        try updateRoot()
        try updateTimestamp()
        try updateSnapshot()
        try updateTargets("targets", delegatorKeys: root.keys, roleKeys: root.roles["targets"]!)
        refreshed = true
    }

    // MARK: Root

    private func updateRoot() throws(TUFClientError) {
        for _ in 0 ..< Self.maxRootRotations {
            let next = root.envelope.version + 1
            guard let bytes = try fetcher.fetch("\(metadataURL)/\(next).root.json", maxLength: Self.maxRootLength) else { break }
            let new = try TUFClientRoot(bytes: bytes)
            try root.verify(new.envelope, as: "root")
            try new.verify(new.envelope, as: "root")
            guard new.envelope.version == next else {
                throw .rollback(role: "root", version: new.envelope.version, expected: "\(next)")
            }
            root = new
            try persist("root", bytes)
        }
        try root.envelope.checkNotExpired(at: now)
    }

    // MARK: Timestamp

    private func updateTimestamp() throws(TUFClientError) {
        if let local = Self.read(file("timestamp")) {
            _ = try? acceptTimestamp(local)   // a local copy that no longer verifies is ignored
        }
        guard let bytes = try fetcher.fetch("\(metadataURL)/timestamp.json", maxLength: Self.maxTimestampLength) else {
            throw .fetchFailed(url: "\(metadataURL)/timestamp.json", reason: "not found")
        }
        if try acceptTimestamp(bytes) { try persist("timestamp", bytes) }
    }

    /// Returns false for a version equal to the trusted one (nothing new; the
    /// trusted one stays). An accepted timestamp is trusted before its expiry
    /// is checked, so that it still guards against rollback.
    private func acceptTimestamp(_ bytes: [UInt8]) throws(TUFClientError) -> Bool {
        let new = try TUFEnvelope(bytes: bytes, type: "timestamp", role: "timestamp")
        try root.verify(new, as: "timestamp")
        let meta = try snapshotMeta(of: new)
        if let old = timestamp {
            if new.version < old.version {
                throw .rollback(role: "timestamp", version: new.version, expected: "at least \(old.version)")
            }
            if new.version == old.version { return false }
            let oldMeta = try snapshotMeta(of: old)
            if meta.version < oldMeta.version {
                throw .rollback(role: "snapshot", version: meta.version, expected: "at least \(oldMeta.version) (timestamp)")
            }
        }
        timestamp = new
        try new.checkNotExpired(at: now)
        return true
    }

    private func snapshotMeta(of timestamp: TUFEnvelope) throws(TUFClientError) -> TUFMetaInfo {
        guard let meta = timestamp.signed["meta"]?["snapshot.json"] else {
            throw .badMetadata(role: "timestamp", reason: "no meta for snapshot.json")
        }
        return try TUFMetaInfo(json: meta, role: "timestamp")
    }

    // MARK: Snapshot

    private func updateSnapshot() throws(TUFClientError) {
        if let local = Self.read(file("snapshot")), (try? acceptSnapshot(local, fromDisk: true)) != nil { return }
        let meta = try snapshotMeta(of: timestamp!)
        let name = root.consistentSnapshot ? "\(meta.version).snapshot.json" : "snapshot.json"
        guard let bytes = try fetcher.fetch("\(metadataURL)/\(name)", maxLength: meta.length ?? Self.maxSnapshotLength) else {
            throw .fetchFailed(url: "\(metadataURL)/\(name)", reason: "not found")
        }
        try acceptSnapshot(bytes, fromDisk: false)
        try persist("snapshot", bytes)
    }

    /// A local copy was checked against the timestamp when it was stored: its
    /// hashes are not checked again (the timestamp may name a newer file).
    private func acceptSnapshot(_ bytes: [UInt8], fromDisk: Bool) throws(TUFClientError) {
        let meta = try snapshotMeta(of: timestamp!)
        try timestamp!.checkNotExpired(at: now)
        if !fromDisk { try tufCheckFile(bytes, length: meta.length, hashes: meta.hashes, file: "snapshot.json") }
        let new = try TUFEnvelope(bytes: bytes, type: "snapshot", role: "snapshot")
        try root.verify(new, as: "snapshot")
        guard let newMeta = new.signed["meta"]?.objectValue else { throw .badMetadata(role: "snapshot", reason: "no meta object") }
        if let old = snapshot, let oldMeta = old.signed["meta"]?.objectValue {
            for (name, value) in oldMeta {
                let before = try TUFMetaInfo(json: value, role: "snapshot")
                guard let entry = newMeta[name] else {
                    throw .rollback(role: "snapshot", version: new.version, expected: "to list \(name) as the trusted snapshot does")
                }
                let after = try TUFMetaInfo(json: entry, role: "snapshot")
                guard after.version >= before.version else {
                    throw .rollback(role: name, version: after.version, expected: "at least \(before.version) (snapshot)")
                }
            }
        }
        snapshot = new
        guard new.version == meta.version else {
            throw .rollback(role: "snapshot", version: new.version, expected: "\(meta.version) (timestamp)")
        }
        try new.checkNotExpired(at: now)
    }

    // MARK: Targets

    /// Loads `role` (the local copy if it still checks out, else from the
    /// repository), verified by the delegator's keys.
    @discardableResult
    private func updateTargets(_ role: String, delegatorKeys: [String: TUFClientKey], roleKeys: TUFRoleKeys)
        throws(TUFClientError) -> TUFClientTargets
    {
        if let loaded = targets[role] {
            // Loaded through another delegator: it must verify with this one's keys too.
            try roleKeys.verify(loaded.envelope, keys: delegatorKeys)
            return loaded
        }
        guard let snapshot else { throw .badMetadata(role: role, reason: "no trusted snapshot") }
        try snapshot.checkNotExpired(at: now)
        guard let entry = snapshot.signed["meta"]?["\(role).json"] else {
            throw .badMetadata(role: "snapshot", reason: "no meta for \(role).json")
        }
        let meta = try TUFMetaInfo(json: entry, role: "snapshot")
        func accept(_ bytes: [UInt8], fromDisk: Bool) throws(TUFClientError) -> TUFClientTargets {
            if !fromDisk { try tufCheckFile(bytes, length: meta.length, hashes: meta.hashes, file: "\(role).json") }
            let new = try TUFClientTargets(bytes: bytes, role: role)
            try roleKeys.verify(new.envelope, keys: delegatorKeys)
            guard new.envelope.version == meta.version else {
                throw .rollback(role: role, version: new.envelope.version, expected: "\(meta.version) (snapshot)")
            }
            try new.envelope.checkNotExpired(at: now)
            return new
        }
        if let local = Self.read(file(role)), let trusted = try? accept(local, fromDisk: true) {
            targets[role] = trusted
            return trusted
        }
        let quoted = Self.quote(role)
        let name = root.consistentSnapshot ? "\(meta.version).\(quoted).json" : "\(quoted).json"
        guard let bytes = try fetcher.fetch("\(metadataURL)/\(name)", maxLength: meta.length ?? Self.maxTargetsLength) else {
            throw .fetchFailed(url: "\(metadataURL)/\(name)", reason: "not found")
        }
        let new = try accept(bytes, fromDisk: false)
        try persist(role, bytes)
        targets[role] = new
        return new
    }

    /// The length and hashes the repository signs for `path`: a pre-order
    /// depth-first search of the delegations, as the specification orders it.
    public func targetInfo(_ path: String) throws(TUFClientError) -> (length: Int, hashes: [String: String])? {
        if !refreshed { try refresh() }
        var stack: [(role: String, keys: [String: TUFClientKey], roleKeys: TUFRoleKeys)] =
            [("targets", root.keys, root.roles["targets"]!)]
        var visited: Set<String> = []
        while let next = stack.popLast(), visited.count <= Self.maxDelegations {
            if visited.contains(next.role) { continue }
            let metadata = try updateTargets(next.role, delegatorKeys: next.keys, roleKeys: next.roleKeys)
            if let found = try metadata.target(path) { return found }
            visited.insert(next.role)
            var children: [(String, [String: TUFClientKey], TUFRoleKeys)] = []
            for delegated in metadata.delegations where delegated.covers(path) {
                children.append((delegated.name, metadata.delegationKeys, delegated.keys))
                if delegated.terminating {
                    stack.removeAll()
                    break
                }
            }
            stack.append(contentsOf: children.reversed())
        }
        return nil
    }

    /// Every target of every role that can be reached from the top-level
    /// targets (each role loaded and verified as for a lookup). A target listed
    /// by several roles is reported for the first one in search order, as a
    /// lookup would find it. With hashed bins this fetches every bin.
    public func allTargets() throws(TUFClientError) -> [TUFTargetEntry] {
        if !refreshed { try refresh() }
        var stack: [(role: String, keys: [String: TUFClientKey], roleKeys: TUFRoleKeys)] =
            [("targets", root.keys, root.roles["targets"]!)]
        var visited: Set<String> = [], seen: Set<String> = []
        var found: [TUFTargetEntry] = []
        while let next = stack.popLast() {
            if visited.contains(next.role) { continue }
            let metadata = try updateTargets(next.role, delegatorKeys: next.keys, roleKeys: next.roleKeys)
            visited.insert(next.role)
            for entry in try metadata.allTargets() where !seen.contains(entry.path) {
                seen.insert(entry.path)
                found.append(entry)
            }
            stack.append(contentsOf: metadata.delegations.reversed().map { ($0.name, metadata.delegationKeys, $0.keys) })
        }
        return found
    }

    /// The URL a target is fetched from: in a consistent-snapshot repository
    /// its file name carries the hash (`dir/HASH.name`).
    public func targetURL(_ path: String, hashes: [String: String], targetBaseURL: String) -> String {
        var remote = path
        if root.consistentSnapshot, let hash = hashes["sha256"] ?? hashes.sorted(by: { $0.key < $1.key }).first?.value {
            let slash = path.lastIndex(of: "/")
            let dir = slash.map { String(path[...$0]) } ?? ""
            let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
            remote = "\(dir)\(hash).\(base)"
        }
        return (targetBaseURL.hasSuffix("/") ? targetBaseURL : targetBaseURL + "/") + remote
    }

    /// Downloads `path` into `directory` (file name: the percent-encoded
    /// path) unless a file there already has the signed length and hashes.
    /// Returns the file's path.
    @discardableResult
    public func download(_ path: String, targetBaseURL: String, into directory: String) throws(TUFClientError) -> String {
        guard let info = try targetInfo(path) else { throw .targetNotFound(path: path) }
        let local = directory + "/" + Self.quote(path)
        if let cached = Self.read(local), (try? tufCheckFile(cached, length: info.length, hashes: info.hashes, file: path)) != nil {
            return local
        }
        let url = targetURL(path, hashes: info.hashes, targetBaseURL: targetBaseURL)
        guard let bytes = try fetcher.fetch(url, maxLength: info.length) else {
            throw .fetchFailed(url: url, reason: "not found")
        }
        try tufCheckFile(bytes, length: info.length, hashes: info.hashes, file: path)
        try Self.write(bytes, to: local)
        return local
    }

    // MARK: Files

    private func file(_ role: String) -> String { metadataDirectory + "/" + Self.quote(role) + ".json" }

    private func persist(_ role: String, _ bytes: [UInt8]) throws(TUFClientError) {
        try Self.write(bytes, to: file(role))
    }

    /// Percent-encodes everything but letters, digits and `-._~`, so that a
    /// role name or target path is one safe file name (and one URL segment).
    public static func quote(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"),
                 UInt8(ascii: "0") ... UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    /// Writes through a temporary file and a rename: a reader sees the old file or the new one.
    public static func write(_ bytes: [UInt8], to path: String) throws(TUFClientError) {
        let temporary = path + ".tmp-\(getpid())"
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                throw TUFClientError.storage(path: path, reason: String(cString: strerror(errno)))
            }
        } catch let error as TUFClientError {
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .storage(path: path, reason: error.localizedDescription)
        }
    }
}
