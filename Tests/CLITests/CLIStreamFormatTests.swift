import Foundation
import XCTest

/// The CLI end to end on format 2 (streamed) bundles: diff/build write them,
/// verify, inspect, apply and unapply read them, `--stream-piece` and
/// `--power-cut-at` simulate a link and a reset; bad options are refused
/// before any file is written.
final class CLIStreamFormatTests: XCTestCase {
    func corpus(_ name: String) -> String { CLIRunner.model(name) }

    func testDiffVerifyInspectApplyUnapplyInPiecesWithPowerCuts() throws {
        try XCTSkipUnless(CLIRunner.binaryIsBuilt, "adapterpack binary not built")
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.adapterpack(["keygen", "-o", cli.path("k.pem")])
        let diff = try cli.adapterpack(["diff", "--base", corpus("base"), "--target", corpus("full-ft"), "--key", cli.path("k.pem"),
                                        "--block-size", "1024", "-o", cli.path("f.apb")])
        XCTAssertEqual(diff.status, 0, diff.stderr)
        let verify = try cli.adapterpack(["verify", cli.path("f.apb"), "--trusted-key", cli.path("k.pub.pem"), "--base", corpus("base")])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(verify.stdout.contains("every block matches its digest (format 2)"), verify.stdout)
        let inspect = try cli.adapterpack(["inspect", cli.path("f.apb"), "--json", "--trusted-key", cli.path("k.pub.pem"),
                                           "--signed-message", cli.path("m.bin")])
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["formatVersion"] as? String, "3.0")
        XCTAssertEqual(json?["blockLimit"] as? Int, 1024)
        XCTAssertGreaterThan((json?["blocks"] as? [Any])?.count ?? 0, 10)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cli.path("m.bin"))).count, 64)
        for (piece, cut) in [("1", "5"), ("64", "17"), ("4096", "30")] {
            let run = try cli.adapterpack(["apply", cli.path("f.apb"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"),
                                           "-o", cli.path("f\(cut).tflite"), "--stream-piece", piece, "--power-cut-at", cut])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("power cut at flash operation \(cut)"), run.stdout)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cli.path("f\(cut).tflite"))),
                           try Data(contentsOf: URL(fileURLWithPath: corpus("full-ft"))))
        }
        let undo = try cli.adapterpack(["unapply", cli.path("f.apb"), "--target", corpus("full-ft"), "--key", cli.path("k.pub.pem"),
                                        "-o", cli.path("b.tflite"), "--stream-piece", "7", "--power-cut-at", "9"])
        XCTAssertEqual(undo.status, 0, undo.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cli.path("b.tflite"))),
                       try Data(contentsOf: URL(fileURLWithPath: corpus("base"))))
    }

    func testFormatOptionRefusals() throws {
        try XCTSkipUnless(CLIRunner.binaryIsBuilt, "adapterpack binary not built")
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.adapterpack(["keygen", "-o", cli.path("k.pem")])
        let diff = ["diff", "--base", corpus("base"), "--target", corpus("head-ft"), "--key", cli.path("k.pem"), "-o", cli.path("x.apb")]
        let cases: [([String], String)] = [
            (diff + ["--block-size", "1000"], "--block-size must be a power of two"),
            (diff + ["--block-size", "128"], "--block-size must be 256…32768 bytes; got 128"),
            (diff + ["--block-size", "8192", "--max-window", "4096"], "more than --max-window 4096"),
        ]
        for (arguments, message) in cases {
            let run = try cli.adapterpack(arguments)
            XCTAssertNotEqual(run.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(run.stderr.contains(message), "\(arguments.suffix(4)): \(run.stderr)")
            XCTAssertFalse(cli.exists("x.apb"))
        }
        XCTAssertEqual(try cli.adapterpack(diff).status, 0)
        let past = try cli.adapterpack(["apply", cli.path("x.apb"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"),
                                        "-o", cli.path("y.tflite"), "--stream-piece", "64", "--power-cut-at", "999999"])
        XCTAssertNotEqual(past.status, 0)
        XCTAssertTrue(past.stderr.contains("--power-cut-at 999999 is past the end"), past.stderr)
        XCTAssertFalse(cli.exists("y.tflite"))
        var corrupt = try Data(contentsOf: URL(fileURLWithPath: cli.path("x.apb")))
        corrupt[corrupt.count - 10] ^= 0xFF
        try corrupt.write(to: URL(fileURLWithPath: cli.path("bad.apb")))
        let refused = try cli.adapterpack(["apply", cli.path("bad.apb"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"),
                                           "-o", cli.path("z.tflite"), "--stream-piece", "64"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("signature invalid") || refused.stderr.contains("block"), refused.stderr)
        XCTAssertFalse(cli.exists("z.tflite"))
    }

    func testBuildWritesFormat2ForTheLoRAAdapter() throws {
        try XCTSkipUnless(CLIRunner.binaryIsBuilt, "adapterpack binary not built")
        let cli = try CLIRunner()
        defer { cli.remove() }
        try cli.adapterpack(["keygen", "-o", cli.path("k.pem")])
        let adapter = URL(fileURLWithPath: corpus("base")).deletingLastPathComponent().appendingPathComponent("lora-adapter")
        let build = try cli.adapterpack(["build", "--base", corpus("base"), "--adapter", adapter.path,
                                         "--map", adapter.appendingPathComponent("tensor_map.json").path,
                                         "--key", cli.path("k.pem"), "-o", cli.path("l.apb")])
        XCTAssertEqual(build.status, 0, build.stderr)
        let apply = try cli.adapterpack(["apply", cli.path("l.apb"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"),
                                         "-o", cli.path("l.tflite"), "--stream-piece", "300"])
        XCTAssertEqual(apply.status, 0, apply.stderr)
        // One-way: unapply refuses (naming the restore bundle) and writes nothing; the restore bundle brings the base back.
        let undo = try cli.adapterpack(["unapply", cli.path("l.apb"), "--target", cli.path("l.tflite"), "--key", cli.path("k.pub.pem"),
                                        "-o", cli.path("b.tflite")])
        XCTAssertEqual(undo.status, 1, undo.stderr)
        XCTAssertTrue(undo.stderr.contains("one-way") && undo.stderr.contains("restore bundle"), undo.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("b.tflite")))
        XCTAssertTrue(build.stdout.contains("wrote \(cli.path("l.restore.apb"))"), build.stdout)
        let restore = try cli.adapterpack(["apply", cli.path("l.restore.apb"), "--base", cli.path("l.tflite"),
                                           "--key", cli.path("k.pub.pem"), "-o", cli.path("b.tflite")])
        XCTAssertEqual(restore.status, 0, restore.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cli.path("b.tflite"))),
                       try Data(contentsOf: URL(fileURLWithPath: corpus("base"))))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cli.path("l.tflite"))).count,
                       try Data(contentsOf: URL(fileURLWithPath: corpus("base"))).count, "the model does not grow")
        // --reversible: the base rows stay behind the model and unapply works on its own.
        let reversible = try cli.adapterpack(["build", "--base", corpus("base"), "--adapter", adapter.path, "--reversible",
                                              "--map", adapter.appendingPathComponent("tensor_map.json").path,
                                              "--key", cli.path("k.pem"), "-o", cli.path("r.apb")])
        XCTAssertEqual(reversible.status, 0, reversible.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("r.restore.apb")))
        for step in [["apply", cli.path("r.apb"), "--base", corpus("base"), "-o", cli.path("r.tflite")],
                     ["unapply", cli.path("r.apb"), "--target", cli.path("r.tflite"), "-o", cli.path("rb.tflite")]] {
            let run = try cli.adapterpack(step + ["--key", cli.path("k.pub.pem")])
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cli.path("rb.tflite"))),
                       try Data(contentsOf: URL(fileURLWithPath: corpus("base"))))
    }
}
