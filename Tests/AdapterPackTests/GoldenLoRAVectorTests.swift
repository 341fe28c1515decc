import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack
import TestSupport

/// Spec/vectors/digits-lora.apb (`build` of Examples/digits/lora-adapter) and
/// the restore bundle written beside it: their `inspect --json` equals their
/// .json files, the bundle is one-way (unapply refuses it), the restore
/// bundle brings the base back, and `build` reproduces both byte for byte.
final class GoldenLoRAVectorTests: XCTestCase {
    let names = ["digits-lora", "digits-lora.restore"]

    func vector(_ name: String) throws -> [UInt8] { try RepoPaths.bytes(RepoPaths.vectors.appendingPathComponent(name + ".apb")) }

    func testVectorsMatchTheirJSON() throws {
        for name in names {
            let expected = try String(contentsOf: RepoPaths.vectors.appendingPathComponent(name + ".json"), encoding: .utf8)
            XCTAssertEqual(try BundleDescription(ParsedBundle(bytes: try vector(name))).json(), expected, name)
        }
    }

    func testOneWayBundleAndItsRestoreBundle() throws {
        let keys = try TrustedKeys(pemFiles: [RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path])
        let base = try RepoPaths.bytes(RepoPaths.model("base"))
        let bundle = try vector("digits-lora"), restore = try vector("digits-lora.restore")
        XCTAssertNotEqual(try ParsedBundle(bytes: bundle).header.flags & StreamHeader.oneWayFlag, 0)
        XCTAssertEqual(try ParsedBundle(bytes: restore).header.flags & StreamHeader.oneWayFlag, 0)
        let target = try HostLoader.apply(bundle: bundle, base: base, keys: keys).model
        XCTAssertEqual(target.count, base.count, "a one-way LoRA bundle keeps the base's length")
        XCTAssertThrowsError(try HostLoader.unapply(bundle: bundle, target: target, keys: keys)) { error in
            XCTAssertEqual(error as? LoaderError, .oneWay)
        }
        XCTAssertEqual(try HostLoader.apply(bundle: restore, base: target, keys: keys).model, base)
    }

    func testBuildReproducesVectorsExactly() throws {
        let key = try SigningKey(pemFile: RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path)
        var options = BundleOptions()
        options.sequence = 5
        options.name = "digits-lora"
        options.baseFile = "base.tflite"
        let adapter = RepoPaths.digits.appendingPathComponent("lora-adapter")
        let result = try LoRABundler.build(base: try RepoPaths.bytes(RepoPaths.model("base")),
                                           adapter: try PEFTAdapter(directory: adapter.path),
                                           map: try Data(contentsOf: adapter.appendingPathComponent("tensor_map.json")),
                                           key: key, options: options)
        XCTAssertEqual(result.bundle, try vector("digits-lora"), "build's bytes changed: if on purpose, update Spec/ and run Spec/vectors/generate.sh")
        XCTAssertEqual(result.restore, try vector("digits-lora.restore"), "the restore bundle's bytes changed")
    }
}
