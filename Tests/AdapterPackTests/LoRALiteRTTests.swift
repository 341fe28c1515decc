import XCTest

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
        let corpus = RepoPaths.root.appendingPathComponent("Examples/digits")
        guard FileManager.default.fileExists(atPath: corpus.appendingPathComponent("eval.npz").path) else {
            throw XCTSkip("Examples/digits/eval.npz not present")
        }
        let binary = try XCTUnwrap(Self.adapterpackBinary(), "built adapterpack binary not found next to the test bundle")
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

    static func adapterpackBinary() -> URL? {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            let candidate = bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("adapterpack")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("adapterpack")
        return FileManager.default.isExecutableFile(atPath: beside.path) ? beside : nil
    }
}
