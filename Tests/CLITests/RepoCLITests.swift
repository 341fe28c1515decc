import Foundation
import TestSupport
import XCTest

/// `adapterpack repo` refusals through the binary: exit status 1, a message naming the
/// problem on stderr, and the repository directory byte-for-byte unchanged.
final class RepoCLITests: XCTestCase {
    var cli: CLIRunner!
    let roleKeys = ["--targets-key", "targets.pem", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"]
    let bundlePub = RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path

    override func setUpWithError() throws {
        guard CLIRunner.binaryIsBuilt else { throw XCTSkip("built adapterpack binary not found next to the test bundle") }
        cli = try CLIRunner()
        for role in ["root", "root2", "targets", "snapshot", "timestamp"] {
            XCTAssertEqual(try cli.adapterpack(["keygen", "-o", "\(role).pem"]).status, 0)
        }
        let diff = try cli.adapterpack(["diff", "--base", CLIRunner.model("base"), "--target", CLIRunner.model("head-ft"),
                                        "--key", RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path, "-o", "b.apb"])
        XCTAssertEqual(diff.status, 0, diff.stderr)
        XCTAssertEqual(try cli.adapterpack(["repo", "init", "repo", "--root-key", "root.pem"] + roleKeys).status, 0)
    }

    override func tearDown() { cli?.remove() }

    func snapshot(_ dir: String) -> [String: Data] {
        var out: [String: Data] = [:]
        let root = cli.path(dir)
        for case let item as String in FileManager.default.enumerator(atPath: root) ?? FileManager.default.enumerator(atPath: "/dev/null")! {
            if let data = FileManager.default.contents(atPath: root + "/" + item) { out[item] = data }
        }
        return out
    }

    func refused(_ arguments: [String], _ words: [String], dir: String = "repo", file: StaticString = #filePath, line: UInt = #line) throws {
        let before = snapshot(dir)
        let out = try cli.adapterpack(arguments)
        XCTAssertNotEqual(out.status, 0, "accepted: \(arguments)", file: file, line: line)
        for word in words {
            XCTAssertTrue(out.stderr.contains(word), "stderr lacks \"\(word)\": \(out.stderr)", file: file, line: line)
        }
        XCTAssertEqual(snapshot(dir), before, "refused command changed \(dir)", file: file, line: line)
    }

    func testRefusals() throws {
        // A bundle that does not verify (one byte changed).
        var bytes = try Data(contentsOf: URL(fileURLWithPath: cli.path("b.apb")))
        bytes[bytes.count - 10] ^= 1
        try bytes.write(to: URL(fileURLWithPath: cli.path("bad.apb")))
        try refused(["repo", "publish", "bad.apb", "--repo", "repo", "--trusted", bundlePub] + roleKeys,
                    ["bad.apb does not verify with the trusted keys", "not published"])
        // A key that is not the role's key.
        try refused(["repo", "publish", "b.apb", "--repo", "repo", "--trusted", bundlePub,
                     "--targets-key", "root.pem", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"],
                    ["root.pem (key id", "is not a key of the targets role"])
        try refused(["repo", "timestamp", "--repo", "repo", "--timestamp-key", "snapshot.pem"], ["not a key of the timestamp role"])
        // Root signing below its threshold: nothing created.
        try refused(["repo", "init", "repo2", "--root-key", "root.pem", "--root-public-key", "root2.pem", "--root-threshold", "2"] + roleKeys,
                    ["the root role needs 2 signing keys, 1 given"], dir: ".")
        XCTAssertFalse(cli.exists("repo2"))
        // A directory that is not a repository.
        try FileManager.default.createDirectory(atPath: cli.path("plain"), withIntermediateDirectories: true)
        try refused(["repo", "publish", "b.apb", "--repo", "plain", "--trusted", bundlePub] + roleKeys,
                    ["plain is not a TUF repository", "no metadata/timestamp.json"], dir: "plain")
        try refused(["repo", "status", "nowhere"], ["nowhere is not a TUF repository"], dir: ".")
        // Cohort and device class names with path characters.
        for cohort in ["../x", "a/b", ".git"] {
            try refused(["repo", "publish", "b.apb", "--repo", "repo", "--cohort", cohort, "--trusted", bundlePub] + roleKeys,
                        ["cohort \"\(cohort)\" is not a plain name"])
        }
        // Sequence not above what the repository holds.
        XCTAssertEqual(try cli.adapterpack(["repo", "publish", "b.apb", "--repo", "repo", "--trusted", bundlePub] + roleKeys).status, 0)
        try FileManager.default.copyItem(atPath: cli.path("b.apb"), toPath: cli.path("again.apb"))
        try refused(["repo", "publish", "again.apb", "--repo", "repo", "--trusted", bundlePub] + roleKeys,
                    ["again.apb has sequence 1", "already holds sequence 1 (b.apb)"])
        // Re-initialising an existing repository.
        try refused(["repo", "init", "repo", "--root-key", "root.pem"] + roleKeys, ["already holds a TUF repository"])
    }

    func testStatusShowsVersionsAndExpiry() throws {
        XCTAssertEqual(try cli.adapterpack(["repo", "publish", "b.apb", "--repo", "repo", "--cohort", "beta", "--trusted", bundlePub,
                                            "--targets-expires", "30d"] + roleKeys).status, 0)
        let out = try cli.adapterpack(["repo", "status", "repo"])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertTrue(out.stdout.contains("targets    v2"), out.stdout)
        XCTAssertTrue(out.stdout.contains("(in 29d)"), out.stdout)
        XCTAssertTrue(out.stdout.contains("beta/b.apb  seq 1"), out.stdout)
    }

    func testStatusJSON() throws {
        XCTAssertEqual(try cli.adapterpack(["repo", "publish", "b.apb", "--repo", "repo", "--cohort", "beta", "--trusted", bundlePub]
                                           + roleKeys).status, 0)
        let out = try cli.adapterpack(["repo", "status", "repo", "--json"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let roles = try XCTUnwrap(object["roles"] as? [String: [String: Any]])
        XCTAssertEqual(roles["targets"]?["version"] as? Int, 2)
        XCTAssertEqual(roles["timestamp"]?["expired"] as? Bool, false)
        let target = try XCTUnwrap((object["targets"] as? [String: [String: Any]])?["beta/b.apb"])
        XCTAssertEqual(((target["custom"] as? [String: Any])?["adapterpack"] as? [String: Any])?["sequence"] as? Int, 1)
    }
}
