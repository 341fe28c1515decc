import Foundation
import XCTest
import AdapterPack

/// Runs processes for the report tests: the built `adapterpack` binary,
/// python3 and Chromium.
enum ReportCLI {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `swift build`/`swift test` put the executable next to the test bundle.
    static var binary: URL? {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            let candidate = bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("adapterpack")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        // Linux: the test runner is an executable in the products folder.
        let sibling = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("adapterpack")
        return FileManager.default.isExecutableFile(atPath: sibling.path) ? sibling : nil
    }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr on another thread so neither pipe can fill and block.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let reader = Thread { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self))
    }
}

/// `adapterpack report` end to end: table, JSON, HTML, and refusals.
final class ReportCLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        guard ReportCLI.binary != nil else { throw XCTSkip("adapterpack binary not built next to the tests") }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { if let dir { try? FileManager.default.removeItem(at: dir) } }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func fixture(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "tflite", subdirectory: "Fixtures")).path
    }

    func adapterpack(_ arguments: [String]) throws -> ReportCLI.Output {
        try ReportCLI.run(ReportCLI.binary!.path, arguments, in: dir)
    }

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
