import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack
import TestSupport

/// Spec/vectors: each bundle's `inspect --json` equals its .json file, it
/// verifies and applies, and the writer reproduces it byte for byte.
final class GoldenVectorTests: XCTestCase {
    struct Vector {
        let name: String
        let base: URL
        let target: URL
        let sequence: UInt64
        var blockSize = 2048
        var describe = false
    }

    static var vectors: [Vector] {
        let v = RepoPaths.vectors
        return [
            Vector(name: "digits-head-ft", base: RepoPaths.model("base"),
                   target: RepoPaths.model("head-ft"), sequence: 1),
            Vector(name: "hello-world-tuned", base: v.appendingPathComponent("hello_world_base.tflite"),
                   target: v.appendingPathComponent("hello_world_tuned.tflite"), sequence: 2, blockSize: 256),
            Vector(name: "hello-world-grown", base: v.appendingPathComponent("hello_world_base.tflite"),
                   target: v.appendingPathComponent("hello_world_grown.tflite"), sequence: 3, describe: true),
            // Synthetic fine-tune (adapterpack-bench --perturb, seed 1): `coded` operations.
            Vector(name: "hello-world-finetuned", base: v.appendingPathComponent("hello_world_base.tflite"),
                   target: v.appendingPathComponent("hello_world_finetuned.tflite"), sequence: 4, blockSize: 512),
        ]
    }

    var devKey: SigningKey { get throws { try SigningKey(pemFile: RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path) } }

    func testVectorsMatchTheirJSON() throws {
        for vector in Self.vectors {
            let bundle = try RepoPaths.bytes(RepoPaths.vectors.appendingPathComponent("\(vector.name).apb"))
            let expected = try String(contentsOf: RepoPaths.vectors.appendingPathComponent("\(vector.name).json"), encoding: .utf8)
            let described = try BundleDescription(ParsedBundle(bytes: bundle))
            XCTAssertEqual(described.json(), expected, vector.name)
            // And the other way: the JSON's fields are the bundle's.
            let decoded = try JSONDecoder().decode(BundleDescription.self, from: Data(expected.utf8))
            XCTAssertEqual(decoded, described, vector.name)
        }
    }

    func testVectorsVerifyAndApply() throws {
        let keys = try TrustedKeys(pemFiles: [RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path])
        for vector in Self.vectors {
            let bundle = try RepoPaths.bytes(RepoPaths.vectors.appendingPathComponent("\(vector.name).apb"))
            let base = try RepoPaths.bytes(vector.base), target = try RepoPaths.bytes(vector.target)
            _ = try HostLoader.verify(bundle: bundle, keys: keys, base: base)
            XCTAssertEqual(try HostLoader.apply(bundle: bundle, base: base, keys: keys).model, target, vector.name)
            XCTAssertEqual(try HostLoader.unapply(bundle: bundle, target: target, keys: keys).model, base, vector.name)
        }
    }

    func testWriterReproducesVectorsExactly() throws {
        for vector in Self.vectors {
            var options = BundleOptions()
            options.sequence = vector.sequence
            options.name = vector.name
            options.baseFile = vector.base.lastPathComponent
            options.targetFile = vector.target.lastPathComponent
            options.blockSize = vector.blockSize
            options.describe = vector.describe
            let rebuilt = try DiffBundler.bundle(base: try RepoPaths.bytes(vector.base), target: try RepoPaths.bytes(vector.target),
                                                 key: try devKey, options: options).bytes
            let golden = try RepoPaths.bytes(RepoPaths.vectors.appendingPathComponent("\(vector.name).apb"))
            XCTAssertEqual(rebuilt, golden, "\(vector.name): the writer's bytes changed; if the layout changed on purpose, bump the version, update Spec/ and run Spec/vectors/generate.sh")
        }
    }
}
