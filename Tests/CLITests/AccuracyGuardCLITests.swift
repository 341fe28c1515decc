import Foundation
import XCTest
import TestSupport

/// `build --max-accuracy-drop D --eval DATA`: the guarded search through
/// TensorFlow Lite Micro's interpreter, checked by an independent TFLM run,
/// and every refusal before any file is written. Needs the venv of
/// .ci/python-env.sh (or $ADAPTERPACK_PYTHON).
final class AccuracyGuardCLITests: GuardedCLITestCase {
    func buildArguments(_ extra: [String], output: String = "g.apb", withPython: Bool = true) -> [String] {
        let adapter = digits.appendingPathComponent("lora-adapter")
        return ["build", "--base", digits.appendingPathComponent("base.tflite").path, "--adapter", adapter.path,
                "--map", adapter.appendingPathComponent("tensor_map.json").path,
                "--key", RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path,
                "-o", cli.path(output)] + (withPython ? ["--python", python] : []) + extra
    }

    func testGuardedBuildIsSmallerAndKeepsTheAccuracyItClaims() throws {
        let reference = digits.appendingPathComponent("lora.tflite").path
        let stdout = try cli.succeed(buildArguments(["--max-accuracy-drop", "0.01", "--eval", digits.appendingPathComponent("eval.npz").path,
                                                     "--eval-split", "shifted", "--reference", reference]))
        XCTAssertTrue(stdout.contains("chosen: factor bits fc1 "), stdout)
        let exact = try cli.succeed(buildArguments([], output: "exact.apb", withPython: false))
        XCTAssertTrue(exact.contains("wrote"), exact)
        let guarded = try RepoPaths.bytes(URL(fileURLWithPath: cli.path("g.apb"))).count
        let plain = try RepoPaths.bytes(URL(fileURLWithPath: cli.path("exact.apb"))).count
        XCTAssertLessThan(guarded, plain * 3 / 4, "the guard should find narrower factors on digits/lora-adapter")
        // The restore bundle comes with it, and the patched model's accuracy holds outside adapterpack.
        XCTAssertTrue(cli.exists("g.restore.apb"))
        try cli.succeed(["apply", cli.path("g.apb"), "--base", digits.appendingPathComponent("base.tflite").path,
                         "--trusted-key", RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path, "-o", cli.path("g.tflite")])
        let patched = try independentAccuracy(cli.path("g.tflite")), floor = try independentAccuracy(reference) - 0.01
        XCTAssertGreaterThanOrEqual(patched, floor - 1e-9)
        XCTAssertTrue(stdout.contains(String(format: "bytes at %.2f %%", 100 * patched)), stdout)
        // The measurement travels in the bundle (metadata tag 7), and report shows it.
        let inspect = try cli.succeed(["inspect", cli.path("g.apb")])
        XCTAssertTrue(inspect.contains(String(format: "approx %.0f ", 10_000 * patched)), inspect)
        let report = try cli.succeed(["report", cli.path("g.apb")])
        XCTAssertTrue(report.contains(String(format: "accuracy: %.2f %% TFLM top-1", 100 * patched)), report)
    }

    /// Data, reference and Python problems are named, with nothing written.
    func testUnusableGuardsAreRefusedBeforeAnyBundleIsWritten() throws {
        func npz(_ name: String, _ arrays: String) throws -> String {
            let path = cli.path(name)
            let out = try cli.run(python, ["-c", "import numpy as np; np.savez('\(path)', \(arrays))"])
            XCTAssertEqual(out.status, 0, out.stderr)
            return path
        }
        let wrongShape = try npz("shape.npz", "x=np.zeros((5, 4, 4, 1), np.int8), y=np.zeros(5, np.int64)")
        let wrongType = try npz("type.npz", "x=np.zeros((5, 8, 8, 1), np.float32), y=np.zeros(5, np.int64)")
        let badLabels = try npz("labels.npz", "x=np.zeros((5, 8, 8, 1), np.int8), y=np.full(5, 10)")
        let eval = digits.appendingPathComponent("eval.npz").path
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: cli.path("broken.tflite")))
        let cases: [([String], String)] = [
            (["--eval", wrongShape], "samples of 'x' are [4, 4, 1], the model's input is [8, 8, 1]"),
            (["--eval", wrongType], "'x' is float32, the model's input is int8"),
            (["--eval", badLabels], "labels run 10 … 10, the model has 10 outputs"),
            (["--eval", eval], "no arrays 'x' and 'y'"),
            (["--eval", eval, "--eval-split", "unseen"], "no arrays 'x_unseen' and 'y_unseen'"),
            (["--eval", eval, "--eval-split", "shifted", "--reference", cli.path("broken.tflite")], "cannot run this model"),
            // A reference this adapter cannot come near: the guard fails before the search.
            (["--eval", eval, "--eval-split", "shifted", "--reference", CLIRunner.model("full-ft")], "even the exact (8-bit) bundle"),
            // The guard holds, the budget does not: both named, with the size.
            (["--eval", eval, "--eval-split", "shifted", "--max-bytes", "1000"], "the guard is met, the budget is not"),
        ]
        for (extra, message) in cases {
            let out = try cli.adapterpack(buildArguments(["--max-accuracy-drop", "0.01"] + extra))
            XCTAssertEqual(out.status, 1, "\(extra): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(message), "\(extra): \(out.stderr)")
            XCTAssertFalse(cli.exists("g.apb") || cli.exists("g.restore.apb"), "\(extra): a file was written")
        }
        var noPython = buildArguments(["--max-accuracy-drop", "0.01", "--eval", eval])
        noPython[noPython.firstIndex(of: python)!] = cli.path("no-python")
        let out = try cli.adapterpack(noPython)
        XCTAssertEqual(out.status, 1)
        XCTAssertTrue(out.stderr.contains("no Python at"), out.stderr)
        XCTAssertFalse(cli.exists("g.apb"))
    }

    func testGuardOptionsAreCheckedTogether() throws {
        let eval = digits.appendingPathComponent("eval.npz").path
        for (extra, message) in [
            (["--max-accuracy-drop", "0.01"], "needs --eval"),
            (["--max-accuracy-drop", "2", "--eval", eval], "not a fraction 0 … 1"),
            (["--max-accuracy-drop", "0.01", "--eval", eval, "--factor-bits", "6"], "give one"),
        ] as [([String], String)] {
            let out = try cli.adapterpack(buildArguments(extra))
            XCTAssertEqual(out.status, 64, "\(extra): \(out.stderr)")
            XCTAssertTrue(out.stderr.contains(message), "\(extra): \(out.stderr)")
        }
        // --eval (and --python, which every call here gives) without the guard.
        let out = try cli.adapterpack(buildArguments(["--eval", eval]))
        XCTAssertEqual(out.status, 64)
        XCTAssertTrue(out.stderr.contains("give --max-accuracy-drop too"), out.stderr)
        XCTAssertFalse(cli.exists("g.apb"))
    }
}
