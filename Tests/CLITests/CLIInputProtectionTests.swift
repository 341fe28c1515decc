import Foundation
import XCTest
import AdapterPack
import TestSupport

/// Issue 17 (diff, build, apply, unapply): the CLI refuses broken models, outputs
/// that are one of its inputs, numeric options out of range, a power cut past the
/// end, and adapters that do not fit the base. Every refusal runs the built binary
/// and checks the exit code, the message, that the inputs are byte for byte as
/// before and that the output path was not created.
final class CLIInputProtectionTests: XCTestCase {
    var cli: CLIRunner!
    let key = RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path
    let pub = RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path
    let adapter = RepoPaths.digits.appendingPathComponent("lora-adapter").path
    func model(_ name: String) -> String { CLIRunner.model(name) }

    override func setUpWithError() throws {
        guard CLIRunner.binaryIsBuilt else { throw XCTSkip("built adapterpack binary not found next to the test bundle") }
        cli = try CLIRunner()
    }

    override func tearDown() { cli?.remove() }

    /// SHA-256 of each file (nil when absent).
    func hashes(_ paths: [String]) -> [String: String?] {
        var result: [String: String?] = [:]
        for path in paths {
            result[path] = (try? Data(contentsOf: URL(fileURLWithPath: path))).map { sha256([UInt8]($0)).hex }
        }
        return result
    }

    /// Runs `arguments`, expects a non-zero exit with every one of `messages` on stderr,
    /// `inputs` unchanged, `absent` not created and no temporary file left behind.
    @discardableResult
    func expectRefusal(_ arguments: [String], _ messages: [String], inputs: [String], absent: [String] = [],
                       status: Int32? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> CLIRunner.Output {
        let before = hashes(inputs)
        let result = try cli.adapterpack(arguments)
        let command = arguments.joined(separator: " ")
        XCTAssertNotEqual(result.status, 0, "\(command) succeeded:\n\(result.stdout)", file: file, line: line)
        if let status { XCTAssertEqual(result.status, status, "\(command): \(result.stderr)", file: file, line: line) }
        for message in messages {
            XCTAssertTrue(result.stderr.contains(message), "\(command): expected '\(message)' in:\n\(result.stderr)", file: file, line: line)
        }
        XCTAssertFalse(result.stderr.contains("Fatal error") || result.stderr.contains("Backtrace"),
                       "\(command) trapped:\n\(result.stderr)", file: file, line: line)
        XCTAssertEqual(hashes(inputs), before, "\(command) changed an input", file: file, line: line)
        for path in absent {
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "\(command) wrote \(path)", file: file, line: line)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.directory.path).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [], "\(command) left temporary files", file: file, line: line)
        return result
    }

    func copy(_ source: String, to name: String) throws -> String {
        try FileManager.default.copyItem(atPath: source, toPath: cli.path(name))
        return cli.path(name)
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// A diff bundle base → full-ft in the scratch folder.
    func fullBundle() throws -> String {
        let result = try cli.adapterpack(["diff", "--base", model("base"), "--target", model("full-ft"), "--key", key, "-o", cli.path("f.apb")])
        XCTAssertEqual(result.status, 0, result.stderr)
        return cli.path("f.apb")
    }

    // MARK: 1. inputs that are not models

    func testDiffRefusesInputsThatAreNotTFLiteModelsUnlessRaw() throws {
        let text = cli.path("notes.txt")
        try Data("these are notes, not a model\n".utf8).write(to: URL(fileURLWithPath: text))
        let cut = cli.path("cut.tflite")
        try bytes(model("base")).prefix(1000).write(to: URL(fileURLWithPath: cut))
        let out = cli.path("out.apb")
        let inputs = [text, cut, model("base"), model("lora"), key]

        try expectRefusal(["diff", "--base", text, "--target", model("lora"), "--key", key, "-o", out],
                          ["--base \(text) is not a valid TFLite model", "expected \"TFL3\"", "--raw"], inputs: inputs, absent: [out])
        try expectRefusal(["diff", "--base", model("base"), "--target", cut, "--key", key, "-o", out],
                          ["--target \(cut) is not a valid TFLite model", "out of bounds", "--raw"], inputs: inputs, absent: [out])
        try expectRefusal(["diff", "--base", cut, "--target", model("base"), "--key", key, "-o", out],
                          ["--base \(cut) is not a valid TFLite model"], inputs: inputs, absent: [out])

        // --raw: a deliberate byte-level bundle, with the note; it applies exactly.
        let raw = try cli.adapterpack(["diff", "--base", model("base"), "--target", cut, "--key", key, "-o", out, "--raw"])
        XCTAssertEqual(raw.status, 0, raw.stderr)
        XCTAssertTrue(raw.stderr.contains("note: --target \(cut) is not a readable TFLite model"), raw.stderr)
        let apply = try cli.adapterpack(["apply", out, "--base", model("base"), "--key", pub, "-o", cli.path("cut-again")])
        XCTAssertEqual(apply.status, 0, apply.stderr)
        XCTAssertEqual(try bytes(cli.path("cut-again")), try bytes(cut))

        // Bundle vs bundle still works on models.
        try cli.adapterpack(["diff", "--base", model("base"), "--target", model("lora"), "--key", key, "-o", cli.path("a.apb")])
        try cli.adapterpack(["diff", "--base", model("base"), "--target", model("head-ft"), "--key", key, "-o", cli.path("b.apb")])
        let swap = try cli.adapterpack(["diff", "--base", model("base"), "--from", cli.path("a.apb"), "--to", cli.path("b.apb"),
                                        "--trusted", pub, "--key", key, "-o", cli.path("ab.apb")])
        XCTAssertEqual(swap.status, 0, swap.stderr)
        XCTAssertEqual(swap.stderr, "")
    }

    // MARK: 2. outputs that are inputs

    func testOutputsThatAreInputsAreRefused() throws {
        let bundle = try fullBundle()
        let base = try copy(model("base"), to: "base.tflite")
        let target = try copy(model("full-ft"), to: "full-ft.tflite")
        let map = try copy(adapter + "/tensor_map.json", to: "map.json")
        let keyCopy = try copy(key, to: "k.pem")
        try FileManager.default.createSymbolicLink(atPath: cli.path("link.tflite"), withDestinationPath: base)
        try FileManager.default.linkItem(atPath: target, toPath: cli.path("hard.tflite"))
        let inputs = [bundle, base, target, map, keyCopy, key, pub, adapter + "/adapter_config.json", adapter + "/adapter_model.safetensors"]

        let cases: [([String], [String])] = [
            (["apply", bundle, "--base", base, "--key", pub, "-o", base],
             ["-o \(base) is the same file as --base \(base)", "apply would overwrite its input", "--in-place"]),
            (["apply", bundle, "--base", base, "--key", pub, "-o", cli.path("link.tflite")],
             ["-o \(cli.path("link.tflite")) is the same file as --base \(base)"]),
            (["apply", bundle, "--base", base, "--key", pub, "-o", bundle],
             ["-o \(bundle) is the same file as the bundle \(bundle)"]),
            (["apply", bundle, "--base", base, "--key", pub, "-o", bundle, "--in-place"],
             ["-o \(bundle) is the same file as the bundle \(bundle)", "--in-place allows writing over --base only"]),
            (["apply", bundle, "--base", base, "--key", pub],
             ["give -o OUTPUT, or --in-place"]),
            (["unapply", bundle, "--target", target, "--key", pub, "-o", cli.path("hard.tflite")],
             ["-o \(cli.path("hard.tflite")) is the same file as --target \(target)", "unapply would overwrite its input"]),
            (["unapply", bundle, "--target", target, "--key", pub, "-o", target, "--flash-page", "2048"],
             ["-o \(target) is the same file as --target \(target)"]),
            (["diff", "--base", base, "--target", target, "--key", key, "-o", base],
             ["-o \(base) is the same file as --base \(base)", "diff never writes over its inputs"]),
            (["diff", "--base", base, "--target", target, "--key", key, "-o", target],
             ["-o \(target) is the same file as --target \(target)"]),
            (["diff", "--base", base, "--target", target, "--key", keyCopy, "-o", keyCopy],
             ["-o \(keyCopy) is the same file as --key \(keyCopy)"]),
            (["diff", "--base", base, "--from", bundle, "--to", bundle, "--trusted", pub, "--key", key, "-o", bundle],
             ["-o \(bundle) is the same file as --from \(bundle)"]),
            (["build", "--base", base, "--adapter", adapter, "--key", key, "-o", base],
             ["-o \(base) is the same file as --base \(base)", "build never writes over its inputs"]),
            (["build", "--base", base, "--adapter", adapter, "--map", map, "--key", key, "-o", map],
             ["-o \(map) is the same file as --map \(map)"]),
            (["build", "--base", base, "--adapter", adapter, "--key", key, "-o", adapter + "/adapter_config.json"],
             ["is the same file as --adapter \(adapter)/adapter_config.json"]),
        ]
        for (arguments, messages) in cases {
            try expectRefusal(arguments, messages, inputs: inputs)
        }
        // diff and build have no --in-place.
        try expectRefusal(["diff", "--base", base, "--target", target, "--key", key, "-o", base, "--in-place"],
                          ["--in-place"], inputs: inputs)

        // --in-place: apply and unapply write over their model input, atomically.
        let apply = try cli.adapterpack(["apply", bundle, "--base", base, "--key", pub, "--in-place"])
        XCTAssertEqual(apply.status, 0, apply.stderr)
        XCTAssertEqual(try bytes(base), try bytes(model("full-ft")))
        let unapply = try cli.adapterpack(["unapply", bundle, "--target", base, "--key", pub, "-o", base, "--in-place"])
        XCTAssertEqual(unapply.status, 0, unapply.stderr)
        XCTAssertEqual(try bytes(base), try bytes(model("base")))
        // A failed in-place apply (wrong key) leaves the model as it was.
        XCTAssertEqual(try cli.adapterpack(["keygen", "-o", cli.path("other.pem")]).status, 0)
        try expectRefusal(["apply", bundle, "--base", base, "--key", cli.path("other.pub.pem"), "--in-place"],
                          ["key id unknown"], inputs: [base])
    }

    // MARK: 4. numeric options

    func testNumericOptionsOutOfRangeAreRefusedWithTheRange() throws {
        let bundle = try fullBundle()
        let out = cli.path("out")
        let huge = "9223372036854775807"
        let apply = ["apply", bundle, "--base", model("base"), "--key", pub, "-o", out]
        let unapply = ["unapply", bundle, "--target", model("full-ft"), "--key", pub, "-o", out]
        let diff = ["diff", "--base", model("base"), "--target", model("lora"), "--key", key, "-o", out]
        let build = ["build", "--base", model("base"), "--adapter", adapter, "--key", key, "-o", out]
        let flash = ["--flash-page", "2048"]
        let cases: [([String], String)] = [
            (apply + ["--window=-5"], "--window must be 512…1048576 bytes; got -5"),
            (apply + ["--window", "-5"], "--window must be 512…1048576 bytes; got -5"),
            (apply + ["--window", huge], "--window must be 512…1048576 bytes; got \(huge)"),
            (apply + ["--window", "99999999999999999999"], "--window must be a whole number in 512…1048576 bytes"),
            (apply + ["--min-sequence", "-1"], "--min-sequence must be a whole number in 0…18446744073709551615"),
            (unapply + ["--window", "-5"], "--window must be 512…1048576 bytes; got -5"),
            (unapply + ["--window=\(huge)"], "--window must be 512…1048576 bytes"),
            (apply + ["--flash-page", "-5"], "--flash-page must be 256…1048576 bytes; got -5"),
            (apply + ["--flash-page", huge], "--flash-page must be 256…1048576 bytes"),
            (apply + ["--flash-page", "3000"], "--flash-page must be a power of two in 256…1048576 bytes"),
            (unapply + ["--flash-page=4611686018427387904"], "--flash-page must be 256…1048576 bytes"),
            (apply + flash + ["--program-size", "-5"], "--program-size must divide --flash-page (2048): a power of two 1…2048; got -5"),
            (apply + flash + ["--program-size", huge], "--program-size must divide --flash-page (2048)"),
            (unapply + flash + ["--program-size", "0"], "--program-size must divide --flash-page (2048)"),
            (apply + flash + ["--power-cut-at", "-5"], "--power-cut-at must be 0…9223372036854775807; got -5"),
            (unapply + flash + ["--power-cut-at=-1"], "--power-cut-at must be 0…9223372036854775807; got -1"),
            (diff + ["--max-window", "-5"], "--max-window must be 512…1048576 bytes; got -5"),
            (diff + ["--max-window", huge], "--max-window must be 512…1048576 bytes"),
            (diff + ["--max-bytes", "-5"], "--max-bytes must be 1…268435456 bytes; got -5"),
            (diff + ["--sequence", "-5"], "--sequence must be a whole number in 0…18446744073709551615"),
            (diff + ["--sequence", "18446744073709551616"], "--sequence must be a whole number in 0…18446744073709551615"),
            (build + ["--max-window", "-5"], "--max-window must be 1024…1048576 bytes; got -5"),
            (build + ["--max-bytes", huge], "--max-bytes must be 1…268435456 bytes"),
            (build + ["--rank", "-5"], "--rank must be 1…128; got -5"),
            (build + ["--rank", "0"], "--rank must be 1…128; got 0"),
            (build + ["--rank", huge], "--rank must be 1…128"),
            (build + ["--backup-merge-gap", "-5"], "--backup-merge-gap must be 0…268435456 bytes; got -5"),
            (build + ["--backup-merge-gap", huge], "--backup-merge-gap must be 0…268435456 bytes"),
            (build + ["--sequence=-5"], "--sequence must be a whole number in 0…18446744073709551615"),
        ]
        for (arguments, message) in cases {
            let result = try expectRefusal(arguments, [message], inputs: [bundle, model("base"), model("full-ft")], absent: [out],
                                           status: 64)
            XCTAssertFalse(result.stderr.contains("Missing value"), result.stderr)
        }
        // In range, the options still work.
        let ok = try cli.adapterpack(apply + ["--window", "4096", "--flash-page", "4096", "--program-size", "16"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(try bytes(out), try bytes(model("full-ft")))
    }

    // MARK: 5. a power cut past the end

    func testPowerCutPastTheLastFlashOperationIsRefused() throws {
        let bundle = try fullBundle()
        let out = cli.path("out.tflite")
        let result = try expectRefusal(["apply", bundle, "--base", model("base"), "--key", pub, "-o", out,
                                        "--flash-page", "2048", "--power-cut-at", "999999"],
                                       ["--power-cut-at 999999 is past the end", "flash operations", "nothing was written"],
                                       inputs: [bundle, model("base")], absent: [out], status: 1)
        XCTAssertFalse(result.stdout.contains("power cut at flash operation"), result.stdout)
        // The message gives the count; the last operation is a valid cut point, the count is not.
        let count = try XCTUnwrap(result.stderr.range(of: #"has (\d+) flash operations"#, options: .regularExpression)
            .map { Int(result.stderr[$0].split(separator: " ")[1])! })
        let last = try cli.adapterpack(["apply", bundle, "--base", model("base"), "--key", pub, "-o", out,
                                        "--flash-page", "2048", "--power-cut-at", "\(count - 1)"])
        XCTAssertEqual(last.status, 0, last.stderr)
        XCTAssertTrue(last.stdout.contains("power cut at flash operation \(count - 1)"), last.stdout)
        XCTAssertEqual(try bytes(out), try bytes(model("full-ft")))
        try FileManager.default.removeItem(atPath: out)
        try expectRefusal(["apply", bundle, "--base", model("base"), "--key", pub, "-o", out,
                           "--flash-page", "2048", "--power-cut-at", "\(count)"],
                          ["--power-cut-at \(count) is past the end", "must be 0…\(count - 1)"],
                          inputs: [bundle, model("base")], absent: [out])
        try expectRefusal(["unapply", bundle, "--target", model("full-ft"), "--key", pub, "-o", out,
                           "--flash-page", "4096", "--power-cut-at", "999999"],
                          ["--power-cut-at 999999 is past the end", "4096-byte pages"],
                          inputs: [bundle, model("full-ft")], absent: [out])
    }

    // MARK: 7. build inputs

    func testBuildRefusesBadMapsConfigsRanksAndBases() throws {
        let out = cli.path("out.apb")
        let garbage = cli.path("garbage.json")
        try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: garbage))
        // An adapter directory whose adapter_config.json is cut short.
        let truncated = cli.path("truncated-adapter")
        try FileManager.default.createDirectory(atPath: truncated, withIntermediateDirectories: false)
        let config = try bytes(adapter + "/adapter_config.json")
        try config.prefix(100).write(to: URL(fileURLWithPath: truncated + "/adapter_config.json"))
        try FileManager.default.copyItem(atPath: adapter + "/adapter_model.safetensors", toPath: truncated + "/adapter_model.safetensors")
        // A model that is not the adapter's, under the base's name.
        try FileManager.default.createDirectory(atPath: cli.path("other"), withIntermediateDirectories: false)
        let other = try copy(model("hello_world_int8"), to: "other/base.tflite")
        let inputs = [model("base"), model("lora"), other, garbage, key, adapter + "/adapter_config.json",
                      adapter + "/adapter_model.safetensors", adapter + "/tensor_map.json", truncated + "/adapter_config.json"]
        let build = ["build", "--adapter", adapter, "--key", key, "-o", out]

        try expectRefusal(build + ["--base", model("base"), "--map", garbage],
                          ["\(garbage) is not valid JSON", "line 1, column 1"], inputs: inputs, absent: [out])
        let bad = try expectRefusal(build + ["--base", model("base"), "--map", garbage], [], inputs: inputs, absent: [out])
        XCTAssertFalse(bad.stderr.contains("tensor_map.json"), bad.stderr)
        try expectRefusal(["build", "--base", model("base"), "--adapter", truncated, "--key", key, "-o", out],
                          ["\(truncated)/adapter_config.json: is not valid JSON", "ends at byte 100", "line 7", "truncated"],
                          inputs: inputs, absent: [out])
        try expectRefusal(build + ["--base", model("base"), "--rank", "100"],
                          ["--rank 100 is above the adapter's rank 4", "1…4"], inputs: inputs, absent: [out])
        try expectRefusal(build + ["--base", model("lora")],
                          ["names base model 'base.tflite'", "--base is \(model("lora"))", "--ignore-base-name"], inputs: inputs, absent: [out])
        try expectRefusal(build + ["--base", other],
                          ["module fc1", "shape [48, 512]", "names the base model 'base.tflite'"], inputs: inputs, absent: [out])
        try expectRefusal(build + ["--base", other, "--map", adapter + "/tensor_map.json"],
                          ["names tensor 7 'digits_cnn_1/fc1_1/MatMul'", "made for another model"], inputs: inputs, absent: [out])
        let missing = cli.path("no-such-dir/out.apb")
        try expectRefusal(["build", "--base", model("base"), "--adapter", adapter, "--key", key, "-o", missing],
                          ["\(missing): cannot write (directory '\(cli.path("no-such-dir"))' does not exist)"],
                          inputs: inputs, absent: [missing])
        // The restore bundle cannot be written: neither file is left.
        let fine = cli.path("fine.apb")
        try expectRefusal(["build", "--base", model("base"), "--adapter", adapter, "--key", key, "-o", fine, "--restore", missing],
                          ["\(missing): cannot write (directory '\(cli.path("no-such-dir"))' does not exist)"],
                          inputs: inputs, absent: [missing, fine])
        try expectRefusal(["build", "--base", model("base"), "--adapter", adapter, "--key", key, "-o", fine, "--restore", fine],
                          ["--restore \(fine) is also the bundle's --output"], inputs: inputs, absent: [fine])
        try expectRefusal(["build", "--base", model("base"), "--adapter", adapter, "--key", key, "-o", fine, "--restore", model("base")],
                          [], inputs: inputs, absent: [fine])
        try expectRefusal(["diff", "--base", model("base"), "--target", model("lora"), "--key", key, "-o", missing],
                          ["directory '\(cli.path("no-such-dir"))' does not exist"], inputs: inputs, absent: [missing])

        // The rank of the adapter itself and a renamed base with --ignore-base-name still build.
        let same = try cli.adapterpack(build + ["--base", model("base"), "--rank", "4"])
        XCTAssertEqual(same.status, 0, same.stderr)
        let renamed = try copy(model("base"), to: "renamed.tflite")
        let ignored = try cli.adapterpack(["build", "--base", renamed, "--adapter", adapter, "--key", key,
                                           "-o", cli.path("renamed.apb"), "--ignore-base-name"])
        XCTAssertEqual(ignored.status, 0, ignored.stderr)
    }
}
