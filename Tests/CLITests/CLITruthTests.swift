import Foundation
import XCTest
import AdapterPack
import TestSupport

/// Issue 17 ("the CLI tells the truth and protects its inputs"): each refusal
/// runs the built binary on a bad input and checks the exit code, the message,
/// and that no file was written or changed (every file hashed before and after).
final class CLITruthTests: XCTestCase {
    var cli: CLIRunner!

    override func setUpWithError() throws {
        guard CLIRunner.binaryIsBuilt else { throw XCTSkip("adapterpack binary not built next to the tests") }
        cli = try CLIRunner()
    }

    override func tearDownWithError() throws { cli?.remove() }

    var base: String { CLIRunner.model("base") }
    var devKey: String { RepoPaths.keys.appendingPathComponent("dev-ed25519.pem").path }
    var devPub: String { RepoPaths.keys.appendingPathComponent("dev-ed25519.pub.pem").path }
    /// The dev key's 8-byte key id (FORMAT.md §2), as hex.
    let devKeyID = "fb968a784fe4f79c"

    func path(_ name: String) -> String { cli.path(name) }

    func adapterpack(_ arguments: [String]) throws -> CLIRunner.Output { try cli.adapterpack(arguments) }

    /// SHA-256 of every file in the scratch folder and of the repository inputs used.
    func snapshot() throws -> [String: String] {
        var hashes: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: cli.directory.path) {
            hashes[name] = sha256(try RepoPaths.bytes(cli.directory.appendingPathComponent(name))).hex
        }
        for file in [base, CLIRunner.model("lora"), CLIRunner.model("head-ft"), devKey, devPub] {
            hashes[file] = sha256(try RepoPaths.bytes(URL(fileURLWithPath: file))).hex
        }
        return hashes
    }

    /// Runs `arguments`, expects `status` and `message` in stderr, and that no file changed.
    @discardableResult
    func expectRefusal(_ arguments: [String], status: Int32 = 1, message: String,
                       file: StaticString = #filePath, line: UInt = #line) throws -> CLIRunner.Output {
        let before = try snapshot()
        let run = try adapterpack(arguments)
        XCTAssertEqual(run.status, status, "\(arguments.joined(separator: " ")): \(run.stderr)", file: file, line: line)
        XCTAssertTrue(run.stderr.contains(message), "expected '\(message)' in stderr of \(arguments.joined(separator: " ")):\n\(run.stderr)",
                      file: file, line: line)
        XCTAssertEqual(try snapshot(), before, "\(arguments.joined(separator: " ")) wrote or changed a file", file: file, line: line)
        return run
    }

    /// lora.apb from the dev key; h.apb: its front's RAM window 7296 → 7297;
    /// d.apb: a byte in the middle flipped (its block's digest no longer matches).
    func makeBundles() throws {
        let diff = try adapterpack(["diff", "--base", base, "--target", CLIRunner.model("lora"), "--key", devKey, "-o", path("lora.apb")])
        XCTAssertEqual(diff.status, 0, diff.stderr)
        var bytes = try RepoPaths.bytes(URL(fileURLWithPath: path("lora.apb")))
        XCTAssertEqual(Int(bytes[20]) | Int(bytes[21]) << 8, 7296)
        var header = bytes
        header[20] = 0x81 // 7296 = 0x1C80 → 0x1C81
        try Data(header).write(to: URL(fileURLWithPath: path("h.apb")))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path("d.apb")))
    }

    // MARK: item 3: tampered bundles

    func testInspectSaysNotVerifiedAndChecksDigestsAndSignature() throws {
        try makeBundles()
        // No key: the altered header is shown, under a NOT VERIFIED first line and a note on the window.
        let plain = try adapterpack(["inspect", path("h.apb")])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.hasPrefix("NOT VERIFIED: signature not checked"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("RAM window      7297 bytes"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("declares a RAM window of 7297 bytes; its records need 7296"), plain.stdout)
        let json = try adapterpack(["inspect", path("h.apb"), "--json"])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let verification = try XCTUnwrap(object["verification"] as? [String: Any])
        XCTAssertEqual(verification["verified"] as? Bool, false)
        XCTAssertTrue((verification["summary"] as? String)?.hasPrefix("NOT VERIFIED") ?? false)

        // With the trusted key: the altered header fails the signature; exit 1, no --signed-message file.
        let keyed = try expectRefusal(["inspect", path("h.apb"), "--trusted-key", devPub, "--signed-message", path("M")],
                                      message: "signature invalid: the bundle was altered after it was signed")
        XCTAssertTrue(keyed.stdout.hasPrefix("NOT VERIFIED: signature invalid"), keyed.stdout)
        XCTAssertFalse(cli.exists("M"))

        // An altered block fails without any key, naming the block.
        let digest = try expectRefusal(["inspect", path("d.apb"), "--signature", path("S")],
                                       message: "its SHA-256 differs from the digest the previous block commits to")
        XCTAssertTrue(digest.stdout.hasPrefix("NOT VERIFIED: block "), digest.stdout)
        XCTAssertFalse(cli.exists("S"))

        // The untouched bundle verifies; --key stays an alias of --trusted-key.
        for option in ["--trusted-key", "--key"] {
            let good = try adapterpack(["inspect", path("lora.apb"), option, devPub])
            XCTAssertEqual(good.status, 0, good.stderr)
            XCTAssertTrue(good.stdout.hasPrefix("verified: signed by key \(devKeyID) (ed25519)"), good.stdout)
        }
    }

    func testReportRefusesAlteredBundlesAndSaysWhetherItVerified() throws {
        try makeBundles()
        try expectRefusal(["report", path("d.apb"), "--json", path("r.json"), "--html", path("r.html")],
                          message: "its SHA-256 differs from the digest the previous block commits to")
        try expectRefusal(["report", path("h.apb"), "--base", base, "--trusted-key", devPub, "--json", path("r.json")],
                          message: "h.apb: could not apply to the base to reconstruct the target: NOT VERIFIED: signature invalid: the bundle was altered after it was signed")
        let unchecked = try adapterpack(["report", path("h.apb"), "--links", "ble"])
        XCTAssertEqual(unchecked.status, 0, unchecked.stderr)
        XCTAssertTrue(unchecked.stdout.hasPrefix("NOT VERIFIED: signatures of h.apb not checked"), unchecked.stdout)
        XCTAssertTrue(unchecked.stdout.contains("declares a RAM window of 7297 bytes"), unchecked.stdout)
        XCTAssertTrue(unchecked.stdout.contains("base model: not given"), unchecked.stdout)
        let checked = try adapterpack(["report", path("lora.apb"), "--base", base, "--trusted-key", devPub, "--links", "ble"])
        XCTAssertEqual(checked.status, 0, checked.stderr)
        XCTAssertTrue(checked.stdout.hasPrefix("verified: every bundle signed by a trusted key (key \(devKeyID))"), checked.stdout)
        XCTAssertTrue(checked.stdout.contains("base model: \(base) (37,128 bytes"), checked.stdout)
    }

    func testSignRefusesAlteredBundlesAndSaysWhoseSignatureItReplaces() throws {
        try makeBundles()
        XCTAssertEqual(try adapterpack(["keygen", "-o", path("new.pem")]).status, 0)
        // Altered sections: refused with the section named, output not written, input (also the output) unchanged.
        try expectRefusal(["sign", path("d.apb"), "--signing-key", path("new.pem"), "-o", path("out.apb")],
                          message: "its SHA-256 differs from the digest the previous block commits to")
        try expectRefusal(["sign", path("d.apb"), "--signing-key", path("new.pem"), "-o", path("d.apb")],
                          message: "not re-signed, nothing was written")
        // The altered window is refused even without a key (adapterpack writes exactly what the sections need).
        try expectRefusal(["sign", path("h.apb"), "--signing-key", path("new.pem"), "-o", path("out.apb")],
                          message: "its records need 7296 (adapterpack writes exactly what is needed); the header may have been altered")
        // An altered header under the old key's id: refused when the old signature is checked.
        try expectRefusal(["sign", path("h.apb"), "--signing-key", path("new.pem"), "--trusted-key", devPub, "-o", path("out.apb")],
                          message: "signature invalid: the bundle was altered after it was signed")
        // A good bundle: says whose signature it replaces.
        let good = try adapterpack(["sign", path("lora.apb"), "--signing-key", path("new.pem"), "--trusted-key", devPub, "-o", path("out.apb")])
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertTrue(good.stdout.contains("replaced the signature by key \(devKeyID) (ed25519; verified with a trusted key)"), good.stdout)
        let unchecked = try adapterpack(["sign", path("lora.apb"), "--key", path("new.pem"), "-o", path("out2.apb")])
        XCTAssertEqual(unchecked.status, 0, unchecked.stderr)
        XCTAssertTrue(unchecked.stdout.contains("replaced the signature by key \(devKeyID) (ed25519; not checked"), unchecked.stdout)
        XCTAssertEqual(try adapterpack(["verify", path("out.apb"), "--trusted-key", path("new.pub.pem")]).status, 0)
    }

    // MARK: item 7: messages and outputs

    func testVerifySaysAlteredWhenTheKeyIDIsTrusted() throws {
        try makeBundles()
        let run = try expectRefusal(["verify", path("h.apb"), "--trusted-key", devPub],
                                    message: "the bundle was altered after it was signed (its key id is a trusted key's")
        XCTAssertFalse(run.stderr.contains("signed with another key"), run.stderr)
    }

    func testKeygenUnknownAlgorithmNamesTheAllowedOnes() throws {
        let run = try expectRefusal(["keygen", "-o", path("k.pem"), "--algorithm", "rsa"], status: 64,
                                    message: "The value 'rsa' is invalid for '--algorithm <algorithm>'. Please provide one of 'ed25519' and 'p256'.")
        XCTAssertTrue(run.stderr.contains("Usage: adapterpack keygen"), run.stderr)
        XCTAssertFalse(run.stderr.contains("Usage: adapterpack <subcommand>"), "not the top-level usage:\n\(run.stderr)")
        XCTAssertFalse(cli.exists("k.pem"))
        XCTAssertEqual(try adapterpack(["keygen", "-o", path("p.pem"), "--algorithm", "P-256"]).status, 0, "aliases still work")
    }

    func testReportChecksItsOutputsBeforePrintingAndWritesNothingOnFailure() throws {
        try makeBundles()
        try Data("previous\n".utf8).write(to: URL(fileURLWithPath: path("r.json")))
        let run = try expectRefusal(["report", path("lora.apb"), "--json", path("r.json"), "--html", path("nodir/x.html")],
                                    message: "nodir/x.html: cannot write")
        XCTAssertEqual(run.stdout, "", "nothing is printed before the outputs are known to be writable")
        try expectRefusal(["report", path("lora.apb"), "--html", path("lora.apb/x.html")], message: "cannot write")
        XCTAssertEqual(try String(contentsOfFile: path("r.json"), encoding: .utf8), "previous\n")
    }

    // MARK: item 6: what the report compares with

    func testReportComparesWithTheModelTheDeviceRunsAndSaysWhenTheBundleIsLarger() throws {
        let adapter = RepoPaths.digits.appendingPathComponent("lora-adapter")
        let build = try adapterpack(["build", "--base", base, "--adapter", adapter.path,
                                     "--map", adapter.appendingPathComponent("tensor_map.json").path, "--key", devKey, "-o", path("la.apb"),
                                     "--reversible"])
        XCTAssertEqual(build.status, 0, build.stderr)
        XCTAssertEqual(try adapterpack(["diff", "--base", base, "--target", CLIRunner.model("head-ft"), "--key", devKey,
                                        "-o", path("head.apb")]).status, 0)
        let args = ["report", path("la.apb"), path("head.apb"), "--base", base, "--trusted-key", devPub, "--fleet", "1000",
                    "--links", "ble,nbiot"]
        let json = try adapterpack(args + ["--json", "-"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let report = try JSONDecoder().decode(OTAReport.self, from: Data(json.stdout.utf8))
        XCTAssertTrue(report.signaturesVerified)
        XCTAssertEqual(report.baseModel?.file, base)
        XCTAssertEqual(report.baseModel?.bytes, 37_128)
        let lora = report.bundles[0]
        XCTAssertEqual(lora.targetBytes, 61_428, "the target keeps base rows for unapply after the model")
        XCTAssertEqual(lora.comparison.fullModelRawBytes, 37_128, "compared with the model the device runs")
        XCTAssertEqual(lora.comparison.keptForUnapplyBytes, 61_428 - 37_128)
        XCTAssertNil(report.bundles[1].comparison.keptForUnapplyBytes)
        XCTAssertEqual(lora.verification.keyID, devKeyID)
        // Fleet: per bundle, not the sum of the alternatives.
        XCTAssertEqual(lora.fleet.bytes, lora.bundleBytes * 1000)

        let text = try adapterpack(args + ["--html", path("r.html")])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("the device runs 37,128; 24,300 bytes of base rows kept for unapply"), text.stdout)
        XCTAssertFalse(text.stdout.contains("61,428        "), "the 61,428-byte target is not a comparison row")
        XCTAssertTrue(text.stdout.contains("larger by"), text.stdout)
        XCTAssertTrue(text.stdout.contains("the bundle is larger than a plain byte delta"), text.stdout)
        XCTAssertFalse(text.stdout.contains("-65"), text.stdout)
        XCTAssertTrue(text.stdout.contains("each bundle on its own (alternatives, not added up)"), text.stdout)
        let fleetLine = text.stdout.split(separator: "\n").first { $0.contains("la.apb") && $0.contains(" kB") }
        XCTAssertNotNil(fleetLine, "a fleet row per bundle:\n\(text.stdout)")
        let html = try String(contentsOfFile: path("r.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("verified: every bundle signed by a trusted key"))
        XCTAssertTrue(html.contains("Base model: \(base)"))
        XCTAssertTrue(html.contains("time on air (dark) and wall time under duty cycle (light)"))
        XCTAssertTrue(html.contains("air "), "bar labels say time on air and wall time")
        XCTAssertFalse(html.contains("fill=\"#6b7280\" fill-opacity=\"0.28\""), "no grey legend swatches")
        XCTAssertTrue(html.contains("fill=\"#2563eb\" fill-opacity=\"0.28\"/>"), "legend swatches in the bundle colours")
        XCTAssertTrue(html.contains("larger by"))
    }

    // MARK: item 8: conventions

    func testVersionHelpAndExitCodes() throws {
        let version = try adapterpack(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines), BundleAssembler.toolVersion)
        try expectRefusal(["help", "frobnicate"], status: 64, message: "unknown subcommand 'frobnicate'; the subcommands are: diff, build")
        XCTAssertEqual(try adapterpack(["help", "sign"]).status, 0)
        let top = try adapterpack(["--help"])
        XCTAssertEqual(top.status, 0)
        for expected in ["Exit codes: 0 success; 1 runtime error", "64 usage error", "--signing-key", "--trusted-key"] {
            XCTAssertTrue(top.stdout.contains(expected), "missing \(expected) in\n\(top.stdout)")
        }
        // New names and their aliases.
        XCTAssertTrue(try adapterpack(["sign", "--help"]).stdout.contains("--signing-key <signing-key>"))
        XCTAssertTrue(try adapterpack(["verify", "--help"]).stdout.contains("--trusted-key <trusted-key>"))
    }

    static let subcommands = ["diff", "build", "sign", "verify", "inspect", "apply", "unapply", "keygen", "report"]

    func testEverySubcommandsHelpHasAnExample() throws {
        var missing: [String] = []
        for name in Self.subcommands {
            let help = try adapterpack([name, "--help"])
            XCTAssertEqual(help.status, 0, "\(name) --help: \(help.stderr)")
            let hasExample = help.stdout.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Example") }
            if !hasExample { missing.append(name) }
        }
        XCTAssertEqual(missing, [], "--help without an Example line: \(missing)")
    }

    // MARK: item 9: README drift

    /// Every option of every subcommand's usage line is in README's CLI summary,
    /// and the sizes README quotes are what the main job's commands make.
    func testREADMEMatchesTheCLI() throws {
        let readme = try String(contentsOf: RepoPaths.root.appendingPathComponent("README.md"), encoding: .utf8)
        let summaryStart = try XCTUnwrap(readme.range(of: "adapterpack keygen -o Keys/NAME.pem"))
        let summary = String(readme[summaryStart.lowerBound...].prefix { $0 != "`" })
        var missing: [String] = []
        for name in Self.subcommands {
            let help = try adapterpack([name, "--help"]).stdout
            let usage = help.split(separator: "\n").first { $0.hasPrefix("USAGE:") } ?? ""
            for word in usage.split(separator: " ") {
                let option = word.trimmingCharacters(in: CharacterSet(charactersIn: "[]."))
                guard option.hasPrefix("--"), option != "--output" else { continue }
                if !summary.contains("adapterpack \(name)") || !summary.contains(option) { missing.append("\(name) \(option)") }
            }
        }
        XCTAssertEqual(missing, [], "options missing from README's CLI summary")
        for expected in ["PATH=/opt/swift/usr/bin", "3 skip without the LiteRT venv, Chromium or ../shared",
                         "Exit codes", "**64** usage error", "--signing-key", "--trusted-key"] {
            XCTAssertTrue(readme.contains(expected), "README lacks \(expected)")
        }
        XCTAssertFalse(readme.contains("lets `resume` finish"), "resume is not a CLI command")
        // The sizes quoted, made as Examples/run-digits.sh makes them.
        let adapter = RepoPaths.digits.appendingPathComponent("lora-adapter")
        XCTAssertEqual(try adapterpack(["build", "--base", base, "--adapter", adapter.path, "--map",
                                        adapter.appendingPathComponent("tensor_map.json").path, "--key", devKey,
                                        "--name", "digits-lora-adapter", "-o", path("la.apb")]).status, 0)
        XCTAssertEqual(try adapterpack(["diff", "--base", base, "--target", CLIRunner.model("lora"), "--key", devKey,
                                        "--name", "digits-lora", "-o", path("lora.apb")]).status, 0)
        let adapterBytes = ReportFormat.bytes(try RepoPaths.bytes(URL(fileURLWithPath: path("la.apb"))).count)
        let loraBytes = ReportFormat.bytes(try RepoPaths.bytes(URL(fileURLWithPath: path("lora.apb"))).count)
        XCTAssertTrue(readme.contains("digits/lora-adapter is a\n  \(adapterBytes)-byte bundle"), "README's lora-adapter size is not \(adapterBytes)")
        XCTAssertTrue(readme.contains("(digits/lora: \(loraBytes)\n"), "README's digits/lora size is not \(loraBytes)")
    }
}
