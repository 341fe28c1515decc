import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `adapterpack repo` against real TUF clients: nginx (started here on 127.0.0.1, a free
/// port, a config written into the scratch folder) serves the repository directory, and
/// python-tuf's `tuf.ngclient.Updater` (Tests/python/tuf_client.py, in the venv of
/// .ci/python-env.sh) refreshes, finds every published bundle and downloads it; the
/// script also loads every metadata file with `Metadata.from_file` and checks its
/// signatures with the delegator's keys. Then a second publish and a `repo timestamp`,
/// and the same client (same metadata cache) updates again.
final class RepoInteropTests: XCTestCase {
    static var python: String {
        ProcessInfo.processInfo.environment["ADAPTERPACK_PYTHON"]
            ?? RepoPaths.root.appendingPathComponent(".build-venv/bin/python3").path
    }

    static var nginx: String? {
        Subprocess.which("nginx") ?? ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    func testPythonTUFClientUpdatesFromNginx() throws {
        guard let nginx = Self.nginx else { throw XCTSkip("nginx not installed (Debian package nginx; .ci/run installs it)") }
        guard FileManager.default.isExecutableFile(atPath: Self.python),
              (try? Subprocess.run(Self.python, ["-c", "import tuf.ngclient"]))?.status == 0
        else { throw XCTSkip("no python-tuf in \(Self.python): run .ci/python-env.sh") }
        guard CLIRunner.binaryIsBuilt else { return XCTFail("built adapterpack binary not found next to the test bundle") }

        let cli = try CLIRunner()
        defer { cli.remove() }
        func ok(_ arguments: [String]) throws -> String { try cli.succeed(arguments) }
        for role in ["root", "targets", "snapshot", "timestamp"] { _ = try ok(["keygen", "-o", "\(role).pem"]) }
        let bundleKey = RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path
        let bundlePub = RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path
        let base = CLIRunner.model("base")
        for (name, target, sequence) in [("head-1.apb", "head-ft", 1), ("full-1.apb", "full-ft", 1), ("head-2.apb", "head-ft", 2)] {
            _ = try ok(["diff", "--base", base, "--target", CLIRunner.model(target), "--key", bundleKey,
                        "--sequence", "\(sequence)", "--max-bytes", "1000000", "-o", name])
        }
        let roleKeys = ["--targets-key", "targets.pem", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"]
        _ = try ok(["repo", "init", "repo", "--root-key", "root.pem"] + roleKeys)
        _ = try ok(["repo", "publish", "head-1.apb", "--repo", "repo", "--cohort", "beta", "--device-class", "cortex-m4",
                    "--trusted", bundlePub] + roleKeys)
        _ = try ok(["repo", "publish", "full-1.apb", "--repo", "repo", "--trusted", bundlePub] + roleKeys)

        let server = try NginxServer(nginx: nginx, root: cli.path("repo"), scratch: cli.path("nginx"))
        defer { server.stop() }

        // First update: every published bundle, byte for byte, with adapterpack's custom fields.
        let first = try client(cli, server, ["beta/head-1.apb", "full-1.apb"])
        try checkDownloads(first, cli, ["beta/head-1.apb": "head-1.apb", "full-1.apb": "full-1.apb"])
        let custom = try XCTUnwrap((first.targets["beta/head-1.apb"]?["custom"] as? [String: Any])?["adapterpack"] as? [String: Any])
        XCTAssertEqual(custom["cohort"] as? String, "beta")
        XCTAssertEqual(custom["device_class"] as? String, "cortex-m4")
        XCTAssertEqual(custom["sequence"] as? Int, 1)
        XCTAssertEqual(custom["format_version"] as? String, "3.0")
        XCTAssertEqual((custom["base_sha256"] as? String)?.count, 64)
        XCTAssertEqual(first.versions, ["timestamp": 3, "snapshot": 3, "targets": 3])
        XCTAssertTrue(Set(first.checked).isSuperset(of: ["1.root.json", "root.json", "timestamp.json", "3.snapshot.json", "3.targets.json"]),
                      "\(first.checked)")

        // Second publish and a timestamp refresh: the same client cache updates.
        _ = try ok(["repo", "publish", "head-2.apb", "--repo", "repo", "--cohort", "beta", "--trusted", bundlePub] + roleKeys)
        _ = try ok(["repo", "timestamp", "--repo", "repo", "--timestamp-key", "timestamp.pem"])
        let second = try client(cli, server, ["beta/head-1.apb", "beta/head-2.apb", "full-1.apb"])
        try checkDownloads(second, cli, ["beta/head-1.apb": "head-1.apb", "beta/head-2.apb": "head-2.apb", "full-1.apb": "full-1.apb"])
        XCTAssertEqual(second.versions, ["timestamp": 5, "snapshot": 4, "targets": 4])
        XCTAssertEqual(second.rootVersion, 1)

        // Root rotated to two new keys (threshold 2) and a bundle revoked: the client walks
        // 1.root.json → 2.root.json and no longer finds the revoked target.
        for name in ["root-b", "root-c"] { _ = try ok(["keygen", "-o", "\(name).pem"]) }
        _ = try ok(["repo", "rotate", "--role", "root", "--repo", "repo", "--root-key", "root.pem",
                    "--new-root-key", "root-b.pem", "--new-root-key", "root-c.pem", "--root-threshold", "2"])
        // Then the timestamp and targets keys are replaced (root v3, v4; their metadata signed
        // by old and new key in between), and the revocation is signed with the new keys.
        for name in ["timestamp-2", "targets-2"] { _ = try ok(["keygen", "-o", "\(name).pem"]) }
        let newRoots = ["--root-key", "root-b.pem", "--root-key", "root-c.pem"]
        _ = try ok(["repo", "rotate", "--role", "timestamp", "--repo", "repo", "--new-key", "timestamp-2.pem"] + newRoots + roleKeys)
        _ = try ok(["repo", "rotate", "--role", "targets", "--repo", "repo", "--new-key", "targets-2.pem"] + newRoots
                   + ["--targets-key", "targets.pem", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp-2.pem"])
        let newRoleKeys = ["--targets-key", "targets-2.pem", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp-2.pem"]
        let stale = try cli.adapterpack(["repo", "revoke", "full-1.apb", "--repo", "repo"] + roleKeys)
        XCTAssertTrue(stale.status != 0 && stale.stderr.contains("is not a key of the targets role"), stale.stderr)
        _ = try ok(["repo", "revoke", "full-1.apb", "--repo", "repo"] + newRoleKeys)
        let third = try client(cli, server, ["beta/head-1.apb", "beta/head-2.apb"], absent: ["full-1.apb"])
        try checkDownloads(third, cli, ["beta/head-1.apb": "head-1.apb", "beta/head-2.apb": "head-2.apb"])
        XCTAssertEqual(third.rootVersion, 4)
        XCTAssertEqual(third.versions, ["timestamp": 8, "snapshot": 7, "targets": 6])
        XCTAssertTrue(Set(third.checked).isSuperset(of: ["2.root.json", "3.root.json", "4.root.json"]), "\(third.checked)")

        // The client fetched versioned metadata and hash-prefixed targets through nginx.
        let log = try String(contentsOfFile: server.accessLog, encoding: .utf8)
        for request in ["GET /metadata/timestamp.json", "GET /metadata/4.snapshot.json", "GET /metadata/4.targets.json",
                        "GET /metadata/2.root.json", "GET /metadata/4.root.json", "GET /metadata/6.targets.json",
                        "GET /targets/beta/"] {
            XCTAssertTrue(log.contains(request), "nginx log lacks \(request):\n\(log)")
        }

        let status = try ok(["repo", "status", "repo"])
        XCTAssertTrue(status.contains("root       v4"), status)
        XCTAssertTrue(status.contains("timestamp  v8"), status)
        XCTAssertTrue(status.contains("2 target(s)"), status)
    }

    /// The same with hashed bins (`repo init --bins 16`): the client follows targets.json's
    /// delegations to the bin of each target path.
    func testPythonTUFClientFollowsHashedBins() throws {
        guard let nginx = Self.nginx else { throw XCTSkip("nginx not installed (Debian package nginx; .ci/run installs it)") }
        guard FileManager.default.isExecutableFile(atPath: Self.python),
              (try? Subprocess.run(Self.python, ["-c", "import tuf.ngclient"]))?.status == 0
        else { throw XCTSkip("no python-tuf in \(Self.python): run .ci/python-env.sh") }
        guard CLIRunner.binaryIsBuilt else { return XCTFail("built adapterpack binary not found next to the test bundle") }

        let cli = try CLIRunner()
        defer { cli.remove() }
        func ok(_ arguments: [String]) throws { try cli.succeed(arguments) }
        for role in ["root", "targets", "snapshot", "timestamp"] { try ok(["keygen", "-o", "\(role).pem"]) }
        let bundleKey = RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path
        let bundlePub = RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path
        for (name, target, sequence) in [("head-1.apb", "head-ft", 1), ("full-2.apb", "full-ft", 2)] {
            try ok(["diff", "--base", CLIRunner.model("base"), "--target", CLIRunner.model(target), "--key", bundleKey,
                    "--sequence", "\(sequence)", "--max-bytes", "1000000", "-o", name])
        }
        let roleKeys = ["--targets-key", "targets.pem", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"]
        try ok(["repo", "init", "repo", "--bins", "16", "--root-key", "root.pem"] + roleKeys)
        var expected: [String: String] = [:]
        for cohort in ["alpha", "beta", "gamma", "delta"] {
            try ok(["repo", "publish", "head-1.apb", "--repo", "repo", "--cohort", cohort, "--trusted", bundlePub] + roleKeys)
            expected["\(cohort)/head-1.apb"] = "head-1.apb"
        }
        let server = try NginxServer(nginx: nginx, root: cli.path("repo"), scratch: cli.path("nginx"))
        defer { server.stop() }
        let first = try client(cli, server, expected.keys.sorted())
        try checkDownloads(first, cli, expected)
        XCTAssertEqual(first.versions["targets"], 1, "targets.json is not re-signed by publishes")
        XCTAssertTrue(first.checked.contains("1.bins-0.json"), "\(first.checked)")

        try ok(["repo", "publish", "full-2.apb", "--repo", "repo", "--cohort", "beta", "--trusted", bundlePub] + roleKeys)
        try ok(["repo", "timestamp", "--repo", "repo", "--timestamp-key", "timestamp.pem"])
        expected["beta/full-2.apb"] = "full-2.apb"
        let second = try client(cli, server, expected.keys.sorted())
        try checkDownloads(second, cli, expected)
        XCTAssertEqual(second.versions["timestamp"], 7)
        let log = try String(contentsOfFile: server.accessLog, encoding: .utf8)
        XCTAssertTrue(log.contains("GET /metadata/2.bins-"), "the client fetched no bin:\n\(log)")

        // Parallel workers (repo stage, one per part) and one merge: the client follows them too.
        for part in 0 ..< 4 {
            try ok(["repo", "stage", "head-1.apb", "--part", "\(part)/4", "--repo", "repo", "--cohort", "zeta",
                    "--trusted", bundlePub, "--targets-key", "targets.pem"])
        }
        try ok(["repo", "merge", "--repo", "repo", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"])
        expected["zeta/head-1.apb"] = "head-1.apb"
        let third = try client(cli, server, expected.keys.sorted())
        try checkDownloads(third, cli, expected)
        XCTAssertEqual(third.versions["timestamp"], 8)
    }

    struct ClientResult {
        var checked: [String]
        var targets: [String: [String: Any]]
        var versions: [String: Int]
        var rootVersion: Int
    }

    func client(_ cli: CLIRunner, _ server: NginxServer, _ targets: [String], absent: [String] = []) throws -> ClientResult {
        let script = RepoPaths.root.appendingPathComponent("Tests/python/tuf_client.py").path
        let out = try cli.run(Self.python, [script, "--repo", cli.path("repo"), "--base-url", server.url,
                                            "--client-dir", cli.path("client"), "--out", cli.path("downloads")]
                                 + absent.flatMap { ["--absent", $0] } + targets)
        guard out.status == 0 else {
            XCTFail("tuf_client.py failed (\(out.status)):\n\(out.stderr)\n\(out.stdout)")
            throw XCTSkip("client failed")
        }
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        return ClientResult(checked: object["checked"] as? [String] ?? [],
                            targets: object["targets"] as? [String: [String: Any]] ?? [:],
                            versions: object["versions"] as? [String: Int] ?? [:],
                            rootVersion: object["root_version"] as? Int ?? 0)
    }

    func checkDownloads(_ result: ClientResult, _ cli: CLIRunner, _ expected: [String: String]) throws {
        XCTAssertEqual(Set(result.targets.keys), Set(expected.keys))
        for (path, bundle) in expected {
            let file = try XCTUnwrap(result.targets[path]?["file"] as? String, path)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), try Data(contentsOf: URL(fileURLWithPath: cli.path(bundle))),
                           "\(path): downloaded bytes differ from \(bundle)")
        }
    }
}

/// nginx in the foreground (`daemon off`) serving one directory on 127.0.0.1.
final class NginxServer {
    let process = Process()
    let port: Int
    let accessLog: String
    var url: String { "http://127.0.0.1:\(port)" }

    init(nginx: String, root: String, scratch: String) throws {
        try FileManager.default.createDirectory(atPath: scratch + "/tmp", withIntermediateDirectories: true)
        port = try Self.freePort()
        accessLog = scratch + "/access.log"
        let temps = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map { "    \($0)_temp_path \(scratch)/tmp/\($0);" }
        let conf = """
            worker_processes 1;
            daemon off;
            pid \(scratch)/nginx.pid;
            error_log \(scratch)/error.log;
            events { worker_connections 64; }
            http {
                access_log \(accessLog);
            \(temps.joined(separator: "\n"))
                types { application/json json; application/octet-stream apb; }
                default_type application/octet-stream;
                server {
                    listen 127.0.0.1:\(port);
                    root \(root);
                    location / { }
                }
            }

            """
        try conf.write(toFile: scratch + "/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: nginx)
        process.arguments = ["-c", scratch + "/nginx.conf", "-p", scratch]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when the port accepts connections.
        for _ in 0 ..< 200 {
            if Self.canConnect(port) { return }
            if !process.isRunning { break }
            usleep(25_000)
        }
        let errors = (try? String(contentsOfFile: scratch + "/error.log", encoding: .utf8)) ?? ""
        stop()
        throw NSError(domain: "NginxServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "nginx did not start on port \(port): \(errors)"])
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// A port the kernel picks for a socket bound to 127.0.0.1:0 (then closed).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NSError(domain: "NginxServer", code: 2) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw NSError(domain: "NginxServer", code: 3) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
