import Foundation
import TestSupport
import XCTest

/// `repo stage` workers run side by side by xargs -P, then `repo merge`, through the
/// binary; and the refusals of both.
final class RepoStagingCLITests: XCTestCase {
    var cli: CLIRunner!
    let bundlePub = RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path

    override func setUpWithError() throws {
        guard CLIRunner.binaryIsBuilt else { throw XCTSkip("built adapterpack binary not found next to the test bundle") }
        cli = try CLIRunner()
        for role in ["root", "targets", "snapshot", "timestamp"] {
            XCTAssertEqual(try cli.adapterpack(["keygen", "-o", "\(role).pem"]).status, 0)
        }
        try FileManager.default.createDirectory(atPath: cli.path("bundles"), withIntermediateDirectories: true)
        // One bundle per cohort-free name, rising sequences for the one base model.
        for (i, target) in ["head-ft", "full-ft", "lora"].enumerated() {
            let diff = try cli.adapterpack(["diff", "--base", CLIRunner.model("base"), "--target", CLIRunner.model(target),
                                            "--sequence", "\(i + 1)",
                                            "--key", RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path,
                                            "-o", "bundles/\(target).apb"])
            XCTAssertEqual(diff.status, 0, diff.stderr)
        }
        let made = try cli.adapterpack(["repo", "init", "repo", "--root-key", "root.pem", "--bins", "4", "--targets-key", "targets.pem",
                                        "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"])
        XCTAssertEqual(made.status, 0, made.stderr)
    }

    override func tearDown() { cli?.remove() }

    func testXargsWorkersThenMerge() throws {
        guard CLIRunner.which("xargs") != nil else { throw XCTSkip("xargs not found") }
        // The documented batch engine: one worker per part, two at a time.
        let script = "printf '0\\n1\\n' | xargs -P 2 -I{} '\(CLIRunner.binary.path)' repo stage --part {}/2 --repo repo "
            + "--trusted '\(bundlePub)' --targets-key targets.pem bundles"
        let workers = try cli.run("/bin/sh", ["-c", script])
        XCTAssertEqual(workers.status, 0, workers.stderr)
        XCTAssertTrue(workers.stdout.contains("part 0/2: "), workers.stdout)
        XCTAssertTrue(workers.stdout.contains("part 1/2: "), workers.stdout)
        let before = try cli.adapterpack(["repo", "status", "repo"])
        XCTAssertTrue(before.stdout.contains("0 target(s)"), before.stdout)

        let merge = try cli.adapterpack(["repo", "merge", "--repo", "repo", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertTrue(merge.stdout.contains("3 target(s)"), merge.stdout)
        let status = try cli.adapterpack(["repo", "status", "repo"])
        for name in ["head-ft.apb", "full-ft.apb", "lora.apb"] { XCTAssertTrue(status.stdout.contains(name), status.stdout) }
        let again = try cli.adapterpack(["repo", "merge", "--repo", "repo", "--snapshot-key", "snapshot.pem", "--timestamp-key", "timestamp.pem"])
        XCTAssertTrue(again.stdout.contains("nothing staged"), again.stdout)
    }

    func testRefusals() throws {
        for (part, words) in [("2/2", "0 ≤ I < N"), ("x", "expected I/N"), ("0/8", "4 bins, fewer than 8 parts")] {
            let out = try cli.adapterpack(["repo", "stage", "--part", part, "--repo", "repo", "--trusted", bundlePub,
                                           "--targets-key", "targets.pem", "bundles"])
            XCTAssertNotEqual(out.status, 0, part)
            XCTAssertTrue(out.stderr.contains(words), "\(part): \(out.stderr)")
        }
        let wrongKey = try cli.adapterpack(["repo", "stage", "--part", "0/1", "--repo", "repo", "--trusted", bundlePub,
                                            "--targets-key", "snapshot.pem", "bundles"])
        XCTAssertNotEqual(wrongKey.status, 0)
        XCTAssertTrue(wrongKey.stderr.contains("snapshot.pem (key id"), wrongKey.stderr)
        let merge = try cli.adapterpack(["repo", "merge", "--repo", "repo", "--snapshot-key", "timestamp.pem", "--timestamp-key", "timestamp.pem"])
        XCTAssertNotEqual(merge.status, 0)
        XCTAssertTrue(merge.stderr.contains("is not a key of the snapshot role"), merge.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("repo/.staging/bins-0.json")))
    }
}
