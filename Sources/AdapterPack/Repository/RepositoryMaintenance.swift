import Foundation

extension TUFRepository {
    /// Replaces the root role's keys (and threshold): writes root version N+1, signed by
    /// a threshold of the current root keys and a threshold of the new ones, then the
    /// `root.json` copy. Clients walk N.root.json → N+1.root.json and trust the new keys.
    /// The other roles' keys are unchanged.
    @discardableResult
    public static func rotateRoot(_ directory: String, currentRootKeys: [RoleSigningKey], newRootKeys: [RoleSigningKey],
                                  newRootPublicKeys: [(path: String, key: VerifyingKey)] = [], threshold: Int,
                                  expiry: RepositoryExpiry = RepositoryExpiry(), now: Date = Date(),
                                  writer: RepositoryWriter = FileIOWriter()) throws(RepositoryError) -> Signed<Root>
    {
        let layout = RepositoryLayout(directory)
        _ = try RepositoryState.load(directory)
        let lock = try RepositoryLock(directory)
        defer { withExtendedLifetime(lock) {} }
        let state = try RepositoryState.load(directory)
        let old = state.root.signed
        try checkRoleKeys(currentRootKeys, role: "root", root: old)

        var listed: [TUFKey] = newRootKeys.map(\.tufKey)
        for (path, key) in newRootPublicKeys { listed.append(try TUFKey(key, path: path)) }
        var ids: [String] = []
        for key in listed where !ids.contains(key.keyID) { ids.append(key.keyID) }
        guard threshold >= 1, threshold <= ids.count else {
            throw .badArgument("--root-threshold \(threshold) must be between 1 and the \(ids.count) distinct new root key(s)")
        }
        let signingNew = Set(newRootKeys.map(\.tufKey.keyID))
        guard signingNew.count >= threshold else {
            throw .belowThreshold(role: "root (new keys)", given: signingNew.count, threshold: threshold)
        }

        var root = state.root
        root.signed.version += 1
        root.signed.expires = TUFTime.whole(now) + expiry.root
        for id in old.role("root").keyids where !Root.roleNames.dropFirst().contains(where: { old.role($0).keyids.contains(id) }) {
            root.signed.keys[id] = nil  // keys no other role uses go with the old root role
        }
        for key in listed { root.signed.keys[key.keyID] = key }
        root.signed.roles["root"] = RoleKeys(keyids: ids, threshold: threshold)
        var signers: [SigningKey] = []
        var seen = Set<String>()
        for k in currentRootKeys + newRootKeys where seen.insert(k.tufKey.keyID).inserted { signers.append(k.key) }
        try root.sign(with: signers)
        try writer.write(root.fileBytes, to: layout.versioned(root.signed.version, "root"))
        try writer.write(root.fileBytes, to: layout.metadata("root.json"))
        return root
    }

    /// Removes targets (by target path) and re-signs targets, snapshot and timestamp.
    /// The bundle files stay: older snapshots still name them (consistent snapshots).
    @discardableResult
    public static func revoke(_ targetPaths: [String], in directory: String, targetsKey: RoleSigningKey, snapshotKey: RoleSigningKey,
                              timestampKey: RoleSigningKey, expiry: RepositoryExpiry = RepositoryExpiry(), now: Date = Date(),
                              writer: RepositoryWriter = FileIOWriter()) throws(RepositoryError) -> [String]
    {
        guard !targetPaths.isEmpty else { throw .badArgument("no target paths to revoke") }
        let layout = RepositoryLayout(directory)
        _ = try RepositoryState.load(directory)
        let lock = try RepositoryLock(directory)
        defer { withExtendedLifetime(lock) {} }
        var state = try RepositoryState.load(directory)
        try checkRoleKeys([targetsKey], role: "targets", root: state.root.signed)
        try checkRoleKeys([snapshotKey], role: "snapshot", root: state.root.signed)
        try checkRoleKeys([timestampKey], role: "timestamp", root: state.root.signed)
        let targetMap = state.allTargets
        var changes: [String: TargetFile?] = [:]
        for path in targetPaths {
            changes[path] = .some(nil)
            guard targetMap[path] != nil else {
                throw .badArgument("target \(path) is not in the repository (`adapterpack repo status \(directory)` lists them)")
            }
        }
        try commit(changes, to: &state, layout: layout, files: [], targetsKey: targetsKey, snapshotKey: snapshotKey,
                   timestampKey: timestampKey, expiry: expiry, now: now, writer: writer)
        return targetPaths
    }
}

extension TUFRepository {
    /// Replaces the key of the targets, snapshot or timestamp role.
    ///
    /// The metadata of that role (and what refers to it: snapshot, timestamp; with bins,
    /// every bin, whose delegation moves to the new targets key) is re-signed first, with a
    /// new version, signed by both the old and the new key so it is valid under the current
    /// root and the next; then root version N+1 naming the new key is written, then the
    /// root.json copy. A crash leaves a repository that loads, before or after the rotation.
    /// `keys` are the current keys of the three roles (the rotated role's is the old key).
    @discardableResult
    public static func rotateRole(_ role: String, in directory: String, rootKeys: [RoleSigningKey], newKey: RoleSigningKey,
                                  targetsKey: RoleSigningKey, snapshotKey: RoleSigningKey, timestampKey: RoleSigningKey,
                                  expiry: RepositoryExpiry = RepositoryExpiry(), now: Date = Date(),
                                  writer: RepositoryWriter = FileIOWriter()) throws(RepositoryError) -> Signed<Root>
    {
        guard ["targets", "snapshot", "timestamp"].contains(role) else {
            throw .badArgument("--role \(role): use root, targets, snapshot or timestamp")
        }
        let layout = RepositoryLayout(directory)
        _ = try RepositoryState.load(directory)
        let lock = try RepositoryLock(directory)
        defer { withExtendedLifetime(lock) {} }
        var state = try RepositoryState.load(directory)
        try checkRoleKeys(rootKeys, role: "root", root: state.root.signed)
        try checkRoleKeys([targetsKey], role: "targets", root: state.root.signed)
        try checkRoleKeys([snapshotKey], role: "snapshot", root: state.root.signed)
        try checkRoleKeys([timestampKey], role: "timestamp", root: state.root.signed)
        let oldKey = role == "targets" ? targetsKey : role == "snapshot" ? snapshotKey : timestampKey
        let newID = newKey.tufKey.keyID
        guard newID != oldKey.tufKey.keyID else { throw .badArgument("\(newKey.path) is already the \(role) role's key") }
        let now = TUFTime.whole(now)
        var files: [(String, [UInt8])] = []

        if role == "targets" {
            if var delegations = state.targets.signed.delegations {
                delegations.keys = [newID: newKey.tufKey]
                for i in delegations.roles.indices { delegations.roles[i].keys = RoleKeys(keyids: [newID], threshold: 1) }
                state.targets.signed.delegations = delegations
                for name in state.bins.keys.sorted() {
                    var bin = state.bins[name]!
                    bin.signed.version += 1
                    bin.signed.expires = now + expiry.targets
                    try bin.sign(with: [newKey.key])
                    files.append((layout.versioned(bin.signed.version, name), bin.fileBytes))
                    state.snapshot.signed.meta["\(name).json"] = MetaFile(version: bin.signed.version)
                    state.bins[name] = bin
                }
            }
            state.targets.signed.version += 1
            state.targets.signed.expires = now + expiry.targets
            try state.targets.sign(with: [targetsKey.key, newKey.key])
            files.append((layout.versioned(state.targets.signed.version, "targets"), state.targets.fileBytes))
            state.snapshot.signed.meta["targets.json"] = MetaFile(version: state.targets.signed.version)
        }
        state.snapshot.signed.version += 1
        state.snapshot.signed.expires = now + expiry.snapshot
        try state.snapshot.sign(with: role == "snapshot" ? [snapshotKey.key, newKey.key] : [snapshotKey.key])
        let snapshotBytes = state.snapshot.fileBytes
        files.append((layout.versioned(state.snapshot.signed.version, "snapshot"), snapshotBytes))
        state.timestamp.signed.version += 1
        state.timestamp.signed.expires = now + expiry.timestamp
        state.timestamp.signed.snapshot = MetaFile(version: state.snapshot.signed.version, bytes: snapshotBytes)
        try state.timestamp.sign(with: role == "timestamp" ? [timestampKey.key, newKey.key] : [timestampKey.key])

        var root = state.root
        root.signed.version += 1
        root.signed.expires = now + expiry.root
        let oldID = oldKey.tufKey.keyID
        root.signed.roles[role] = RoleKeys(keyids: [newID], threshold: 1)
        if !root.signed.roles.values.contains(where: { $0.keyids.contains(oldID) }) { root.signed.keys[oldID] = nil }
        root.signed.keys[newID] = newKey.tufKey
        try root.sign(with: rootKeys.map(\.key))

        for (path, bytes) in files { try writer.write(bytes, to: path) }
        try writer.write(state.timestamp.fileBytes, to: layout.timestamp)
        try writer.write(root.fileBytes, to: layout.versioned(root.signed.version, "root"))
        try writer.write(root.fileBytes, to: layout.metadata("root.json"))
        return root
    }
}
