import AdapterFormat
import AdapterLoader
import Foundation

/// A directory of TUF metadata and bundles that any TUF 1.0 client can read: what the
/// `adapterpack repo` commands do.
///
/// Every command checks everything first (keys, bundles, sequences) and only then writes,
/// in an order that keeps the repository loadable after a crash at any point: bundles and
/// versioned metadata first (new names, not yet referred to), `timestamp.json` last. Each
/// write is atomic (`FileIOWriter`), so clients and `RepositoryState.load` see either the
/// old consistent state or the new one.
public enum TUFRepository {
    /// Creates a repository: root version 1 (signed by `rootKeys`, listing them and
    /// `rootPublicKeys`), empty targets, snapshot and timestamp version 1.
    @discardableResult
    public static func create(at directory: String, rootKeys: [RoleSigningKey], rootPublicKeys: [(path: String, key: VerifyingKey)] = [],
                              rootThreshold: Int, targetsKey: RoleSigningKey, snapshotKey: RoleSigningKey,
                              timestampKey: RoleSigningKey, bins: Int = 0, expiry: RepositoryExpiry = RepositoryExpiry(),
                              now: Date = Date(), writer: RepositoryWriter = FileIOWriter()) throws(RepositoryError) -> RepositoryState
    {
        let layout = RepositoryLayout(directory)
        if RepositoryIO.exists(layout.timestamp) { throw .alreadyARepository(path: directory) }
        guard bins == 0 || HashedBins.isValidCount(bins) else {
            throw .badArgument("--bins \(bins): use 0 (no delegation) or a power of two from 2 to 4096")
        }
        var rootTUF: [TUFKey] = rootKeys.map(\.tufKey)
        for (path, key) in rootPublicKeys { rootTUF.append(try TUFKey(key, path: path)) }
        var rootIDs: [String] = []
        for key in rootTUF where !rootIDs.contains(key.keyID) { rootIDs.append(key.keyID) }
        guard rootThreshold >= 1 else { throw .badArgument("--root-threshold must be at least 1, got \(rootThreshold)") }
        guard rootThreshold <= rootIDs.count else {
            throw .badArgument("--root-threshold \(rootThreshold) is more than the \(rootIDs.count) distinct root key(s) given")
        }
        let signingIDs = Set(rootKeys.map(\.tufKey.keyID))
        guard signingIDs.count >= rootThreshold else {
            throw .belowThreshold(role: "root", given: signingIDs.count, threshold: rootThreshold)
        }
        let now = TUFTime.whole(now)
        var keys: [String: TUFKey] = [:]
        for key in rootTUF + [targetsKey.tufKey, snapshotKey.tufKey, timestampKey.tufKey] { keys[key.keyID] = key }
        let roles: [String: RoleKeys] = [
            "root": RoleKeys(keyids: rootIDs, threshold: rootThreshold),
            "targets": RoleKeys(keyids: [targetsKey.tufKey.keyID], threshold: 1),
            "snapshot": RoleKeys(keyids: [snapshotKey.tufKey.keyID], threshold: 1),
            "timestamp": RoleKeys(keyids: [timestampKey.tufKey.keyID], threshold: 1),
        ]
        var root = Signed(Root(version: 1, expires: now + expiry.root, keys: keys, roles: roles))
        try root.sign(with: rootKeys.map(\.key))
        // Hashed bins are signed with the targets key.
        let binRoles = bins == 0 ? [] : HashedBins.roles(count: bins, keyid: targetsKey.tufKey.keyID)
        let delegations = bins == 0 ? nil : Delegations(keys: [targetsKey.tufKey.keyID: targetsKey.tufKey], roles: binRoles)
        var targets = Signed(Targets(version: 1, expires: now + expiry.targets, targets: [:], delegations: delegations))
        try targets.sign(with: [targetsKey.key])
        let targetsBytes = targets.fileBytes
        var binFiles: [String: Signed<Targets>] = [:]
        var meta = ["targets.json": MetaFile(version: 1)]
        for role in binRoles {
            var bin = Signed(Targets(version: 1, expires: now + expiry.targets, targets: [:]))
            try bin.sign(with: [targetsKey.key])
            binFiles[role.name] = bin
            meta["\(role.name).json"] = MetaFile(version: 1)
        }
        var snapshot = Signed(Snapshot(version: 1, expires: now + expiry.snapshot, meta: meta))
        try snapshot.sign(with: [snapshotKey.key])
        let snapshotBytes = snapshot.fileBytes
        var timestamp = Signed(Timestamp(version: 1, expires: now + expiry.timestamp,
                                         snapshot: MetaFile(version: 1, bytes: snapshotBytes)))
        try timestamp.sign(with: [timestampKey.key])

        try RepositoryIO.makeDirectory(layout.metadata)
        try RepositoryIO.makeDirectory(layout.targets)
        let lock = try RepositoryLock(directory)
        defer { withExtendedLifetime(lock) {} }
        if RepositoryIO.exists(layout.timestamp) { throw .alreadyARepository(path: directory) }
        try writer.write(root.fileBytes, to: layout.versioned(1, "root"))
        try writer.write(root.fileBytes, to: layout.metadata("root.json"))
        for role in binRoles { try writer.write(binFiles[role.name]!.fileBytes, to: layout.versioned(1, role.name)) }
        try writer.write(targetsBytes, to: layout.versioned(1, "targets"))
        try writer.write(snapshotBytes, to: layout.versioned(1, "snapshot"))
        try writer.write(timestamp.fileBytes, to: layout.timestamp)
        return RepositoryState(root: root, timestamp: timestamp, snapshot: snapshot, targets: targets, bins: binFiles)
    }

    /// A bundle to publish: its file name (the target path's last part) and bytes.
    public struct BundleInput: Sendable {
        public var path: String
        public var bytes: [UInt8]
        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// What `publish` added.
    public struct Published: Sendable {
        public var targetPath: String
        public var file: String
        public var info: BundleTargetInfo
        public var length: Int
        public var sha256: String
    }

    /// Adds verified bundles as targets and re-signs targets, snapshot and timestamp.
    /// Refuses (writing nothing) a bundle that does not verify with `trusted`, whose
    /// sequence is not above every bundle the repository holds for the same base and
    /// cohort, or whose target path names a different bundle already.
    @discardableResult
    public static func publish(_ bundles: [BundleInput], to directory: String, cohort: String? = nil, deviceClass: String? = nil,
                               trusted: TrustedKeys, targetsKey: RoleSigningKey, snapshotKey: RoleSigningKey,
                               timestampKey: RoleSigningKey, expiry: RepositoryExpiry = RepositoryExpiry(), now: Date = Date(),
                               writer: RepositoryWriter = FileIOWriter()) throws(RepositoryError) -> [Published]
    {
        for (what, name) in [("cohort", cohort), ("device class", deviceClass)] {
            if let name, !BundleTargetInfo.isPlainName(name) { throw .badName(what: what, name: name) }
        }
        guard !bundles.isEmpty else { throw .badArgument("no bundles to publish") }
        let layout = RepositoryLayout(directory)
        _ = try RepositoryState.load(directory)  // "not a repository" before the lock file is made
        let lock = try RepositoryLock(directory)
        defer { withExtendedLifetime(lock) {} }
        var state = try RepositoryState.load(directory)
        try checkRoleKeys([targetsKey], role: "targets", root: state.root.signed)
        try checkRoleKeys([snapshotKey], role: "snapshot", root: state.root.signed)
        try checkRoleKeys([timestampKey], role: "timestamp", root: state.root.signed)

        var published: [Published] = []
        var targetMap = state.allTargets
        var lines = SequenceLines(targetMap)
        var changes: [String: TargetFile?] = [:]
        for bundle in bundles {
            let p = try checkedTarget(bundle, cohort: cohort, deviceClass: deviceClass, trusted: trusted, lines: lines,
                                      held: targetMap, layout: layout)
            let entry = TargetFile(length: Int64(p.length), sha256: p.sha256, custom: p.info.json)
            targetMap[p.targetPath] = entry
            changes[p.targetPath] = entry
            lines.note(p.info, at: p.targetPath)
            published.append(p)
        }

        let files = zip(published, bundles).map { ($0.file, $1.bytes) }
        try commit(changes, to: &state, layout: layout, files: files, targetsKey: targetsKey, snapshotKey: snapshotKey,
                   timestampKey: timestampKey, expiry: expiry, now: now, writer: writer)
        return published
    }

    /// Verifies one bundle for publishing under `cohort` and returns what it becomes:
    /// refuses a file name that is not plain, a bundle the trusted keys do not verify, a
    /// sequence not above its line, or a target path that names a different bundle.
    static func checkedTarget(_ bundle: BundleInput, cohort: String?, deviceClass: String?, trusted: TrustedKeys,
                              lines: SequenceLines, held: [String: TargetFile], layout: RepositoryLayout)
        throws(RepositoryError) -> Published
    {
        let targetPath = try targetPath(for: bundle.path, cohort: cohort)
        let h: BundleSummary
        do throws(LoaderError) {
            h = try HostLoader.verify(bundle: bundle.bytes, keys: trusted)
        } catch {
            throw .bundleDoesNotVerify(path: bundle.path, reason: "\(error)")
        }
        guard h.sequence <= UInt64(Int64.max) else {
            throw .badArgument("\(bundle.path): sequence \(h.sequence) does not fit TUF's integers")
        }
        let info = BundleTargetInfo(baseSHA256: h.baseSHA256.hex, targetSHA256: h.targetSHA256.hex, sequence: h.sequence,
                                    windowSize: h.windowSize, formatVersion: "\(h.major).\(h.minor)",
                                    cohort: cohort, deviceClass: deviceClass)
        try lines.check(info, bundle: bundle.path)
        let digest = hexString(sha256(bundle.bytes).bytes)
        if let existing = held[targetPath], existing.sha256 != digest {
            throw .targetPathTaken(path: targetPath, existingSHA256: existing.sha256)
        }
        return Published(targetPath: targetPath, file: layout.targetFile(path: targetPath, sha256: digest),
                         info: info, length: bundle.bytes.count, sha256: digest)
    }

    /// `[COHORT/]NAME` for a bundle file `…/NAME`; refuses a name that is not plain.
    public static func targetPath(for file: String, cohort: String?) throws(RepositoryError) -> String {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        guard BundleTargetInfo.isPlainName(name) else { throw .badName(what: "bundle file name", name: name) }
        return cohort.map { "\($0)/\(name)" } ?? name
    }

    /// Applies `changes` (target path → new entry, or nil to remove), bumps and re-signs the
    /// targets metadata that holds them (targets.json, or the bins they hash to), snapshot
    /// and timestamp, and writes `files` (bundles), the versioned metadata, then timestamp.json.
    static func commit(_ changes: [String: TargetFile?], to state: inout RepositoryState, layout: RepositoryLayout,
                       files: [(String, [UInt8])], targetsKey: RoleSigningKey, snapshotKey: RoleSigningKey,
                       timestampKey: RoleSigningKey, expiry: RepositoryExpiry, now: Date, writer: RepositoryWriter)
        throws(RepositoryError)
    {
        let now = TUFTime.whole(now)
        var changedRoles: [String] = []  // "targets" or bin names, in a stable order
        for path in changes.keys.sorted() {
            let role = state.bin(for: path) ?? "targets"
            if role == "targets" {
                state.targets.signed.targets[path] = changes[path]!
            } else {
                state.bins[role]!.signed.targets[path] = changes[path]!
            }
            if !changedRoles.contains(role) { changedRoles.append(role) }
        }
        // Targets metadata no change touches still expires (with bins, targets.json and
        // most bins are not touched by a publish): re-sign any that has less than half of
        // the targets period left, so regular publishes keep every file valid.
        let staleBefore = now + expiry.targets / 2
        if state.targets.signed.expires < staleBefore, !changedRoles.contains("targets") { changedRoles.append("targets") }
        for name in state.bins.keys.sorted() where state.bins[name]!.signed.expires < staleBefore && !changedRoles.contains(name) {
            changedRoles.append(name)
        }
        var metadataFiles: [(String, [UInt8])] = []
        for role in changedRoles {
            var signed = role == "targets" ? state.targets : state.bins[role]!
            signed.signed.version += 1
            signed.signed.expires = now + expiry.targets
            try signed.sign(with: [targetsKey.key])
            metadataFiles.append((layout.versioned(signed.signed.version, role), signed.fileBytes))
            state.snapshot.signed.meta["\(role).json"] = MetaFile(version: signed.signed.version)
            if role == "targets" { state.targets = signed } else { state.bins[role] = signed }
        }
        try release(&state, layout: layout, metadataFiles: metadataFiles, files: files, snapshotKey: snapshotKey, timestampKey: timestampKey,
                    expiry: expiry, now: now, writer: writer)
    }

    /// The end of every change: a new snapshot naming `state`'s targets metadata (whose
    /// new versions `metadataFiles` hold) and a new timestamp; writes `files` (bundles),
    /// `metadataFiles`, the snapshot, then timestamp.json, which makes it all current.
    static func release(_ state: inout RepositoryState, layout: RepositoryLayout, metadataFiles: [(String, [UInt8])], files: [(String, [UInt8])],
                        snapshotKey: RoleSigningKey, timestampKey: RoleSigningKey, expiry: RepositoryExpiry, now: Date,
                        writer: RepositoryWriter) throws(RepositoryError)
    {
        let now = TUFTime.whole(now)
        state.snapshot.signed.version += 1
        state.snapshot.signed.expires = now + expiry.snapshot
        try state.snapshot.sign(with: [snapshotKey.key])
        let snapshotBytes = state.snapshot.fileBytes
        state.timestamp.signed.version += 1
        state.timestamp.signed.expires = now + expiry.timestamp
        state.timestamp.signed.snapshot = MetaFile(version: state.snapshot.signed.version, bytes: snapshotBytes)
        try state.timestamp.sign(with: [timestampKey.key])

        // Bundles (content-addressed names), then the versioned metadata, then timestamp.json.
        for (path, bytes) in files {
            if let slash = path.lastIndex(of: "/") { try RepositoryIO.makeDirectory(String(path[..<slash])) }
            try writer.write(bytes, to: path)
        }
        for (path, bytes) in metadataFiles { try writer.write(bytes, to: path) }
        try writer.write(snapshotBytes, to: layout.versioned(state.snapshot.signed.version, "snapshot"))
        try writer.write(state.timestamp.fileBytes, to: layout.timestamp)
    }

    /// Re-signs timestamp.json with a new version and expiry, naming the current snapshot.
    /// With `snapshotKey`, the snapshot is re-signed first too (new version and expiry, same
    /// meta), so a repository without publishes keeps a valid snapshot beyond its 7 days.
    @discardableResult
    public static func refreshTimestamp(_ directory: String, timestampKey: RoleSigningKey, snapshotKey: RoleSigningKey? = nil,
                                        expiry: RepositoryExpiry = RepositoryExpiry(), now: Date = Date(),
                                        writer: RepositoryWriter = FileIOWriter()) throws(RepositoryError) -> Signed<Timestamp>
    {
        let layout = RepositoryLayout(directory)
        _ = try RepositoryState.load(directory)
        let lock = try RepositoryLock(directory)
        defer { withExtendedLifetime(lock) {} }
        var state = try RepositoryState.load(directory)
        try checkRoleKeys([timestampKey], role: "timestamp", root: state.root.signed)
        if let snapshotKey { try checkRoleKeys([snapshotKey], role: "snapshot", root: state.root.signed) }
        let now = TUFTime.whole(now)
        if let snapshotKey {
            state.snapshot.signed.version += 1
            state.snapshot.signed.expires = now + expiry.snapshot
            try state.snapshot.sign(with: [snapshotKey.key])
            let bytes = state.snapshot.fileBytes
            state.timestamp.signed.snapshot = MetaFile(version: state.snapshot.signed.version, bytes: bytes)
            try writer.write(bytes, to: layout.versioned(state.snapshot.signed.version, "snapshot"))
        }
        state.timestamp.signed.version += 1
        state.timestamp.signed.expires = now + expiry.timestamp
        try state.timestamp.sign(with: [timestampKey.key])
        try writer.write(state.timestamp.fileBytes, to: layout.timestamp)
        return state.timestamp
    }

    /// Roles whose metadata expires before `date` ("snapshot", "bins-3", …), soonest first.
    public static func expiringBefore(_ date: Date, _ state: RepositoryState) -> [(role: String, expires: Date)] {
        var all: [(String, Date)] = [("root", state.root.signed.expires), ("targets", state.targets.signed.expires),
                                     ("snapshot", state.snapshot.signed.expires), ("timestamp", state.timestamp.signed.expires)]
        for (name, bin) in state.bins { all.append((name, bin.signed.expires)) }
        return all.filter { $0.1 < date }.sorted { $0.1 < $1.1 }.map { (role: $0.0, expires: $0.1) }
    }

    /// Throws unless every key is one of `role`'s and together they reach its threshold.
    static func checkRoleKeys(_ keys: [RoleSigningKey], role: String, root: Root) throws(RepositoryError) {
        let expected = root.role(role)
        var ids = Set<String>()
        for key in keys {
            let id = key.tufKey.keyID
            guard expected.keyids.contains(id) else {
                throw .wrongKey(role: role, path: key.path, keyID: id, expected: expected.keyids)
            }
            ids.insert(id)
        }
        guard ids.count >= expected.threshold else {
            throw .belowThreshold(role: role, given: ids.count, threshold: expected.threshold)
        }
    }
}
