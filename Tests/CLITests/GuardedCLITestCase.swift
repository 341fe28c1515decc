import Foundation
import XCTest
import TestSupport

/// Shared by the accuracy-guard tests: the venv's Python (made by
/// .ci/python-env.sh, or $ADAPTERPACK_PYTHON; skipped without it), a CLI
/// runner, and TFLM's accuracy of a model computed outside adapterpack.
class GuardedCLITestCase: XCTestCase {
    var cli: CLIRunner!
    var python = ""

    override func setUpWithError() throws {
        python = ProcessInfo.processInfo.environment["ADAPTERPACK_PYTHON"]
            ?? RepoPaths.root.appendingPathComponent(".build-venv/bin/python3").path
        guard FileManager.default.isExecutableFile(atPath: python) else { throw XCTSkip("no Python venv at \(python): run .ci/python-env.sh") }
        guard CLIRunner.binaryIsBuilt else { throw XCTSkip("built adapterpack binary not found next to the test bundle") }
        cli = try CLIRunner()
    }

    override func tearDown() { cli?.remove() }

    var digits: URL { RepoPaths.digits }

    /// Top-1 accuracy of `model` on eval.npz's shifted split, by TFLM (Tests/python/judges.py).
    func independentAccuracy(_ model: String) throws -> Double {
        let code = """
        import sys; sys.path.insert(0, '\(RepoPaths.root.appendingPathComponent("Tests/python").path)')
        import numpy as np, judges
        d = np.load('\(digits.appendingPathComponent("eval.npz").path)')
        print(judges.tflm_accuracy(open('\(model)', 'rb').read(), d['x_shifted'], d['y_shifted']))
        """
        let out = try cli.run(python, ["-c", code])
        XCTAssertEqual(out.status, 0, out.stderr)
        return try XCTUnwrap(Double(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
