import Foundation
import XCTest
import TestSupport

/// `diff --lossy --max-accuracy-drop D --eval DATA`: a full fine-tune sent as
/// a low-rank approximation that keeps accuracy, checked by an independent
/// TFLM run, with its restore bundle, its metadata, `report`'s accuracy
/// column, and every refusal before any file is written. Needs the venv of
/// .ci/python-env.sh (or $ADAPTERPACK_PYTHON).
final class LossyDiffCLITests: GuardedCLITestCase {

    var eval: String { digits.appendingPathComponent("eval.npz").path }
    var publicKey: String { RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path }

    func diffArguments(target: String = "full-ft", _ extra: [String], output: String = "l.apb") -> [String] {
        ["diff", "--base", CLIRunner.model("base"), "--target", CLIRunner.model(target),
         "--key", RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path, "-o", cli.path(output),
         "--lossy", "--python", python] + extra
    }

    func testLossyFullFineTuneIsUnderEightKilobytesWithinTwoPoints() throws {
        let stdout = try cli.succeed(diffArguments(["--max-accuracy-drop", "0.02", "--eval", eval, "--eval-split", "shifted",
                                                    "--max-window", "16384"]))
        XCTAssertTrue(stdout.contains("lossy: the device's model is an approximation"), stdout)
        let bundle = try RepoPaths.bytes(URL(fileURLWithPath: cli.path("l.apb")))
        XCTAssertLessThanOrEqual(bundle.count, 8192, "issue #15: digits/full-ft lossy ≤ 8 KB within 2 points")
        // The device loader applies it; its model holds the accuracy outside adapterpack.
        try cli.succeed(["apply", cli.path("l.apb"), "--base", CLIRunner.model("base"), "--trusted-key", publicKey,
                         "-o", cli.path("l.tflite")])
        let patched = try independentAccuracy(cli.path("l.tflite"))
        let reference = try independentAccuracy(CLIRunner.model("full-ft"))
        XCTAssertGreaterThanOrEqual(patched, reference - 0.02 - 1e-9)
        XCTAssertNotEqual(try RepoPaths.bytes(URL(fileURLWithPath: cli.path("l.tflite"))),
                          RepoPaths.modelBytes("full-ft"), "a lossy bundle's model is an approximation")
        // One-way: unapply refuses, the restore bundle brings the base back byte for byte.
        let unapply = try cli.adapterpack(["unapply", cli.path("l.apb"), "--target", cli.path("l.tflite"),
                                           "--trusted-key", publicKey, "-o", cli.path("back.tflite")])
        XCTAssertEqual(unapply.status, 1)
        XCTAssertTrue(unapply.stderr.contains("one-way"), unapply.stderr)
        try cli.succeed(["apply", cli.path("l.restore.apb"), "--base", cli.path("l.tflite"), "--trusted-key", publicKey,
                         "-o", cli.path("back.tflite")])
        XCTAssertEqual(try RepoPaths.bytes(URL(fileURLWithPath: cli.path("back.tflite"))), RepoPaths.modelBytes("base"))
        // The metadata says it is approximate and what was measured; report shows it next to the bytes.
        let inspect = try cli.succeed(["inspect", cli.path("l.apb")])
        XCTAssertTrue(inspect.contains(String(format: "approx %.0f %.0f 200", patched * 10_000, reference * 10_000)), inspect)
        let report = try cli.succeed(["report", cli.path("l.apb"), "--base", CLIRunner.model("base")])
        XCTAssertTrue(report.contains(String(format: "accuracy: %.2f %% TFLM top-1 (reference %.2f %%", 100 * patched, 100 * reference)),
                      report)
        XCTAssertTrue(report.contains("approx"), report)
    }

    /// A budget the guard cannot meet, a reference the exact change cannot
    /// reach, nothing to approximate: each named, no file written.
    func testUnmeetableRequestsAreRefusedBeforeAnyBundleIsWritten() throws {
        let cases: [([String], String, String)] = [
            (["--max-accuracy-drop", "0.02", "--eval", eval, "--eval-split", "shifted", "--max-window", "16384", "--max-bytes", "3000"],
             "full-ft", "over the 3000-byte budget (--max-bytes): the guard is met, the budget is not"),
            (["--max-accuracy-drop", "0.02", "--eval", eval, "--eval-split", "shifted", "--reference", CLIRunner.model("full-ft")],
             "head-ft", "even the exact change scores"),
            (["--max-accuracy-drop", "0.02", "--eval", eval, "--eval-split", "shifted"], "base", "no int8 weight tensor of --target differs"),
            (["--max-accuracy-drop", "0.02", "--eval", eval], "full-ft", "no arrays 'x' and 'y'"),
        ]
        for (extra, target, message) in cases {
            let out = try cli.adapterpack(diffArguments(target: target, extra))
            XCTAssertEqual(out.status, 1, "\(extra): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(message), "\(extra): \(out.stderr)")
            XCTAssertFalse(cli.exists("l.apb") || cli.exists("l.restore.apb"), "\(extra): a file was written")
        }
    }

    func testLossyOptionsAreCheckedTogether() throws {
        let base = ["diff", "--base", CLIRunner.model("base"), "--target", CLIRunner.model("full-ft"),
                    "--key", RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path, "-o", cli.path("l.apb")]
        for (extra, message) in [
            (["--lossy"], "--lossy needs --max-accuracy-drop"),
            (["--max-accuracy-drop", "0.01", "--eval", eval], "add --lossy"),
            (["--lossy", "--max-accuracy-drop", "0.01"], "needs --eval"),
            (["--lossy", "--max-accuracy-drop", "0.01", "--eval", eval, "--raw"], "cannot be combined with --raw"),
            (["--lossy", "--max-accuracy-drop", "0.01", "--eval", eval, "--without", "low-rank"], "drop --without low-rank or --lossy"),
            (["--restore", cli.path("r.apb")], "--restore names the restore bundle of a --lossy bundle"),
            (["--eval", eval], "give --max-accuracy-drop too"),
        ] as [([String], String)] {
            let out = try cli.adapterpack(base + extra)
            XCTAssertEqual(out.status, 64, "\(extra): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(message), "\(extra): \(out.stderr)")
            XCTAssertFalse(cli.exists("l.apb"))
        }
    }
}
