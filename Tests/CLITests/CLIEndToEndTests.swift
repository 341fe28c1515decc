import Foundation
import XCTest
import AdapterPack

/// The CLI end to end on the digits and TFLM models: keygen → diff → verify →
/// inspect → apply → unapply, OpenSSL interop, and refusals with exit codes.
final class CLIEndToEndTests: XCTestCase {
    func corpus(_ name: String) -> String { CLIRunner.model(name) }

    func testDiffVerifyApplyForEveryDigitsVariant() throws {
        let cli = try CLIRunner()
        XCTAssertEqual(try cli.adapterpack(["keygen", "-o", cli.path("dev.pem")]).status, 0)
        for variant in ["full-ft", "head-ft", "lora"] {
            let diff = try cli.adapterpack(["diff", "--base", corpus("base"), "--target", corpus(variant),
                                            "--key", cli.path("dev.pem"), "-o", cli.path("\(variant).apb")])
            XCTAssertEqual(diff.status, 0, diff.stderr)
            let verify = try cli.adapterpack(["verify", cli.path("\(variant).apb"), "--key", cli.path("dev.pub.pem"),
                                              "--base", corpus("base"), "--json"])
            XCTAssertEqual(verify.status, 0, verify.stderr)
            XCTAssertTrue(verify.stdout.contains("\"valid\" : true"), verify.stdout)
            let apply = try cli.adapterpack(["apply", cli.path("\(variant).apb"), "--base", corpus("base"),
                                             "--key", cli.path("dev.pub.pem"), "-o", cli.path("\(variant).tflite")])
            XCTAssertEqual(apply.status, 0, apply.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cli.path("\(variant).tflite"))),
                           try Data(contentsOf: URL(fileURLWithPath: corpus(variant))), variant)
            let unapply = try cli.adapterpack(["unapply", cli.path("\(variant).apb"), "--target", cli.path("\(variant).tflite"),
                                               "--key", cli.path("dev.pub.pem"), "-o", cli.path("\(variant)-base.tflite")])
            XCTAssertEqual(unapply.status, 0, unapply.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cli.path("\(variant)-base.tflite"))),
                           try Data(contentsOf: URL(fileURLWithPath: corpus("base"))))
        }
    }

    func testInspectShowsHeaderAndJSON() throws {
        let cli = try CLIRunner()
        try cli.adapterpack(["keygen", "-o", cli.path("k.pem")])
        try cli.adapterpack(["diff", "--base", corpus("base"), "--target", corpus("head-ft"), "--key", cli.path("k.pem"),
                             "-o", cli.path("h.apb"), "--name", "head"])
        let text = try cli.adapterpack(["inspect", cli.path("h.apb")])
        XCTAssertEqual(text.status, 0)
        for expected in ["format 3.0", "RAM window", "payload", "signature", "key id", "head"] {
            XCTAssertTrue(text.stdout.contains(expected), "missing \(expected) in\n\(text.stdout)")
        }
        let json = try cli.adapterpack(["inspect", cli.path("h.apb"), "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((object?["target"] as? [String: Any])?["sha256"] as? String,
                       "d03e570bb81586570f2a49eb57c94ad25b8d4b26a1f557dc9ce7e64859dbed39")
    }

    /// The exact interop command of the foundation issue.
    func testOpenSSLVerifiesTheSignedMessage() throws {
        guard let openssl = CLIRunner.which("openssl") else { throw XCTSkip("openssl not installed") }
        let cli = try CLIRunner()
        let gen = try cli.run(openssl, ["genpkey", "-algorithm", "ed25519", "-out", cli.path("k.pem")])
        XCTAssertEqual(gen.status, 0, gen.stderr)
        XCTAssertEqual(try cli.run(openssl, ["pkey", "-in", cli.path("k.pem"), "-pubout", "-out", cli.path("pub.pem")]).status, 0)
        XCTAssertEqual(try cli.adapterpack(["diff", "--base", corpus("base"), "--target", corpus("lora"),
                                            "--key", cli.path("k.pem"), "-o", cli.path("out.apb")]).status, 0)
        XCTAssertEqual(try cli.adapterpack(["inspect", cli.path("out.apb"), "--signed-message", cli.path("M"),
                                            "--signature", cli.path("S")]).status, 0)
        let check = try cli.run(openssl, ["pkeyutl", "-verify", "-pubin", "-inkey", cli.path("pub.pem"), "-rawin",
                                          "-in", cli.path("M"), "-sigfile", cli.path("S")])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        // A flipped message byte must fail the same check.
        var message = try Data(contentsOf: URL(fileURLWithPath: cli.path("M")))
        XCTAssertEqual(message.count, 64)
        message[63] ^= 1
        try message.write(to: URL(fileURLWithPath: cli.path("M2")))
        let bad = try cli.run(openssl, ["pkeyutl", "-verify", "-pubin", "-inkey", cli.path("pub.pem"), "-rawin",
                                        "-in", cli.path("M2"), "-sigfile", cli.path("S")])
        XCTAssertNotEqual(bad.status, 0)
        // And adapterpack verifies with the openssl-made key.
        XCTAssertEqual(try cli.adapterpack(["verify", cli.path("out.apb"), "--key", cli.path("pub.pem")]).status, 0)
    }

    func testSignReplacesTheKey() throws {
        let cli = try CLIRunner()
        try cli.adapterpack(["keygen", "-o", cli.path("a.pem")])
        try cli.adapterpack(["keygen", "-o", cli.path("b.pem"), "--algorithm", "p256"])
        try cli.adapterpack(["diff", "--base", corpus("base"), "--target", corpus("head-ft"), "--key", cli.path("a.pem"), "-o", cli.path("x.apb")])
        XCTAssertEqual(try cli.adapterpack(["sign", cli.path("x.apb"), "--key", cli.path("b.pem"), "-o", cli.path("y.apb")]).status, 0)
        XCTAssertEqual(try cli.adapterpack(["verify", cli.path("y.apb"), "--key", cli.path("b.pub.pem")]).status, 0)
        let old = try cli.adapterpack(["verify", cli.path("y.apb"), "--key", cli.path("a.pub.pem")])
        XCTAssertNotEqual(old.status, 0)
        XCTAssertTrue(old.stderr.contains("key id unknown"), old.stderr)
    }

    func testBundleVsBundleDiffSwapsAdapters() throws {
        let cli = try CLIRunner()
        try cli.adapterpack(["keygen", "-o", cli.path("k.pem")])
        try cli.adapterpack(["diff", "--base", corpus("base"), "--target", corpus("lora"), "--key", cli.path("k.pem"), "-o", cli.path("a.apb")])
        try cli.adapterpack(["diff", "--base", corpus("base"), "--target", corpus("head-ft"), "--key", cli.path("k.pem"), "-o", cli.path("b.apb")])
        let swap = try cli.adapterpack(["diff", "--base", corpus("base"), "--from", cli.path("a.apb"), "--to", cli.path("b.apb"),
                                        "--trusted", cli.path("k.pub.pem"), "--key", cli.path("k.pem"), "-o", cli.path("ab.apb"), "--sequence", "2"])
        XCTAssertEqual(swap.status, 0, swap.stderr)
        let apply = try cli.adapterpack(["apply", cli.path("ab.apb"), "--base", corpus("lora"), "--key", cli.path("k.pub.pem"), "-o", cli.path("b.tflite")])
        XCTAssertEqual(apply.status, 0, apply.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cli.path("b.tflite"))),
                       try Data(contentsOf: URL(fileURLWithPath: corpus("head-ft"))))
    }

    func testApplyOnSimulatedFlashWithAPowerCut() throws {
        let cli = try CLIRunner()
        try cli.adapterpack(["keygen", "-o", cli.path("k.pem")])
        try cli.adapterpack(["diff", "--base", corpus("base"), "--target", corpus("full-ft"), "--key", cli.path("k.pem"), "-o", cli.path("f.apb")])
        for cut in ["3", "12", "30"] {
            let run = try cli.adapterpack(["apply", cli.path("f.apb"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"),
                                           "-o", cli.path("f\(cut).tflite"), "--flash-page", "2048", "--power-cut-at", cut])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("power cut at flash operation \(cut)"), run.stdout)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: cli.path("f\(cut).tflite"))),
                           try Data(contentsOf: URL(fileURLWithPath: corpus("full-ft"))))
        }
        let bad = try cli.adapterpack(["apply", cli.path("f.apb"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"),
                                       "-o", cli.path("g.tflite"), "--flash-page", "1000"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--flash-page must be a power of two"), bad.stderr)
        XCTAssertFalse(cli.exists("g.tflite"))
    }

    /// Refusals: non-zero exit, a message naming the cause, no output file.
    func testRefusalsExitNonZeroAndWriteNothing() throws {
        let cli = try CLIRunner()
        try cli.adapterpack(["keygen", "-o", cli.path("k.pem")])
        try cli.adapterpack(["keygen", "-o", cli.path("other.pem")])
        try cli.adapterpack(["diff", "--base", corpus("base"), "--target", corpus("lora"), "--key", cli.path("k.pem"), "-o", cli.path("l.apb")])
        var tampered = try Data(contentsOf: URL(fileURLWithPath: cli.path("l.apb")))
        tampered[tampered.count / 2] ^= 0x10
        try tampered.write(to: URL(fileURLWithPath: cli.path("t.apb")))
        let cases: [([String], String)] = [
            (["apply", cli.path("l.apb"), "--base", corpus("full-ft"), "--key", cli.path("k.pub.pem"), "-o", cli.path("o1")], "base model hash mismatch"),
            (["apply", cli.path("t.apb"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"), "-o", cli.path("o2")], "its SHA-256 differs from the digest the previous block commits to"),
            (["apply", cli.path("l.apb"), "--base", corpus("base"), "--key", cli.path("other.pub.pem"), "-o", cli.path("o3")], "key id unknown"),
            (["apply", cli.path("l.apb"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"), "-o", cli.path("o4"), "--window", "600"], "RAM window too small"),
            (["apply", cli.path("l.apb"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"), "-o", cli.path("o5"), "--min-sequence", "9"], "rollback refused"),
            (["apply", corpus("base"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"), "-o", cli.path("o6")], "not an adapterpack bundle"),
            (["apply", cli.path("missing.apb"), "--base", corpus("base"), "--key", cli.path("k.pub.pem"), "-o", cli.path("o7")], "no such file"),
            (["verify", cli.path("l.apb"), "--key", corpus("base")], "not a PEM key"),
            (["diff", "--base", corpus("base"), "--target", corpus("lora"), "--key", cli.path("k.pem"), "-o", cli.path("o8"), "--max-bytes", "1000"], "over the 1000-byte budget"),
        ]
        for (arguments, message) in cases {
            let result = try cli.adapterpack(arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message), "expected '\(message)' in: \(result.stderr)")
        }
        for name in ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"] {
            XCTAssertFalse(cli.exists(name), "\(name) was written despite the error")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.directory.path).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [])
    }
}
