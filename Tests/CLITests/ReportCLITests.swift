import Foundation
import XCTest
import AdapterPack

/// `adapterpack report` end to end: table, JSON, HTML, and refusals.
final class ReportCLITests: XCTestCase {
    var cli: CLIRunner!

    override func setUpWithError() throws {
        guard CLIRunner.binaryIsBuilt else { throw XCTSkip("adapterpack binary not built next to the tests") }
        cli = try CLIRunner()
    }

    override func tearDownWithError() throws { cli?.remove() }

    func path(_ name: String) -> String { cli.path(name) }

    func fixture(_ name: String) throws -> String { CLIRunner.model(name) }

    func adapterpack(_ arguments: [String]) throws -> CLIRunner.Output { try cli.adapterpack(arguments) }

    /// keygen → diff the three digits variants → report with table, JSON and HTML.
    func testReportOverTheDigitsBundles() throws {
        XCTAssertEqual(try adapterpack(["keygen", "-o", path("k.pem")]).status, 0)
        for v in ["full-ft", "head-ft", "lora"] {
            let diff = try adapterpack(["diff", "--base", try fixture("base"), "--target", try fixture(v),
                                        "--key", path("k.pem"), "-o", path("\(v).apb")])
            XCTAssertEqual(diff.status, 0, diff.stderr)
        }
        let args = ["report", path("full-ft.apb"), path("head-ft.apb"), path("lora.apb"), "--base", try fixture("base"),
                    "--key", path("k.pub.pem"), "--fleet", "5000", "--price-per-mb", "0.25",
                    "--json", path("r.json"), "--html", path("r.html")]
        let run = try adapterpack(args)
        XCTAssertEqual(run.status, 0, run.stderr)
        for expected in ["full-ft.apb", "head-ft.apb", "lora.apb", "byte delta + zlib-9", "lorawan-sf12", "nbiot",
                         "Fleet: every bundle to 5,000", "wrote \(path("r.json"))", "wrote \(path("r.html"))"] {
            XCTAssertTrue(run.stdout.contains(expected), "missing \(expected) in\n\(run.stdout)")
        }
        let report = try JSONDecoder().decode(OTAReport.self, from: Data(contentsOf: URL(fileURLWithPath: path("r.json"))))
        XCTAssertEqual(report.bundles.count, 3)
        XCTAssertEqual(report.fleet.devices, 5000)
        XCTAssertEqual(report.bundles.map { $0.comparison.targetSource }, Array(repeating: "applied (--key)", count: 3))
        XCTAssertTrue(try String(contentsOfFile: path("r.html"), encoding: .utf8).contains("<svg "))
        // Writing again over existing outputs works (atomic replace).
        XCTAssertEqual(try adapterpack(args).status, 0)
        // JSON on stdout, one link group.
        let json = try adapterpack(["report", path("lora.apb"), "--links", "lorawan", "--json", "-"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try JSONDecoder().decode(OTAReport.self, from: Data(json.stdout.utf8))
        XCTAssertEqual(object.links.map(\.id), (7 ... 12).map { "lorawan-sf\($0)" })
    }

    func testRefusalsHaveClearMessagesAndExitCodes() throws {
        XCTAssertEqual(try adapterpack(["keygen", "-o", path("k.pem")]).status, 0)
        XCTAssertEqual(try adapterpack(["diff", "--base", try fixture("base"), "--target", try fixture("head-ft"),
                                        "--key", path("k.pem"), "-o", path("h.apb")]).status, 0)
        let cases: [([String], String)] = [
            (["report", path("missing.apb")], "missing.apb: cannot read (no such file)"),
            (["report", try fixture("base")], "base.tflite: not a readable adapterpack bundle (not an adapterpack bundle: magic"),
            (["report", path("h.apb"), "--links", "ble,zigbee"], "unknown link 'zigbee' in --links"),
            (["report", path("h.apb"), "--fleet", "0"], "--fleet must be at least 1 device"),
            (["report", path("h.apb"), "--price-per-mb=-1"], "--price-per-mb must be a non-negative number"),
            (["report", path("h.apb"), "--key", path("k.pub.pem")], "--key reconstructs targets from the base: give --base too"),
            (["report", path("h.apb"), "--base", try fixture("lora")], "lora.tflite is not the base model of"),
            (["report", path("h.apb"), "--target", try fixture("lora")], "lora.tflite: its SHA-256 is the target of none"),
            (["report", path("h.apb"), "--html", path("no-such-dir/r.html")], "cannot write"),
        ]
        for (args, message) in cases {
            let run = try adapterpack(args)
            XCTAssertNotEqual(run.status, 0, "\(args) should fail")
            XCTAssertTrue(run.stderr.contains(message), "\(args): expected '\(message)' in stderr:\n\(run.stderr)")
        }
    }
}
