import Foundation

/// A repository's current metadata, loaded the way a TUF client would: the root chain
/// from 1.root.json, then timestamp.json, the snapshot it names, and the targets the
/// snapshot names; every signature and version checked on the way.
public struct RepositoryState: Sendable {
    public var root: Signed<Root>
    public var timestamp: Signed<Timestamp>
    public var snapshot: Signed<Snapshot>
    public var targets: Signed<Targets>
    /// Delegated targets roles (hashed bins) by name; empty without delegations.
    public var bins: [String: Signed<Targets>]
    /// Finds bins by path hash; set by `load` (a state built otherwise tries roles in order).
    var binLookup: BinLookup?

    public init(root: Signed<Root>, timestamp: Signed<Timestamp>, snapshot: Signed<Snapshot>, targets: Signed<Targets>,
                bins: [String: Signed<Targets>] = [:]) {
        self.root = root
        self.timestamp = timestamp
        self.snapshot = snapshot
        self.targets = targets
        self.bins = bins
    }

    /// Every target, from targets.json and every bin.
    public var allTargets: [String: TargetFile] {
        var all = targets.signed.targets
        for bin in bins.values { all.merge(bin.signed.targets) { a, _ in a } }
        return all
    }

    /// The bin trusted for `targetPath` (the first delegated role covering it), or nil
    /// when targets.json holds targets itself.
    public func bin(for targetPath: String) -> String? {
        targets.signed.delegations?.role(for: targetPath, lookup: binLookup)?.name
    }

    /// Loads and checks the repository in `directory`.
    public static func load(_ directory: String) throws(RepositoryError) -> RepositoryState {
        let layout = RepositoryLayout(directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: layout.directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .notARepository(path: directory, reason: "no such directory")
        }
        guard RepositoryIO.exists(layout.timestamp) else {
            throw .notARepository(path: directory, reason: "it has no metadata/timestamp.json")
        }
        guard RepositoryIO.exists(layout.versioned(1, "root")) else {
            throw .notARepository(path: directory, reason: "it has no metadata/1.root.json")
        }
        let root = try loadRootChain(layout)

        let timestampFile = layout.timestamp
        let timestamp = try Signed<Timestamp>(fileBytes: RepositoryIO.read(timestampFile), file: timestampFile)
        try timestamp.checkSignatures(by: root.signed.role("timestamp"), keys: root.signed.keys, file: timestampFile)

        let snapshotFile = layout.versioned(timestamp.signed.snapshot.version, "snapshot")
        let snapshotBytes = try RepositoryIO.read(snapshotFile)
        try timestamp.signed.snapshot.check(snapshotBytes, file: snapshotFile)
        let snapshot = try Signed<Snapshot>(fileBytes: snapshotBytes, file: snapshotFile)
        try snapshot.checkSignatures(by: root.signed.role("snapshot"), keys: root.signed.keys, file: snapshotFile)
        guard snapshot.signed.version == timestamp.signed.snapshot.version else {
            throw .badMetadata(file: snapshotFile, reason: "version \(snapshot.signed.version), timestamp.json names \(timestamp.signed.snapshot.version)")
        }

        let targetsEntry = snapshot.signed.meta["targets.json"]!
        let targetsFile = layout.versioned(targetsEntry.version, "targets")
        let targetsBytes = try RepositoryIO.read(targetsFile)
        try targetsEntry.check(targetsBytes, file: targetsFile)
        let targets = try Signed<Targets>(fileBytes: targetsBytes, file: targetsFile)
        try targets.checkSignatures(by: root.signed.role("targets"), keys: root.signed.keys, file: targetsFile)
        guard targets.signed.version == targetsEntry.version else {
            throw .badMetadata(file: targetsFile, reason: "version \(targets.signed.version), the snapshot names \(targetsEntry.version)")
        }
        var bins: [String: Signed<Targets>] = [:]
        if let delegations = targets.signed.delegations {
            for role in delegations.roles {
                guard let entry = snapshot.signed.meta["\(role.name).json"] else {
                    throw .badMetadata(file: snapshotFile, reason: "meta has no \(role.name).json, which targets delegates to")
                }
                let file = layout.versioned(entry.version, role.name)
                let bytes = try RepositoryIO.read(file)
                try entry.check(bytes, file: file)
                let bin = try Signed<Targets>(fileBytes: bytes, file: file)
                try bin.checkSignatures(by: role.keys, keys: delegations.keys, file: file)
                guard bin.signed.version == entry.version else {
                    throw .badMetadata(file: file, reason: "version \(bin.signed.version), the snapshot names \(entry.version)")
                }
                guard bin.signed.delegations == nil else {
                    throw .badMetadata(file: file, reason: "nested delegations are not supported")
                }
                for path in bin.signed.targets.keys where !role.covers(path) {
                    throw .badMetadata(file: file, reason: "lists \(path), which the role is not trusted for")
                }
                bins[role.name] = bin
            }
        }
        var state = RepositoryState(root: root, timestamp: timestamp, snapshot: snapshot, targets: targets, bins: bins)
        state.binLookup = targets.signed.delegations.flatMap(BinLookup.init)
        return state
    }

    /// 1.root.json, then each N+1.root.json signed by a threshold of both N's root keys and its own.
    static func loadRootChain(_ layout: RepositoryLayout) throws(RepositoryError) -> Signed<Root> {
        let first = layout.versioned(1, "root")
        var root = try Signed<Root>(fileBytes: RepositoryIO.read(first), file: first)
        guard root.signed.version == 1 else { throw .badMetadata(file: first, reason: "version is \(root.signed.version), not 1") }
        try root.checkSignatures(by: root.signed.role("root"), keys: root.signed.keys, file: first)
        while true {
            let nextFile = layout.versioned(root.signed.version + 1, "root")
            guard RepositoryIO.exists(nextFile) else { break }
            let next = try Signed<Root>(fileBytes: RepositoryIO.read(nextFile), file: nextFile)
            guard next.signed.version == root.signed.version + 1 else {
                throw .badMetadata(file: nextFile, reason: "version is \(next.signed.version)")
            }
            try next.checkSignatures(by: root.signed.role("root"), keys: root.signed.keys, file: nextFile)
            try next.checkSignatures(by: next.signed.role("root"), keys: next.signed.keys, file: nextFile)
            root = next
        }
        return root
    }
}
