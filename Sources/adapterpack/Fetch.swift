import AdapterPack
import ArgumentParser
import Foundation

/// `adapterpack fetch`: the gateway's job. Updates the TUF metadata of a
/// repository (full verification), picks the newest bundle for a device's
/// base model, downloads it with resumption, checks it against the signed
/// hash, then runs the bundle's own verification, and optionally applies it.
struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch the newest bundle for a base model from a TUF repository, verified end to end.",
        discussion: """
        --state keeps the trusted TUF metadata (STATE/metadata, started from --trusted-root) and \
        partial downloads (STATE/downloads): run again after an interruption and the transfer resumes \
        with an HTTP Range request. The bundle is written to -o only after its signed hash, its own \
        signature (--trusted-key) and, with --base, its base model all check out.

        Example:
          adapterpack fetch --repo http://hub/fleet --trusted-root fleet-root.json --state gw \\
              --base Examples/digits/base.tflite --cohort beta --trusted-key Keys/dev-ed25519.pub.pem -o next.apb
        """)

    @Option(help: "Repository URL (its metadata/ and targets/ directories).") var repo: String
    @Option(help: "Root metadata to trust on first use (copied into --state).") var trustedRoot: String
    @Option(help: "Directory for the trusted metadata and partial downloads.") var state: String
    @Option(help: "The device's model (.tflite): bundles must name its SHA-256 as their base.") var base: String
    @Option(help: "The device's cohort (bundles published with --cohort).") var cohort: String?
    @Option(help: "The device's class (bundles published with --device-class).") var deviceClass: String?
    @Option(help: "The device's stored sequence: only newer bundles are fetched.") var minSequence: UInt64 = 0
    @Option(name: [.customLong("trusted-key"), .customLong("key")], help: "Public key(s) the bundle must be signed with.")
    var key: [String]
    @Option(name: .shortAndLong, help: "Bundle file to write.") var output: String
    @Option(help: "Also apply it to --base and write the model here.") var apply: String?

    func run() throws {
        try OutputPath.check(output, against: [InputFile(option: "--base", path: base), InputFile(option: "--trusted-root", path: trustedRoot)]
                                 + key.map { InputFile(option: "--key", path: $0) }, command: "fetch")
        let keys = try TrustedKeys(pemFiles: key)
        let baseBytes = try FileIO.read(base, limit: .modelOrBundle)
        let metadataDir = state + "/metadata", downloads = state + "/downloads"
        let repoURL = repo.hasSuffix("/") ? String(repo.dropLast()) : repo
        do {
            try FileManager.default.createDirectory(atPath: metadataDir, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: downloads, withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: metadataDir + "/root.json") {
                try TUFUpdater.write(try FileIO.read(trustedRoot, limit: .modelOrBundle), to: metadataDir + "/root.json")
            }
            let updater = try TUFUpdater(metadataDirectory: metadataDir, metadataURL: repoURL + "/metadata", fetcher: HTTPFetcher())
            let targets = try updater.allTargets()
            let baseSHA = hexString(sha256(baseBytes).bytes)
            guard let (entry, info) = BundleSelection.newest(in: targets, baseSHA256: baseSHA, cohort: cohort,
                                                             deviceClass: deviceClass, above: minSequence) else {
                throw FetchError(message: "no bundle in \(repo) for base \(baseSHA) (cohort \(cohort ?? "none"), device class "
                                 + "\(deviceClass ?? "none"), sequence above \(minSequence)); \(targets.count) target(s) checked")
            }
            print("newest bundle: \(entry.path), sequence \(info.sequence), \(entry.length) bytes")
            let partial = downloads + "/" + TUFUpdater.quote(entry.path) + ".part"
            let download = try ResumableDownload(url: updater.targetURL(entry.path, hashes: entry.hashes, targetBaseURL: repoURL + "/targets"),
                                                 partialPath: partial, length: entry.length,
                                                 progress: isatty(2) != 0 ? ProgressLine().update : nil)
            let bytes = try download.run()
            if isatty(2) != 0 { FileHandle.standardError.write(Data("\n".utf8)) }
            try TUFUpdater.check(bytes, against: entry)
            let resumed = download.attempts.filter { $0.from > 0 }
            print("downloaded in \(download.attempts.count) request(s)"
                  + (resumed.isEmpty ? "" : ", resumed at byte \(resumed.map { String($0.from) }.joined(separator: ", "))")
                  + "; signed length and hashes match")
            _ = try HostLoader.verify(bundle: bytes, keys: keys, base: baseBytes, minimumSequence: minSequence)
            try FileIO.write(bytes, to: output)
            try? FileManager.default.removeItem(atPath: partial)
            print("wrote \(output): bundle signature and blocks verified, applies to \(base)")
            if let apply {
                let result = try HostLoader.apply(bundle: bytes, base: baseBytes, keys: keys, minimumSequence: minSequence)
                try FileIO.write(result.model, to: apply)
                print("wrote \(apply): \(result.model.count) bytes, sha256 \(result.outcome.modelSHA256.hex) (target verified)")
            }
        } catch let error as TUFClientError {
            throw FetchError(message: "\(error)")
        }
    }
}

/// A runtime refusal of `fetch` (exit 1): nothing to fetch, or what TUF refused.
struct FetchError: Error, CustomStringConvertible {
    let message: String
    var description: String { "fetch: \(message)" }
}

/// "  12,345 / 25,081 B  49 %  1.2 MB/s  ETA 3 s" on one terminal line.
final class ProgressLine {
    private let start = Date()

    func update(_ done: Int, _ total: Int) {
        let seconds = max(Date().timeIntervalSince(start), 0.001)
        let rate = Double(done) / seconds
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let line = String(format: "\r  %d / %d B  %3.0f %%  %.1f kB/s  ETA %.0f s", done, total,
                          total > 0 ? 100 * Double(done) / Double(total) : 100, rate / 1000, eta)
        FileHandle.standardError.write(Data(line.utf8))
    }
}
