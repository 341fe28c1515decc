import Foundation
import TestSupport
import XCTest

/// `adapterpack fetch` and `adapterpack tuf-client` over HTTP against a real
/// server process (Tests/python/range_server.py: Range support, and a first
/// transfer of each bundle cut after half its bytes), and against a
/// repository written by python-tuf's Metadata API.
final class FetchCLITests: XCTestCase {
    static var python: String { RepoInteropTests.python }

    /// The test server on a free port, serving `root`; stopped by `stop`.
    final class RangeServer {
        let process = Process()
        let port: Int
        let log: String

        init(python: String, root: String, log: String, cut: String?) throws {
            self.log = log
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [RepoPaths.root.appendingPathComponent("Tests/python/range_server.py").path,
                                 "--root", root, "--log", log] + (cut.map { ["--cut", $0] } ?? [])
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                throw NSError(domain: "RangeServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "no port from the server: \(line)"])
            }
            self.port = port
        }

        var url: String { "http://127.0.0.1:\(port)" }
        var requests: [String] { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    func requirePython(_ module: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python),
              (try? Subprocess.run(Self.python, ["-c", "import \(module)"]))?.status == 0
        else { throw XCTSkip("no \(module) in \(Self.python): run .ci/python-env.sh") }
        guard CLIRunner.binaryIsBuilt else { throw XCTSkip("built adapterpack binary not found") }
    }

    /// A repository written by `repo init` + `repo publish` with one bundle (cohort beta).
    func publishedRepository(_ cli: CLIRunner) throws -> (bundle: String, roleKeys: [String]) {
        func ok(_ arguments: [String]) throws { try cli.succeed(arguments) }
        for role in ["root", "targets", "snapshot", "timestamp"] { try ok(["keygen", "-o", "\(role).pem"]) }
        let bundleKey = RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path
        let bundlePub = RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path
        try ok(["diff", "--base", CLIRunner.model("base"), "--target", CLIRunner.model("full-ft"), "--key", bundleKey,
                "--sequence", "3", "-o", "full-3.apb"])
        try ok(["diff", "--base", CLIRunner.model("base"), "--target", CLIRunner.model("head-ft"), "--key", bundleKey,
                "--sequence", "2", "-o", "head-2.apb"])
        let roleKeys = ["--targets-key", "targets.pem", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"]
        try ok(["repo", "init", "repo", "--root-key", "root.pem", "--bins", "16"] + roleKeys)
        try ok(["repo", "publish", "head-2.apb", "full-3.apb", "--repo", "repo", "--cohort", "beta", "--trusted", bundlePub] + roleKeys)
        return ("full-3.apb", roleKeys)
    }

    func testFetchPicksTheNewestBundleAndResumesACutTransferWithARangeRequest() throws {
        try requirePython("http.server")
        let cli = try CLIRunner()
        defer { cli.remove() }
        let (bundle, _) = try publishedRepository(cli)
        let server = try RangeServer(python: Self.python, root: cli.path("repo"), log: cli.path("server.log"), cut: ".apb")
        defer { server.stop() }
        let pub = RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path
        let arguments = ["fetch", "--repo", server.url, "--trusted-root", cli.path("repo/metadata/1.root.json"),
                         "--state", "gateway", "--base", CLIRunner.model("base"), "--cohort", "beta",
                         "--trusted-key", pub, "-o", "next.apb", "--apply", "model.tflite"]
        let out = try cli.adapterpack(arguments)
        XCTAssertEqual(out.status, 0, out.stderr)
        // The higher sequence (3) of the two bundles for this base and cohort.
        XCTAssertTrue(out.stdout.contains("newest bundle: beta/full-3.apb, sequence 3"), out.stdout)
        XCTAssertEqual(FileManager.default.contents(atPath: cli.path("next.apb")),
                       FileManager.default.contents(atPath: cli.path(bundle)))
        XCTAssertEqual(FileManager.default.contents(atPath: cli.path("model.tflite")),
                       FileManager.default.contents(atPath: CLIRunner.model("full-ft")))
        // The server cut the first transfer after half the bundle; the second
        // request asked for exactly the rest.
        let length = try XCTUnwrap(FileManager.default.contents(atPath: cli.path(bundle))).count
        let targetRequests = server.requests.filter { $0.hasPrefix("/targets/") }
        XCTAssertEqual(targetRequests.count, 2, "\(server.requests)")
        XCTAssertTrue(targetRequests.first?.hasSuffix(" -") ?? false, "\(targetRequests)")
        XCTAssertTrue(targetRequests.last?.hasSuffix(" bytes=\(length / 2)-") ?? false, "\(targetRequests)")
        XCTAssertTrue(out.stdout.contains("resumed at byte \(length / 2)"), out.stdout)
        // Metadata: versioned files and the bins, through the same server.
        XCTAssertTrue(server.requests.contains { $0.hasPrefix("/metadata/timestamp.json") })
        XCTAssertTrue(server.requests.contains { $0.contains(".bins-") })

        // A device already at sequence 3: nothing newer, a clear error, no output.
        let none = try cli.adapterpack(arguments.map { $0 == "next.apb" ? "none.apb" : $0 } + ["--min-sequence", "3"])
        XCTAssertEqual(none.status, 1, none.stdout)
        XCTAssertTrue(none.stderr.contains("no bundle in") && none.stderr.contains("sequence above 3"), none.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("none.apb")))
    }

    func testFetchRefusesABundleThatDoesNotMatchItsSignedHash() throws {
        try requirePython("http.server")
        let cli = try CLIRunner()
        defer { cli.remove() }
        _ = try publishedRepository(cli)
        // Swap the stored bundle's bytes for another bundle of the same length prefix: the hash no longer matches.
        let targets = cli.path("repo/targets/beta")
        let stored = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: targets).first { $0.hasSuffix(".full-3.apb") })
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: targets + "/" + stored))
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: targets + "/" + stored))
        let server = try RangeServer(python: Self.python, root: cli.path("repo"), log: cli.path("server.log"), cut: nil)
        defer { server.stop() }
        let out = try cli.adapterpack(["fetch", "--repo", server.url, "--trusted-root", cli.path("repo/metadata/1.root.json"),
                                       "--state", "gateway", "--base", CLIRunner.model("base"), "--cohort", "beta",
                                       "--trusted-key", RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path,
                                       "-o", "next.apb"])
        XCTAssertNotEqual(out.status, 0)
        XCTAssertTrue(out.stderr.contains("beta/full-3.apb") && out.stderr.contains("sha256 does not match"), out.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("next.apb")))
    }

    /// `fetch` through nginx (Range requests and all) from a repository written by
    /// `repo publish` and from one written by python-tuf's Metadata API with
    /// adapterpack's custom fields.
    func testFetchThroughNginxFromRepositoriesOfBothWriters() throws {
        guard let nginx = RepoInteropTests.nginx else { throw XCTSkip("nginx not installed (Debian package nginx; .ci/run installs it)") }
        try requirePython("tuf.api.metadata, cryptography")
        let cli = try CLIRunner()
        defer { cli.remove() }
        let (bundle, _) = try publishedRepository(cli)
        let pub = RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path
        let inspect = try cli.adapterpack(["inspect", bundle, "--json"])
        let fields = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        let custom: [String: Any] = ["adapterpack": [
            "base_sha256": (fields["base"] as? [String: Any])?["sha256"] ?? "", "target_sha256": (fields["target"] as? [String: Any])?["sha256"] ?? "",
            "sequence": fields["sequence"] ?? 0, "window": fields["windowSize"] ?? 0, "format_version": fields["formatVersion"] ?? "",
        ]]
        let customJSON = String(decoding: try JSONSerialization.data(withJSONObject: custom), as: UTF8.self)
        let made = try Subprocess.run(Self.python, [RepoPaths.root.appendingPathComponent("Tests/python/python_tuf_repo.py").path,
                                                    cli.path("pyrepo"), cli.path(bundle), "--custom", bundle, customJSON])
        XCTAssertEqual(made.status, 0, made.stderr)
        for (root, cohort) in [("repo", ["--cohort", "beta"]), ("pyrepo", [])] {
            let server = try NginxServer(nginx: nginx, root: cli.path(root), scratch: cli.path("nginx-\(root)"))
            defer { server.stop() }
            let out = try cli.adapterpack(["fetch", "--repo", "http://127.0.0.1:\(server.port)", "--trusted-root",
                                           cli.path("\(root)/metadata/1.root.json"), "--state", "gw-\(root)",
                                           "--base", CLIRunner.model("base"), "--trusted-key", pub, "-o", "\(root).apb"] + cohort)
            XCTAssertEqual(out.status, 0, "\(root): \(out.stderr)")
            XCTAssertEqual(FileManager.default.contents(atPath: cli.path("\(root).apb")),
                           FileManager.default.contents(atPath: cli.path(bundle)), root)
        }
    }

    /// Endless data over HTTP: a timestamp.json of 20 MB (the client allows 16 KB
    /// for it) is cut off as it streams in, refused with the limit named, and
    /// nothing is stored.
    func testEndlessMetadataIsCutOffAtTheLimit() throws {
        try requirePython("http.server")
        let cli = try CLIRunner()
        defer { cli.remove() }
        _ = try publishedRepository(cli)
        XCTAssertEqual(try cli.adapterpack(["tuf-client", "--metadata-dir", "state", "init", cli.path("repo/metadata/1.root.json")]).status, 0)
        try Data(repeating: UInt8(ascii: " "), count: 20 << 20).write(to: URL(fileURLWithPath: cli.path("repo/metadata/timestamp.json")))
        let server = try RangeServer(python: Self.python, root: cli.path("repo"), log: cli.path("server.log"), cut: nil)
        defer { server.stop() }
        let out = try cli.adapterpack(["tuf-client", "--metadata-dir", "state", "--metadata-url", server.url + "/metadata", "refresh"])
        XCTAssertEqual(out.status, 1)
        XCTAssertTrue(out.stderr.contains("timestamp.json") && out.stderr.contains("longer than 16384 bytes"), out.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("state/timestamp.json")))
    }

    func testTUFClientReadsARepositoryWrittenByPythonTUF() throws {
        try requirePython("tuf.api.metadata, cryptography")
        let cli = try CLIRunner()
        defer { cli.remove() }
        let base = CLIRunner.model("base")
        let made = try Subprocess.run(Self.python, [RepoPaths.root.appendingPathComponent("Tests/python/python_tuf_repo.py").path,
                                                    cli.path("pyrepo"), base])
        XCTAssertEqual(made.status, 0, made.stderr)
        let server = try RangeServer(python: Self.python, root: cli.path("pyrepo"), log: cli.path("server.log"), cut: nil)
        defer { server.stop() }
        XCTAssertEqual(try cli.adapterpack(["tuf-client", "--metadata-dir", "state", "init", cli.path("pyrepo/metadata/1.root.json")]).status, 0)
        let out = try cli.adapterpack(["tuf-client", "--metadata-dir", "state", "--metadata-url", server.url + "/metadata",
                                       "--target-base-url", server.url + "/targets", "--target-dir", "downloads",
                                       "--target-name", "base.tflite", "download"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: cli.path("downloads/base.tflite")), FileManager.default.contents(atPath: base))
        // An unknown target: exit 1 (the conformance CLI's failure code) with the path named.
        let missing = try cli.adapterpack(["tuf-client", "--metadata-dir", "state", "--metadata-url", server.url + "/metadata",
                                           "--target-base-url", server.url + "/targets", "--target-dir", "downloads",
                                           "--target-name", "other.apb", "download"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("other.apb"), missing.stderr)
    }
}
