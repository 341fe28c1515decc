import AdapterPack
import ArgumentParser
import Foundation

/// `adapterpack repo …`: a TUF repository of bundles (see README "Deliver to a fleet").
struct Repo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a TUF repository of bundles that any TUF client (python-tuf, go-tuf, rust-tuf) can update from.",
        subcommands: [RepoInit.self, RepoPublish.self, RepoStage.self, RepoMerge.self, RepoTimestamp.self, RepoStatus.self, RepoRotate.self, RepoRevoke.self])
}

/// Expiry periods as the options give them: "90d", "12h", "2w", "3600s" (or plain seconds).
struct ExpiryOptions: ParsableArguments {
    @Option(help: "How long root metadata is valid (default 365d).") var rootExpires: String?
    @Option(help: "How long targets metadata is valid (default 90d).") var targetsExpires: String?
    @Option(help: "How long snapshot metadata is valid (default 7d).") var snapshotExpires: String?
    @Option(help: "How long timestamp metadata is valid (default 1d).") var timestampExpires: String?

    func expiry() throws -> RepositoryExpiry {
        var e = RepositoryExpiry()
        if let v = rootExpires { e.root = try Self.parse(v, "--root-expires") }
        if let v = targetsExpires { e.targets = try Self.parse(v, "--targets-expires") }
        if let v = snapshotExpires { e.snapshot = try Self.parse(v, "--snapshot-expires") }
        if let v = timestampExpires { e.timestamp = try Self.parse(v, "--timestamp-expires") }
        return e
    }

    static func parse(_ text: String, _ option: String) throws -> TimeInterval {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        var digits = Substring(text)
        var unit: TimeInterval = 1
        if let last = text.last, let u = units[last] {
            unit = u
            digits = digits.dropLast()
        }
        guard let n = Int(digits), n > 0 else {
            throw ValidationError("\(option) \(text): expected a positive number with s, m, h, d or w (for example 90d)")
        }
        return TimeInterval(n) * unit
    }
}

/// The expiry options of commands that re-sign targets, snapshot and timestamp (not root).
struct ResignExpiryOptions: ParsableArguments {
    @Option(help: "How long the new targets metadata is valid (default 90d).") var targetsExpires: String?
    @Option(help: "How long the new snapshot metadata is valid (default 7d).") var snapshotExpires: String?
    @Option(help: "How long the new timestamp metadata is valid (default 1d).") var timestampExpires: String?

    func expiry() throws -> RepositoryExpiry {
        var e = RepositoryExpiry()
        if let v = targetsExpires { e.targets = try ExpiryOptions.parse(v, "--targets-expires") }
        if let v = snapshotExpires { e.snapshot = try ExpiryOptions.parse(v, "--snapshot-expires") }
        if let v = timestampExpires { e.timestamp = try ExpiryOptions.parse(v, "--timestamp-expires") }
        return e
    }
}

struct RoleKeyOptions: ParsableArguments {
    @Option(help: "Ed25519 private key (PEM) of the targets role.") var targetsKey: String
    @Option(help: "Ed25519 private key (PEM) of the snapshot role.") var snapshotKey: String
    @Option(help: "Ed25519 private key (PEM) of the timestamp role.") var timestampKey: String

    func load() throws -> (targets: RoleSigningKey, snapshot: RoleSigningKey, timestamp: RoleSigningKey) {
        (try RoleSigningKey(pemFile: targetsKey), try RoleSigningKey(pemFile: snapshotKey),
         try RoleSigningKey(pemFile: timestampKey))
    }
}

struct RepoInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a TUF repository (root, targets, snapshot, timestamp version 1).")

    @Argument(help: "Repository directory (created if needed).") var directory: String
    @Option(help: "Root private key (PEM, Ed25519) that signs root.json; repeat for several.") var rootKey: [String]
    @Option(help: "Root public key (PEM) listed in root.json without signing now; repeat for several.") var rootPublicKey: [String] = []
    @Option(help: "How many root keys must sign root metadata.") var rootThreshold: Int = 1
    @Option(help: "Hashed-bin delegation: targets delegates to this many bins (a power of two, 2-4096; 0 = none).")
    var bins: Int = 0
    @OptionGroup var keys: RoleKeyOptions
    @OptionGroup var expires: ExpiryOptions

    func run() throws {
        let roots = try rootKey.map { path throws -> RoleSigningKey in try RoleSigningKey(pemFile: path) }
        var publics: [(path: String, key: VerifyingKey)] = []
        for path in rootPublicKey {
            do { publics.append((path, try VerifyingKey(pemFile: path))) } catch {
                throw RepositoryError.key(path: path, reason: "\(error)")
            }
        }
        let k = try keys.load()
        let state = try TUFRepository.create(
            at: directory, rootKeys: roots, rootPublicKeys: publics, rootThreshold: rootThreshold,
            targetsKey: k.targets, snapshotKey: k.snapshot, timestampKey: k.timestamp, bins: bins, expiry: try expires.expiry())
        print("\(directory): TUF repository created (root threshold \(rootThreshold) of \(state.root.signed.role("root").keyids.count) keys)")
        print("  serve \(directory)/ over HTTP(S); clients start from metadata/root.json (\(state.root.signed.keys.count) keys)")
    }
}

struct RepoPublish: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "Add verified bundles as targets and re-sign targets, snapshot and timestamp.")

    @Argument(help: "Bundles (.apb) to publish.") var bundles: [String]
    @Option(help: "Repository directory.") var repo: String
    @Option(help: "Cohort the bundles go to (a plain name; also the target path's directory).") var cohort: String?
    @Option(help: "Device class the bundles are for (a plain name).") var deviceClass: String?
    @Option(help: "Public key(s) bundles must be signed by (PEM); repeat for several.") var trusted: [String]
    @OptionGroup var keys: RoleKeyOptions
    @OptionGroup var expires: ResignExpiryOptions

    func run() throws {
        let trustedKeys = try TrustedKeys(pemFiles: trusted)
        var inputs: [TUFRepository.BundleInput] = []
        for path in bundles {
            inputs.append(TUFRepository.BundleInput(path: path, bytes: try FileIO.read(path, limit: .modelOrBundle)))
        }
        let k = try keys.load()
        let published = try TUFRepository.publish(
            inputs, to: repo, cohort: cohort, deviceClass: deviceClass, trusted: trustedKeys,
            targetsKey: k.targets, snapshotKey: k.snapshot, timestampKey: k.timestamp, expiry: try expires.expiry())
        for p in published {
            print("published \(p.targetPath): sequence \(p.info.sequence), base \(p.info.baseSHA256.prefix(16))…, \(p.length) bytes")
        }
        let state = try RepositoryState.load(repo)
        print("targets v\(state.targets.signed.version), snapshot v\(state.snapshot.signed.version), timestamp v\(state.timestamp.signed.version)")
    }
}

struct RepoTimestamp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timestamp", abstract: "Re-sign timestamp.json with a new version and expiry (run it more often than it expires).")

    @Option(help: "Repository directory.") var repo: String
    @Option(help: "Ed25519 private key (PEM) of the timestamp role.") var timestampKey: String
    @Option(help: "How long the new timestamp is valid (default 1d).") var timestampExpires: String?
    @Option(help: "Also re-sign the snapshot with this key (PEM) so it does not expire (default every 7d).") var snapshotKey: String?
    @Option(help: "How long the new snapshot is valid (default 7d; with --snapshot-key).") var snapshotExpires: String?

    func run() throws {
        var expiry = RepositoryExpiry()
        if let v = timestampExpires { expiry.timestamp = try ExpiryOptions.parse(v, "--timestamp-expires") }
        if let v = snapshotExpires { expiry.snapshot = try ExpiryOptions.parse(v, "--snapshot-expires") }
        let t = try TUFRepository.refreshTimestamp(repo, timestampKey: try RoleSigningKey(pemFile: timestampKey),
                                                   snapshotKey: try snapshotKey.map { try RoleSigningKey(pemFile: $0) }, expiry: expiry)
        print("timestamp v\(t.signed.version), expires \(TUFTime.string(t.signed.expires)); snapshot v\(t.signed.snapshot.version)")
        // Clients refuse expired metadata: say what expires before this timestamp does.
        for (role, expires) in TUFRepository.expiringBefore(t.signed.expires, try RepositoryState.load(repo)) {
            let fix = role == "snapshot" ? "pass --snapshot-key" : role == "root" ? "run `repo rotate --role root`" : "publish or revoke to re-sign it"
            FileHandle.standardError.write(Data("warning: \(role) metadata expires \(TUFTime.string(expires)), before this timestamp; clients will refuse the repository then (\(fix))\n".utf8))
        }
    }
}

struct RepoStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show each role's version and expiry, and the published bundles.")

    @Argument(help: "Repository directory.") var directory: String
    @Flag(help: "Print the status as JSON (roles with version and expiry, targets with their custom fields).") var json = false

    func run() throws {
        let s = try RepositoryState.load(directory)
        let now = Date()
        if json {
            func role(_ version: Int64, _ expires: Date) -> JSONValue {
                .object(["version": .integer(version), "expires": .string(TUFTime.string(expires)), "expired": .bool(expires <= now)])
            }
            var roles: [String: JSONValue] = [
                "root": role(s.root.signed.version, s.root.signed.expires),
                "targets": role(s.targets.signed.version, s.targets.signed.expires),
                "snapshot": role(s.snapshot.signed.version, s.snapshot.signed.expires),
                "timestamp": role(s.timestamp.signed.version, s.timestamp.signed.expires),
            ]
            for (name, bin) in s.bins { roles[name] = role(bin.signed.version, bin.signed.expires) }
            let targets = s.allTargets.mapValues { t -> JSONValue in
                var members: [String: JSONValue] = ["length": .integer(t.length), "sha256": .string(t.sha256)]
                if let custom = t.custom { members["custom"] = custom }
                return .object(members)
            }
            print(String(decoding: PrettyJSON.encode(.object(["roles": .object(roles), "targets": .object(targets)])), as: UTF8.self),
                  terminator: "")
            return
        }
        func line(_ role: String, _ version: Int64, _ expires: Date) -> String {
            let left = expires.timeIntervalSince(now)
            let when = left <= 0 ? "EXPIRED" : left >= 86_400 ? "in \(Int(left / 86_400))d" : "in \(Int(left / 3600))h"
            return "\(role.padding(toLength: 10, withPad: " ", startingAt: 0)) v\(version)  expires \(TUFTime.string(expires)) (\(when))"
        }
        print(line("root", s.root.signed.version, s.root.signed.expires))
        print(line("targets", s.targets.signed.version, s.targets.signed.expires))
        print(line("snapshot", s.snapshot.signed.version, s.snapshot.signed.expires))
        print(line("timestamp", s.timestamp.signed.version, s.timestamp.signed.expires))
        if !s.bins.isEmpty {
            let newest = s.bins.values.map(\.signed.version).max() ?? 1
            print("\(s.bins.count) hashed bins (targets delegates by SHA-256 prefix of the target path), newest bin v\(newest)")
        }
        let all = s.allTargets
        print("\(all.count) target(s)")
        for path in all.keys.sorted() {
            let t = all[path]!
            if let info = BundleTargetInfo(custom: t.custom) {
                print("  \(path)  seq \(info.sequence)  base \(info.baseSHA256.prefix(16))…  \(t.length) B"
                    + (info.deviceClass.map { "  class \($0)" } ?? ""))
            } else {
                print("  \(path)  \(t.length) B")
            }
        }
    }
}

struct RepoRotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Replace a role's keys: root version N+1 (root: signed by the current and the new root keys).",
        discussion: """
            --role root: --root-key (current) and --new-root-key, optionally --new-root-public-key and --root-threshold.
            --role targets|snapshot|timestamp: --root-key, --new-key, and the current --targets-key, --snapshot-key
            and --timestamp-key (the rotated role's is its old key); its metadata is re-signed by old and new key.
            """)

    @Option(help: "Role whose keys change: root, targets, snapshot or timestamp.") var role: String
    @Option(help: "Repository directory.") var repo: String
    @Option(help: "Current root private key(s) (PEM), at least the current threshold.") var rootKey: [String]
    @Option(help: "root: new root private key(s) (PEM) that sign the new root.") var newRootKey: [String] = []
    @Option(help: "root: new root public key(s) (PEM) listed without signing now.") var newRootPublicKey: [String] = []
    @Option(help: "root: threshold of the new root keys.") var rootThreshold: Int = 1
    @Option(help: "targets, snapshot, timestamp: the role's new private key (PEM).") var newKey: String?
    @Option(help: "Current targets key (PEM; not for --role root).") var targetsKey: String?
    @Option(help: "Current snapshot key (PEM; not for --role root).") var snapshotKey: String?
    @Option(help: "Current timestamp key (PEM; not for --role root).") var timestampKey: String?
    @Option(help: "How long the new root metadata is valid (default 365d).") var rootExpires: String?

    func run() throws {
        var expiry = RepositoryExpiry()
        if let v = rootExpires { expiry.root = try ExpiryOptions.parse(v, "--root-expires") }
        let roots = try rootKey.map { try RoleSigningKey(pemFile: $0) }
        if role != "root" {
            guard let newKey, let targetsKey, let snapshotKey, let timestampKey else {
                throw ValidationError("--role \(role) needs --new-key, --targets-key, --snapshot-key and --timestamp-key")
            }
            let root = try TUFRepository.rotateRole(
                role, in: repo, rootKeys: roots, newKey: try RoleSigningKey(pemFile: newKey),
                targetsKey: try RoleSigningKey(pemFile: targetsKey), snapshotKey: try RoleSigningKey(pemFile: snapshotKey),
                timestampKey: try RoleSigningKey(pemFile: timestampKey), expiry: expiry)
            print("root v\(root.signed.version): \(role) key is now \(root.signed.role(role).keyids[0])")
            return
        }
        guard !newRootKey.isEmpty else { throw ValidationError("--role root needs --new-root-key") }
        var publics: [(path: String, key: VerifyingKey)] = []
        for path in newRootPublicKey {
            do { publics.append((path, try VerifyingKey(pemFile: path))) } catch {
                throw RepositoryError.key(path: path, reason: "\(error)")
            }
        }
        let root = try TUFRepository.rotateRoot(
            repo, currentRootKeys: roots, newRootKeys: try newRootKey.map { try RoleSigningKey(pemFile: $0) },
            newRootPublicKeys: publics, threshold: rootThreshold, expiry: expiry)
        print("root v\(root.signed.version): \(root.signed.role("root").keyids.count) key(s), threshold \(rootThreshold)")
    }
}

struct RepoRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Remove targets and re-sign targets, snapshot and timestamp.")

    @Argument(help: "Target paths to remove (as `repo status` lists them).") var targets: [String]
    @Option(help: "Repository directory.") var repo: String
    @OptionGroup var keys: RoleKeyOptions
    @OptionGroup var expires: ResignExpiryOptions

    func run() throws {
        let k = try keys.load()
        try TUFRepository.revoke(targets, in: repo, targetsKey: k.targets, snapshotKey: k.snapshot, timestampKey: k.timestamp,
                                 expiry: try expires.expiry())
        let state = try RepositoryState.load(repo)
        print("revoked \(targets.joined(separator: ", ")); targets v\(state.targets.signed.version), \(state.allTargets.count) left")
    }
}
