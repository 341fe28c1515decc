import Foundation
import XCTest
@testable import AdapterPack
import TestSupport

/// The JSON output against Spec/report-schema.json, and the HTML page.
final class ReportOutputTests: XCTestCase {
    static let schemaURL = RepoPaths.root.appendingPathComponent("Spec/report-schema.json")

    func schema() throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: Self.schemaURL)) as? [String: Any])
    }

    func reportJSON(_ report: OTAReport) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(report.json().utf8))
    }

    /// Validated in Swift with the subset of JSON Schema the schema uses.
    func testJSONMatchesSchemaInSwift() throws {
        let schema = try schema()
        // A guarded bundle's accuracy record too.
        var guarded = try ReportFixtures.fullReport()
        guarded.bundles[0].accuracy = AccuracyRecord(approximate: true, accuracy: 0.855, reference: 0.8675, maxDrop: 0.02)
        XCTAssertTrue(guarded.json().contains("\"approximate\" : true"), guarded.json())
        for report in [try ReportFixtures.fullReport(), try ReportBuilder().build(ReportFixtures.inputs), guarded] {
            let errors = SchemaSubset(root: schema).errors(try reportJSON(report), schema, at: "$")
            XCTAssertEqual(errors, [], errors.joined(separator: "\n"))
        }
    }

    /// The validator catches what it should (so the test above means something).
    func testSwiftValidatorRejectsBrokenReports() throws {
        let schema = try schema()
        var object = try XCTUnwrap(try reportJSON(try ReportFixtures.fullReport()) as? [String: Any])
        object.removeValue(forKey: "fleetTotals")
        var bundles = object["bundles"] as! [[String: Any]]
        bundles[0]["bundleBytes"] = "25496"
        bundles[1]["targetSHA256"] = "xyz"
        bundles[2]["surprise"] = true
        object["bundles"] = bundles
        let errors = SchemaSubset(root: schema).errors(object, schema, at: "$")
        XCTAssertTrue(errors.contains { $0.contains("$: missing required 'fleetTotals'") }, "\(errors)")
        XCTAssertTrue(errors.contains { $0.contains("$.bundles[0].bundleBytes") }, "\(errors)")
        XCTAssertTrue(errors.contains { $0.contains("$.bundles[1].targetSHA256") }, "\(errors)")
        XCTAssertTrue(errors.contains { $0.contains("$.bundles[2]: unexpected key 'surprise'") }, "\(errors)")
    }

    /// Validated with Python's jsonschema (Draft 2020-12) when it is installed.
    func testJSONMatchesSchemaWithPythonJSONSchema() throws {
        guard let python = Subprocess.which("python3") else { throw XCTSkip("python3 not installed") }
        let probe = try Subprocess.run(python, ["-c", "import jsonschema"])
        guard probe.status == 0 else { throw XCTSkip("python3 jsonschema not installed") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = dir.appendingPathComponent("full.json"), bare = dir.appendingPathComponent("bare.json")
        try FileIO.write(try ReportFixtures.fullReport().json(), to: full.path)
        try FileIO.write(try ReportBuilder().build(ReportFixtures.inputs).json(), to: bare.path)
        let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema)
        bad = 0
        for path in sys.argv[2:]:
            for e in v.iter_errors(json.load(open(path))):
                bad += 1
                print(path, list(e.absolute_path), e.message)
        sys.exit(1 if bad else 0)
        """
        let result = try Subprocess.run(python, ["-c", script, Self.schemaURL.path, full.path, bare.path])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
    }

    func testJSONRoundTrips() throws {
        let report = try ReportFixtures.fullReport()
        let decoded = try JSONDecoder().decode(OTAReport.self, from: Data(report.json().utf8))
        XCTAssertEqual(decoded, report)
        XCTAssertEqual(decoded.schema, "adapterpack-report/1")
    }

    func testHTMLIsOneSelfContainedPage() throws {
        let html = HTMLReport.render(try ReportFixtures.fullReport())
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("<link"))
        XCTAssertFalse(html.contains("@import"))
        XCTAssertFalse(html.contains("@font-face"))
        XCTAssertFalse(html.contains("src="))
        // The only URL is the SVG namespace.
        let urls = html.components(separatedBy: "http").dropFirst().map { $0.prefix(25) }
        XCTAssertTrue(urls.allSatisfy { $0.hasPrefix("://www.w3.org/2000/svg") }, "\(urls)")
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, 3, "three charts")
        for expected in ["Bytes per section", "Air time per link", "Savings vs the full model", "lorawan-sf12",
                         "RP002-1.0.x", "AN1200.13", "Bluetooth Core Specification", "nRF9160", "ESP32", "ETSI EN 300 220"] {
            XCTAssertTrue(html.contains(expected), "missing \(expected)")
        }
        XCTAssertEqual(html.components(separatedBy: "<h2>").count - 1, 3 + 3 + 3, "charts, bundles, fleet/sources/assumptions")
    }

    func testHTMLEscapesFileNames() throws {
        var builder = ReportBuilder()
        builder.links = [BLELink()]
        let report = try builder.build([ReportBuilder.Input(path: "<b>&\"x\".apb", bytes: ReportFixtures.bundles["lora"]!)])
        let html = HTMLReport.render(report)
        XCTAssertFalse(html.contains("<b>&"))
        XCTAssertTrue(html.contains("&lt;b&gt;&amp;&quot;x&quot;.apb"))
    }

    func testTerminalTable() throws {
        let text = TerminalTable.render(try ReportFixtures.fullReport(devices: 250, price: 1))
        for expected in ["== full-ft.apb", "== head-ft.apb", "== lora.apb", "front", "block-chain", "payload", "signature",
                         "full model, zlib-9", "byte delta + zlib-9", "lorawan-sf7", "wifi", "fleet", "Fleet: every bundle to 250",
                         "USD", "Link parameters and sources", "Assumptions"] {
            XCTAssertTrue(text.contains(expected), "missing \(expected) in\n\(text)")
        }
    }

    /// Renders the page with headless Chromium when it is installed and
    /// checks a non-trivial PNG came out. (Looking at it is a human's job:
    /// see the check command in the report issue.)
    func testHTMLRendersInHeadlessChromium() throws {
        guard let chromium = ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap(Subprocess.which).first else {
            throw XCTSkip("headless Chromium not installed")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html"), png = dir.appendingPathComponent("report.png")
        try FileIO.write(HTMLReport.render(try ReportFixtures.fullReport()), to: page.path)
        let result = try Subprocess.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                  "--user-data-dir=\(dir.appendingPathComponent("profile").path)",
                                                  "--screenshot=\(png.path)", "--window-size=1200,1600", page.absoluteString])
        XCTAssertEqual(result.status, 0, result.stderr)
        let bytes = try [UInt8](Data(contentsOf: png))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertGreaterThan(bytes.count, 50_000, "a 1200×1600 screenshot with charts is not near-empty")
        // IHDR: width and height, big-endian, at offsets 16 and 20.
        let width = bytes[16 ..< 20].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(width, 1200)
    }
}

/// The part of JSON Schema 2020-12 that Spec/report-schema.json uses: type,
/// required, properties, additionalProperties: false, items, minItems, $ref to
/// #/$defs, const, enum, minimum, maximum, exclusiveMinimum, pattern,
/// dependentRequired.
struct SchemaSubset {
    let root: [String: Any]

    func errors(_ value: Any, _ schema: [String: Any], at path: String) -> [String] {
        if let ref = schema["$ref"] as? String {
            let name = String(ref.dropFirst("#/$defs/".count))
            guard let defs = root["$defs"] as? [String: Any], let target = defs[name] as? [String: Any] else {
                return ["\(path): unresolved \(ref)"]
            }
            return errors(value, target, at: path)
        }
        var out: [String] = []
        if let type = schema["type"] as? String, !Self.matches(value, type) {
            return ["\(path): expected \(type), got \(Swift.type(of: value)) \(value)"]
        }
        if let c = schema["const"], !Self.equal(c, value) { out.append("\(path): expected const \(c)") }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal($0, value) }) {
            out.append("\(path): \(value) not in enum")
        }
        if let number = Self.number(value) {
            if let min = schema["minimum"] as? Double, number < min { out.append("\(path): \(number) < minimum \(min)") }
            if let max = schema["maximum"] as? Double, number > max { out.append("\(path): \(number) > maximum \(max)") }
            if let min = schema["exclusiveMinimum"] as? Double, number <= min { out.append("\(path): \(number) <= \(min)") }
        }
        if let pattern = schema["pattern"] as? String, let s = value as? String,
           s.range(of: pattern, options: .regularExpression) == nil {
            out.append("\(path): '\(s)' does not match \(pattern)")
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                out.append("\(path): missing required '\(key)'")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, child) in object.sorted(by: { $0.key < $1.key }) {
                if let sub = properties[key] as? [String: Any] {
                    out += errors(child, sub, at: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    out.append("\(path): unexpected key '\(key)'")
                }
            }
            for (key, needed) in schema["dependentRequired"] as? [String: [String]] ?? [:] where object[key] != nil {
                for other in needed where object[other] == nil { out.append("\(path): '\(key)' needs '\(other)'") }
            }
        }
        if let array = value as? [Any] {
            if let min = schema["minItems"] as? Int, array.count < min { out.append("\(path): fewer than \(min) items") }
            if let items = schema["items"] as? [String: Any] {
                for (i, item) in array.enumerated() { out += errors(item, items, at: "\(path)[\(i)]") }
            }
        }
        return out
    }

    static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        let code = String(cString: n.objCType)
        return code == "c" || code == "B"
    }

    static func number(_ v: Any) -> Double? {
        guard !isBool(v), let n = v as? NSNumber else { return nil }
        return n.doubleValue
    }

    static func matches(_ v: Any, _ type: String) -> Bool {
        switch type {
        case "object": return v is [String: Any]
        case "array": return v is [Any]
        case "string": return v is String
        case "boolean": return isBool(v)
        case "number": return number(v) != nil
        case "integer": return number(v).map { $0 == $0.rounded() } ?? false
        case "null": return v is NSNull
        default: return false
        }
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let x = a as? String, let y = b as? String { return x == y }
        if let x = number(a), let y = number(b) { return x == y }
        return false
    }
}
