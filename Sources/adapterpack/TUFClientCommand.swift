import AdapterPack
import ArgumentParser
import Foundation

/// `adapterpack tuf-client`: a TUF 1.0 client with the command line that the
/// TUF conformance suite (theupdateframework/tuf-conformance, CLIENT-CLI.md)
/// drives: init, refresh, download; exit 0 on success, 1 on any failure.
struct TUFClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tuf-client",
        abstract: "Fetch and verify TUF metadata and targets (init, refresh, download).",
        discussion: """
        init TRUSTED_ROOT copies a root you trust into --metadata-dir; refresh updates the trusted \
        metadata there from --metadata-url (root chain, timestamp, snapshot, targets, with every \
        signature, version, expiry, length and hash check of the TUF specification); download also \
        finds each --target-name through the delegations and stores it, verified, in --target-dir \
        (a file that already matches is not fetched again).

        Example:
          adapterpack tuf-client --metadata-dir state init fleet/metadata/1.root.json
          adapterpack tuf-client --metadata-dir state --metadata-url http://hub/fleet/metadata \\
              --target-base-url http://hub/fleet/targets --target-dir out --target-name beta/digits.apb download
        """)

    enum Action: String, ExpressibleByArgument, CaseIterable { case `init`, refresh, download }

    @Option(help: "Directory of the trusted metadata (root.json, timestamp.json, …).")
    var metadataDir: String

    @Option(help: "URL of the repository's metadata directory.")
    var metadataUrl: String?

    @Option(help: "TUF target path to download; repeatable, processed in order.")
    var targetName: [String] = []

    @Option(help: "URL of the repository's targets directory.")
    var targetBaseUrl: String?

    @Option(help: "Directory to store downloaded targets in.")
    var targetDir: String?

    @Argument(help: "init, refresh or download.")
    var action: Action

    @Argument(help: "init: the root metadata file to trust.")
    var trustedRoot: String?

    func run() throws {
        do {
            try perform()
        } catch let error as TUFClientError {
            FileHandle.standardError.write(Data("tuf-client: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func perform() throws {
        switch action {
        case .`init`:
            guard let trustedRoot else { throw ValidationError("init needs the trusted root file") }
            guard let bytes = FileManager.default.contents(atPath: trustedRoot) else {
                throw TUFClientError.storage(path: trustedRoot, reason: "cannot be read")
            }
            try FileManager.default.createDirectory(atPath: metadataDir, withIntermediateDirectories: true)
            try TUFUpdater.write(Array(bytes), to: metadataDir + "/root.json")
            print("tuf-client: trusting \(trustedRoot) as root.json in \(metadataDir)")
        case .refresh:
            guard let metadataUrl else { throw ValidationError("refresh needs --metadata-url") }
            let updater = try TUFUpdater(metadataDirectory: metadataDir, metadataURL: metadataUrl, fetcher: HTTPFetcher())
            try updater.refresh()
            print("tuf-client: refreshed \(metadataDir)")
        case .download:
            guard let metadataUrl, let targetBaseUrl, let targetDir, !targetName.isEmpty else {
                throw ValidationError("download needs --metadata-url, --target-base-url, --target-dir and --target-name")
            }
            try FileManager.default.createDirectory(atPath: targetDir, withIntermediateDirectories: true)
            let updater = try TUFUpdater(metadataDirectory: metadataDir, metadataURL: metadataUrl, fetcher: HTTPFetcher())
            for name in targetName {
                let file = try updater.download(name, targetBaseURL: targetBaseUrl, into: targetDir)
                print("tuf-client: \(name) -> \(file)")
            }
        }
    }
}
