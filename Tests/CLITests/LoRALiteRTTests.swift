import XCTest
import TestSupport

/// Runs Tests/python/lora_accuracy.py: `adapterpack build` → `apply` → the
/// LiteRT interpreter on eval.npz, compared with eval.json; then `unapply`
/// must give the base back. Skipped when the venv from .ci/python-env.sh
/// (or $ADAPTERPACK_PYTHON) is absent.
final class LoRALiteRTTests: XCTestCase {
    func testShiftedDomainAccuracyWithLiteRT() throws {
        let env = ProcessInfo.processInfo.environment
        let python = env["ADAPTERPACK_PYTHON"] ?? RepoPaths.root.appendingPathComponent(".build-venv/bin/python3").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("no LiteRT venv at \(python): run .ci/python-env.sh")
        }
        let corpus = RepoPaths.digits
        guard FileManager.default.fileExists(atPath: corpus.appendingPathComponent("eval.npz").path) else {
            throw XCTSkip("Examples/digits/eval.npz not present")
        }
        guard CLIRunner.binaryIsBuilt else { return XCTFail("built adapterpack binary not found next to the test bundle") }
        let binary = CLIRunner.binary
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [RepoPaths.root.appendingPathComponent("Tests/python/lora_accuracy.py").path, binary.path,
                             "--corpus", corpus.path, "--key", RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print(text.split(separator: "\n").filter { !$0.hasPrefix("INFO:") }.joined(separator: "\n"))
        XCTAssertEqual(process.terminationStatus, 0, "LiteRT accuracy check failed:\n\(text)")
    }
}
