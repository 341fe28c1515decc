import XCTest
import TestSupport

/// Patched models judged by TensorFlow Lite Micro's interpreter (the device's
/// runtime) and LiteRT on eval.npz. Tests/python/lora_accuracy.py: `build` →
/// `apply`, each interpreter's accuracy against its own of the float-merged
/// reference, then the base must come back byte for byte;
/// Tests/python/diff_accuracy.py: `diff` → `apply` gives the fine-tune's bytes
/// and accuracy. Skipped when the venv from .ci/python-env.sh (or
/// $ADAPTERPACK_PYTHON) is absent.
final class PatchedModelAccuracyTests: XCTestCase {
    func testDenseAdapterAccuracyUnderTFLMAndLiteRT() throws {
        try run("lora_accuracy.py", fixture: RepoPaths.digits)
    }

    /// PEFT's Conv2d LoRA (Examples/digits-conv, made by its generate.py).
    func testConvAdapterAccuracyUnderTFLMAndLiteRT() throws {
        try run("lora_accuracy.py", fixture: RepoPaths.root.appendingPathComponent("Examples/digits-conv"))
    }

    func testDiffPatchedModelsUnderTFLMAndLiteRT() throws {
        try run("diff_accuracy.py", fixture: RepoPaths.digits, extra: ["head-ft", "full-ft"])
    }

    func run(_ script: String, fixture: URL, extra: [String] = []) throws {
        let env = ProcessInfo.processInfo.environment
        let python = env["ADAPTERPACK_PYTHON"] ?? RepoPaths.root.appendingPathComponent(".build-venv/bin/python3").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("no Python venv at \(python): run .ci/python-env.sh")
        }
        guard FileManager.default.fileExists(atPath: fixture.appendingPathComponent("eval.npz").path) else {
            throw XCTSkip("\(fixture.path)/eval.npz not present")
        }
        guard CLIRunner.binaryIsBuilt else { return XCTFail("built adapterpack binary not found next to the test bundle") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [RepoPaths.root.appendingPathComponent("Tests/python/" + script).path, CLIRunner.binary.path,
                             "--corpus", fixture.path, "--key", RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path]
            + extra
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print(text.split(separator: "\n").filter { !$0.hasPrefix("INFO:") }.joined(separator: "\n"))
        XCTAssertEqual(process.terminationStatus, 0, "\(script) on \(fixture.lastPathComponent) failed:\n\(text)")
    }
}
