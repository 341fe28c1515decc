import AdapterPack
import ArgumentParser
import Foundation

/// `repo stage`: one worker of a parallel publish into hashed bins (see `BinStaging`).
struct RepoStage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Verify the bundles that hash into one part of the bins and sign those bins into .staging/ (run `repo merge` after).",
        discussion: """
            Workers of one N run at once, on one machine or many sharing the directory, e.g.
              seq 0 7 | xargs -P 8 -I{} adapterpack repo stage --part {}/8 --repo DIR bundles/ ...
            Each reads only the bundles whose target paths hash into its part and skips the rest.
            """)

    @Argument(help: "Bundles (.apb) or directories of them.") var bundles: [String]
    @Option(help: "Repository directory (created with repo init --bins N).") var repo: String
    @Option(help: "This worker's part: I/N, the I-th (from 0) of N equal ranges of bins.") var part: String
    @Option(help: "Cohort the bundles go to (a plain name; also the target path's directory).") var cohort: String?
    @Option(help: "Device class the bundles are for (a plain name).") var deviceClass: String?
    @Option(help: "Public key(s) bundles must be signed by (PEM); repeat for several.") var trusted: [String]
    @Option(help: "Ed25519 private key (PEM) of the targets role, which signs the bins.") var targetsKey: String
    @Option(help: "How long the staged bins are valid (default 90d).") var targetsExpires: String?

    func run() throws {
        let part = try BinStaging.Part(parsing: part)
        var expiry = RepositoryExpiry()
        if let v = targetsExpires { expiry.targets = try ExpiryOptions.parse(v, "--targets-expires") }
        let trustedKeys = try TrustedKeys(pemFiles: trusted)
        let key = try RoleSigningKey(pemFile: targetsKey)
        let files = try Self.expand(bundles)
        let state = try RepositoryState.load(repo)
        _ = try BinStaging.bins(of: part, in: state, directory: repo)
        var inputs: [TUFRepository.BundleInput] = []
        for file in files where BinStaging.owns(try TUFRepository.targetPath(for: file, cohort: cohort), part: part, state: state) {
            inputs.append(TUFRepository.BundleInput(path: file, bytes: try FileIO.read(file, limit: .modelOrBundle)))
        }
        guard !inputs.isEmpty else {
            print("part \(part): none of the \(files.count) bundle(s) hash into its bins; nothing staged")
            return
        }
        let staged = try BinStaging.stage(inputs, to: repo, part: part, cohort: cohort, deviceClass: deviceClass,
                                          trusted: trustedKeys, targetsKey: key, expiry: expiry)
        print("part \(part): staged \(staged.published.count) of \(files.count) bundle(s) in \(staged.bins.count) bin(s); "
            + "\(files.count - staged.published.count) belong to other parts. Run `repo merge` to make them current.")
    }

    /// Files as given; a directory stands for the .apb files in it, in name order.
    static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".apb") }.sorted()
                guard !names.isEmpty else { throw ValidationError("\(path) holds no .apb files") }
                files += names.map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        return files
    }
}

/// `repo merge`: the one step after the workers that makes their staged bins current.
struct RepoMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Check every staged bin and the sequence rule across them, then re-sign snapshot and timestamp.")

    @Option(help: "Repository directory.") var repo: String
    @Option(help: "Ed25519 private key (PEM) of the snapshot role.") var snapshotKey: String
    @Option(help: "Ed25519 private key (PEM) of the timestamp role.") var timestampKey: String
    @Option(help: "How long the new snapshot is valid (default 7d).") var snapshotExpires: String?
    @Option(help: "How long the new timestamp is valid (default 1d).") var timestampExpires: String?

    func run() throws {
        var expiry = RepositoryExpiry()
        if let v = snapshotExpires { expiry.snapshot = try ExpiryOptions.parse(v, "--snapshot-expires") }
        if let v = timestampExpires { expiry.timestamp = try ExpiryOptions.parse(v, "--timestamp-expires") }
        let merged = try BinStaging.merge(repo, snapshotKey: try RoleSigningKey(pemFile: snapshotKey),
                                          timestampKey: try RoleSigningKey(pemFile: timestampKey), expiry: expiry)
        if merged.isEmpty {
            print("nothing staged in \(repo)/.staging; the repository is unchanged")
            return
        }
        let state = try RepositoryState.load(repo)
        print("merged \(merged.count) staged bin(s); \(state.allTargets.count) target(s); "
            + "snapshot v\(state.snapshot.signed.version), timestamp v\(state.timestamp.signed.version)")
    }
}
