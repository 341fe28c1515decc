import Foundation

/// Publishing into hashed bins by many workers at once. Each worker (`repo stage --part
/// I/N`, one per machine or core) verifies the bundles whose target paths hash into its
/// part of the bins, writes them to `targets/` and signs the next version of each of its
/// bins into `.staging/`; nothing a client reads changes. One merge step (`repo merge`)
/// checks every staged bin, and the sequence rule across all of them, and makes them
/// current with one new snapshot and timestamp.
///
/// Workers take the repository lock shared and their part's lock exclusive, so workers
/// of different parts run together, two of one part do not, and no publish, revoke or
/// merge runs while any worker does (flock; it works across machines on NFS).
public enum BinStaging {
    /// Part `index` of `count` equal parts of a repository's bins, in bin order.
    public struct Part: Sendable, Equatable, CustomStringConvertible {
        public let index: Int
        public let count: Int

        public init(index: Int, count: Int) throws(RepositoryError) {
            guard count >= 1, index >= 0, index < count else {
                throw .badArgument("--part \(index)/\(count): expected I/N with 0 ≤ I < N (for example 3/8)")
            }
            self.index = index
            self.count = count
        }

        /// "I/N", as `--part` takes it.
        public init(parsing text: String) throws(RepositoryError) {
            let fields = text.split(separator: "/", omittingEmptySubsequences: false)
            guard fields.count == 2, let i = Int(fields[0]), let n = Int(fields[1]) else {
                throw .badArgument("--part \(text): expected I/N, the worker's index and the number of workers (for example 3/8)")
            }
            try self.init(index: i, count: n)
        }

        public var description: String { "\(index)/\(count)" }

        /// This part's bins; parts of one N cover every bin exactly once.
        public func roles(of delegations: Delegations) -> ArraySlice<DelegatedRole> {
            let n = delegations.roles.count
            return delegations.roles[index * n / count ..< (index + 1) * n / count]
        }
    }

    /// What one worker staged.
    public struct Staged: Sendable {
        public var published: [TUFRepository.Published]
        /// The staged bins, each at the version the merge will make current.
        public var bins: [(name: String, version: Int64)]
    }

    /// The bins a repository delegates to, or a clear refusal for one without.
    static func delegations(_ state: RepositoryState, _ directory: String) throws(RepositoryError) -> Delegations {
        guard let delegations = state.targets.signed.delegations, !delegations.roles.isEmpty else {
            throw .badArgument("\(directory) has no hashed bins (create it with `repo init --bins N`); use `repo publish`")
        }
        return delegations
    }

    /// `part`'s bins in the repository; refuses a repository without bins and a part
    /// with none (more parts than bins).
    public static func bins(of part: Part, in state: RepositoryState, directory: String) throws(RepositoryError)
        -> ArraySlice<DelegatedRole>
    {
        let delegations = try delegations(state, directory)
        let roles = part.roles(of: delegations)
        guard !roles.isEmpty else {
            throw .badArgument("--part \(part): the repository has \(delegations.roles.count) bins, fewer than \(part.count) parts")
        }
        return roles
    }

    /// True if `targetPath` hashes into one of `part`'s bins (workers skip the rest
    /// without reading them).
    public static func owns(_ targetPath: String, part: Part, state: RepositoryState) -> Bool {
        guard let delegations = state.targets.signed.delegations,
              let index = delegations.roleIndex(for: targetPath, lookup: state.binLookup) else { return false }
        return part.roles(of: delegations).indices.contains(index)
    }

    /// Verifies `bundles` (all in `part`'s bins), writes them to targets/ and signs the
    /// next version of each bin they go to into `.staging/`, on top of what an earlier,
    /// unmerged stage of the same bin left there. Refuses, writing nothing, what
    /// `repo publish` refuses, a bundle of another part, and a targets key that is not
    /// the bins' key.
    @discardableResult
    public static func stage(_ bundles: [TUFRepository.BundleInput], to directory: String, part: Part, cohort: String? = nil,
                             deviceClass: String? = nil, trusted: TrustedKeys, targetsKey: RoleSigningKey,
                             expiry: RepositoryExpiry = RepositoryExpiry(), now: Date = Date(),
                             writer: RepositoryWriter = FileIOWriter()) throws(RepositoryError) -> Staged
    {
        for (what, name) in [("cohort", cohort), ("device class", deviceClass)] {
            if let name, !BundleTargetInfo.isPlainName(name) { throw .badName(what: what, name: name) }
        }
        guard !bundles.isEmpty else { throw .badArgument("no bundles to stage") }
        let layout = RepositoryLayout(directory)
        _ = try RepositoryState.load(directory)
        let lock = try RepositoryLock(directory, shared: true)
        defer { withExtendedLifetime(lock) {} }
        let state = try RepositoryState.load(directory)
        let delegations = try delegations(state, directory)
        let roles = try bins(of: part, in: state, directory: directory)
        let first = roles.first!, last = roles.last!
        try RepositoryIO.makeDirectory(layout.staging)
        let partLock = try RepositoryLock(file: layout.staging + "/.part-\(first.name)-\(last.name).lock")
        defer { withExtendedLifetime(partLock) {} }
        let keyID = targetsKey.tufKey.keyID
        for role in roles where !role.keys.keyids.contains(keyID) {
            throw .wrongKey(role: role.name, path: targetsKey.path, keyID: keyID, expected: role.keys.keyids)
        }

        // Each bin as the merge will see it: an earlier unmerged stage, or the current one.
        var working: [String: Signed<Targets>] = [:]
        for role in roles {
            let committed = state.bins[role.name]!
            working[role.name] = committed
            let file = layout.staged(role.name)
            guard RepositoryIO.exists(file) else { continue }
            let staged = try Signed<Targets>(fileBytes: RepositoryIO.read(file), file: file)
            try staged.checkSignatures(by: role.keys, keys: delegations.keys, file: file)
            // An older version was merged already (or overtaken by a publish): start again.
            if staged.signed.version == committed.signed.version + 1 { working[role.name] = staged }
        }
        var all = state.allTargets
        for role in roles { all.merge(working[role.name]!.signed.targets) { _, staged in staged } }
        var lines = SequenceLines(all)

        var published: [TUFRepository.Published] = []
        var touched: [String] = []
        for bundle in bundles {
            let targetPath = try TUFRepository.targetPath(for: bundle.path, cohort: cohort)
            let bin = state.bin(for: targetPath) ?? "targets"
            guard working[bin] != nil else {
                throw .outsidePart(path: bundle.path, targetPath: targetPath, bin: bin, part: part.description,
                                   first: first.name, last: last.name)
            }
            // The sequence rule is checked below, over the batch in sequence order.
            let p = try TUFRepository.checkedTarget(bundle, cohort: cohort, deviceClass: deviceClass, trusted: trusted,
                                                    lines: SequenceLines([:]), held: all, layout: layout)
            let entry = TargetFile(length: Int64(p.length), sha256: p.sha256, custom: p.info.json)
            working[bin]!.signed.targets[p.targetPath] = entry
            all[p.targetPath] = entry
            published.append(p)
            if !touched.contains(bin) { touched.append(bin) }
        }
        // A batch is a set, not a sequence of publishes: its sequences on each line must
        // be distinct and above what is held, in any order (as `merge` checks across bins).
        for (p, bundle) in zip(published, bundles).sorted(by: { ($0.0.info.sequence, $0.0.targetPath) < ($1.0.info.sequence, $1.0.targetPath) }) {
            try lines.check(p.info, bundle: bundle.path)
            lines.note(p.info, at: p.targetPath)
        }

        let whole = TUFTime.whole(now)
        var stagedFiles: [(String, [UInt8])] = []
        var stagedBins: [(name: String, version: Int64)] = []
        for name in touched.sorted() {
            var bin = working[name]!
            bin.signed.version = state.bins[name]!.signed.version + 1
            bin.signed.expires = whole + expiry.targets
            try bin.sign(with: [targetsKey.key])
            stagedFiles.append((layout.staged(name), bin.fileBytes))
            stagedBins.append((name, bin.signed.version))
        }
        // Bundles first: a staged bin never names a bundle file that is not there.
        for (p, bundle) in zip(published, bundles) {
            if let slash = p.file.lastIndex(of: "/") { try RepositoryIO.makeDirectory(String(p.file[..<slash])) }
            try writer.write(bundle.bytes, to: p.file)
        }
        for (path, bytes) in stagedFiles { try writer.write(bytes, to: path) }
        return Staged(published: published, bins: stagedBins)
    }

    /// Makes every staged bin current: checks each (a bin targets.json delegates to,
    /// signed by the bin's keys, the next version of the current one, only paths it is
    /// trusted for, every bundle file present) and the sequence rule across all of them,
    /// then writes the bins' versioned files, a new snapshot and timestamp.json, and
    /// removes the staged files. Returns the bins made current; refuses, writing nothing,
    /// if any staged bin fails a check.
    @discardableResult
    public static func merge(_ directory: String, snapshotKey: RoleSigningKey, timestampKey: RoleSigningKey,
                             expiry: RepositoryExpiry = RepositoryExpiry(), now: Date = Date(),
                             writer: RepositoryWriter = FileIOWriter()) throws(RepositoryError) -> [(name: String, version: Int64)]
    {
        let layout = RepositoryLayout(directory)
        _ = try RepositoryState.load(directory)
        let lock = try RepositoryLock(directory)
        defer { withExtendedLifetime(lock) {} }
        var state = try RepositoryState.load(directory)
        let delegations = try delegations(state, directory)
        try TUFRepository.checkRoleKeys([snapshotKey], role: "snapshot", root: state.root.signed)
        try TUFRepository.checkRoleKeys([timestampKey], role: "timestamp", root: state.root.signed)

        let names = ((try? FileManager.default.contentsOfDirectory(atPath: layout.staging)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
        var lines = SequenceLines(state.allTargets)
        var merged: [(name: String, version: Int64)] = []
        var metadataFiles: [(String, [UInt8])] = []
        var added: [(path: String, info: BundleTargetInfo, file: String)] = []
        var leftovers: [String] = []
        for fileName in names {
            let file = layout.staging + "/" + fileName
            let name = String(fileName.dropLast(".json".count))
            guard let role = delegations.roles.first(where: { $0.name == name }) else {
                throw .badMetadata(file: file, reason: "\(name) is not a bin targets.json delegates to")
            }
            let bytes = try RepositoryIO.read(file)
            let staged = try Signed<Targets>(fileBytes: bytes, file: file)
            try staged.checkSignatures(by: role.keys, keys: delegations.keys, file: file)
            let committed = state.bins[name]!
            if staged.signed.version == committed.signed.version,
               try RepositoryIO.read(layout.versioned(committed.signed.version, name)) == bytes
            {
                leftovers.append(file)  // merged already; a crash came before its removal
                continue
            }
            guard staged.signed.version == committed.signed.version + 1 else {
                throw .badMetadata(file: file, reason: "version \(staged.signed.version), but the repository holds version "
                    + "\(committed.signed.version) of \(name) (changed since it was staged): delete it and stage its bundles again")
            }
            guard staged.signed.delegations == nil else {
                throw .badMetadata(file: file, reason: "nested delegations are not supported")
            }
            for (path, target) in staged.signed.targets.sorted(by: { $0.key < $1.key }) where committed.signed.targets[path] != target {
                guard role.covers(path) else { throw .badMetadata(file: file, reason: "lists \(path), which \(name) is not trusted for") }
                let bundleFile = layout.targetFile(path: path, sha256: target.sha256)
                guard RepositoryIO.exists(bundleFile) else {
                    throw .badMetadata(file: file, reason: "names \(path), whose bundle file \(bundleFile) is missing")
                }
                if let info = BundleTargetInfo(custom: target.custom) { added.append((path, info, file)) }
            }
            state.bins[name] = staged
            state.snapshot.signed.meta["\(name).json"] = MetaFile(version: staged.signed.version)
            metadataFiles.append((layout.versioned(staged.signed.version, name), bytes))
            merged.append((name, staged.signed.version))
        }
        // Workers of different bins cannot see each other's bundles: the sequence rule
        // (strictly rising per base and cohort, above what is current) is checked here.
        for bundle in added.sorted(by: { ($0.info.sequence, $0.path) < ($1.info.sequence, $1.path) }) {
            try lines.check(bundle.info, bundle: "\(bundle.file) (\(bundle.path))")
            lines.note(bundle.info, at: bundle.path)
        }
        if !merged.isEmpty {
            try TUFRepository.release(&state, layout: layout, metadataFiles: metadataFiles, files: [], snapshotKey: snapshotKey,
                                      timestampKey: timestampKey, expiry: expiry, now: now, writer: writer)
        }
        for file in leftovers + merged.map({ layout.staged($0.name) }) { try? FileManager.default.removeItem(atPath: file) }
        return merged
    }
}
