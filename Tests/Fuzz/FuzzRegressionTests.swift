import XCTest
import TestSupport

/// The fuzz targets' checks (Tests/Fuzz/Checks, the same code the libFuzzer
/// binaries run) over every input that once broke them
/// (Tests/Fuzz/regressions/<target>/) and over their seeds, in `swift test`.
final class FuzzRegressionTests: XCTestCase {
    static var checks: [String: @Sendable ([UInt8]) throws(InvariantViolation) -> Void] { [
        "bundle-load": BundleLoadCheck.run, "bundle-verify": VerifyCheck.run,
        "inflate": DecoderChecks.inflate, "coded-values": DecoderChecks.codedValues,
        "op-stream": DecoderChecks.opStream, "chunk-directory": DecoderChecks.chunkDirectory,
        "tflite": HostParserChecks.tflite, "safetensors": HostParserChecks.safetensors,
        "peft-config": HostParserChecks.peftConfig,
    ] }

    func files(_ directory: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { !$0.hasDirectoryPath }.sorted { $0.path < $1.path }
    }

    func testRegressionInputsPassEveryCheck() throws {
        let root = RepoPaths.root.appendingPathComponent("Tests/Fuzz/regressions")
        var count = 0
        for (target, check) in Self.checks {
            for file in files(root.appendingPathComponent(target)) {
                let input = try RepoPaths.bytes(file)
                XCTAssertNoThrow(try check(input), "\(target): \(file.lastPathComponent)")
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 0, "regressions/ holds the inputs fuzzing found")
    }

    /// The seeds are valid inputs: the invariants hold on real bundles end to
    /// end (apply, then unapply back to the base) and on the corpus files.
    func testSeedsPassTheirChecks() throws {
        let vectors = files(RepoPaths.vectors).filter { $0.pathExtension == "apb" }
        XCTAssertFalse(vectors.isEmpty)
        for bundle in vectors {
            let bytes = try RepoPaths.bytes(bundle)
            XCTAssertNoThrow(try BundleLoadCheck.run(bytes), bundle.lastPathComponent)
            XCTAssertNoThrow(try VerifyCheck.run(bytes), bundle.lastPathComponent)
            XCTAssertNoThrow(try DecoderChecks.opStream(bytes))
        }
        for model in files(RepoPaths.root.appendingPathComponent("Examples/digits")).filter({ $0.pathExtension == "tflite" }) {
            XCTAssertNoThrow(try HostParserChecks.tflite(try RepoPaths.bytes(model)), model.lastPathComponent)
        }
        let adapter = RepoPaths.root.appendingPathComponent("Examples/digits/lora-adapter")
        XCTAssertNoThrow(try HostParserChecks.safetensors(try RepoPaths.bytes(adapter.appendingPathComponent("adapter_model.safetensors"))))
        XCTAssertNoThrow(try HostParserChecks.peftConfig(try RepoPaths.bytes(adapter.appendingPathComponent("adapter_config.json"))))
    }
}
