/// The report as one self-contained HTML page: inline CSS and SVG, no
/// scripts, no external fonts, images or style sheets.
public enum HTMLReport {
    static func e(_ s: String) -> String { SVGCharts.escape(s) }

    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int>) -> String {
        var h = "<table><thead><tr>"
        for (i, c) in header.enumerated() { h += "<th\(numeric.contains(i) ? " class=\"n\"" : "")>\(e(c))</th>" }
        h += "</tr></thead><tbody>\n"
        for row in rows {
            h += "<tr>"
            for (i, c) in row.enumerated() { h += "<td\(numeric.contains(i) ? " class=\"n\"" : "")>\(e(c))</td>" }
            h += "</tr>\n"
        }
        return h + "</tbody></table>\n"
    }

    static let style = """
    :root { color-scheme: light; }
    body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0; background: #f3f4f6; color: #111827; }
    main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
    h1 { font-size: 26px; margin: 8px 0 4px; }
    h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid #d1d5db; padding-bottom: 4px; }
    h3 { font-size: 15px; margin: 18px 0 6px; }
    p.sub { color: #4b5563; margin: 0 0 16px; }
    .cards { display: flex; flex-wrap: wrap; gap: 12px; }
    .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 16px; flex: 1 1 220px; }
    .card .big { font-size: 22px; font-weight: 600; }
    .card .muted, .muted { color: #6b7280; font-size: 13px; }
    .panel { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 14px 16px; margin: 10px 0; overflow-x: auto; }
    table { border-collapse: collapse; font-size: 13px; width: 100%; }
    th, td { padding: 4px 8px; border-bottom: 1px solid #e5e7eb; text-align: left; vertical-align: top; }
    th { background: #f9fafb; font-weight: 600; }
    td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    ul { margin: 6px 0; padding-left: 20px; font-size: 13px; }
    li { margin: 3px 0; }
    code { font-size: 12px; }
    .verify { font-weight: 600; padding: 8px 12px; border-radius: 6px; margin: 0 0 12px; }
    .verify.no { background: #fee2e2; color: #991b1b; border: 1px solid #fca5a5; }
    .verify.yes { background: #dcfce7; color: #166534; border: 1px solid #86efac; }
    """

    public static func render(_ report: OTAReport) -> String {
        typealias F = ReportFormat
        var h = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>adapterpack OTA report</title>
        <style>
        \(style)
        </style>
        </head>
        <body><main>
        <p class="verify \(report.signaturesVerified ? "yes" : "no")">\(e(report.verificationSummary))</p>
        <h1>OTA bandwidth report</h1>
        <p class="sub">Base model: \(report.baseModel.map { "\(e($0.file)) (\(F.bytes($0.bytes)) bytes, SHA-256 <code>\($0.sha256)</code>)" } ?? "not given (<code>--base</code>): comparisons with the compressed model and a byte delta are left out")</p>
        <p class="sub">\(report.bundles.count) bundle(s), fleet of \(F.bytes(report.fleet.devices)) device(s) · \(e(report.tool)) · schema <code>\(e(report.schema))</code></p>
        <div class="cards">

        """
        for b in report.bundles {
            let c = b.comparison
            var lines = "vs the \(F.bytes(c.fullModelRawBytes)) B model the device runs: \(F.saving(c.savingVsFullRaw))"
            if let s = c.savingVsFullZlib9 { lines += "<br>vs zlib-9 model: \(F.saving(s))" }
            if let s = c.savingVsByteDelta { lines += "<br>vs byte delta: \(F.saving(s))" }
            lines += "<br>signature: " + (b.verification.verified ? "verified" : "NOT VERIFIED")
            h += "<div class=\"card\"><div class=\"muted\">\(e(TerminalTable.fileName(b.file)))</div><div class=\"big\">\(F.bytes(b.bundleBytes)) bytes</div><div class=\"muted\">\(lines)</div></div>\n"
        }
        h += "</div>\n"
        h += "<h2>Bytes per section (stored), per bundle</h2>\n<div class=\"panel\">\(SVGCharts.sectionBytes(report))</div>\n"
        h += "<h2>Air time per link: time on air (dark) and wall time under duty cycle (light), one device</h2>\n<div class=\"panel\">\(SVGCharts.airTime(report))</div>\n"
        h += "<h2>Savings vs the full model the device runs, and vs a byte delta (bytes)</h2>\n<div class=\"panel\">\(SVGCharts.savings(report))</div>\n"

        for b in report.bundles {
            h += "<h2>\(e(b.file))\(b.name.map { " — " + e($0) } ?? "")</h2>\n"
            let kept = b.comparison.keptForUnapplyBytes.map { " (the device runs \(F.bytes(b.comparison.fullModelRawBytes)); \(F.bytes($0)) bytes of base rows kept for unapply)" } ?? ""
            let signature = b.verification.verified ? "signature verified (key <code>\(b.verification.keyID ?? "")</code>)" : "<strong>signature NOT VERIFIED</strong> (not checked)"
            if let a = b.accuracy { h += "<p>Accuracy: \(e(a.summary))</p>\n" }
            h += "<p class=\"muted\">\(signature)\(b.verification.notes.map { " · " + e($0) }.joined())</p>\n"
            h += "<p class=\"muted\">\(F.bytes(b.bundleBytes)) bytes · model \(F.bytes(b.baseBytes)) → \(F.bytes(b.targetBytes)) bytes\(kept) · sequence \(b.sequence) · RAM window \(F.bytes(b.windowBytes)) bytes · target SHA-256 <code>\(b.targetSHA256)</code></p>\n"
            let s = b.sizes
            h += "<h3>Sections</h3><div class=\"panel\">"
            h += table(["part", "codec", "stored", "decoded", "ratio", "share"],
                       s.parts.map { [$0.name, $0.codec, F.bytes($0.storedBytes), F.bytes($0.decodedBytes),
                                      F.ratio($0.compressionRatio), F.percent($0.fraction)] }
                       + [["total", "", F.bytes(s.totalBytes), F.bytes(s.decodedBytes), F.ratio(s.compressionRatio), "100.0 %"]],
                       numeric: [2, 3, 4, 5])
            h += "<p class=\"muted\">Op streams: \(F.bytes(s.opStreamDecodedBytes)) bytes decoded from \(F.bytes(s.opStreamStoredBytes)) stored (\(F.ratio(s.opStreamCompressionRatio))).</p></div>\n"
            let c = b.comparison
            var rows = [["full model, raw", F.bytes(c.fullModelRawBytes), F.saving(c.savingVsFullRaw)]]
            if let z = c.fullModelZlib9Bytes, let sv = c.savingVsFullZlib9 {
                rows.append([c.fullModelZlib9Of == "target" ? "full model, zlib-9" : "base model zlib-9 (proxy for the target)", F.bytes(z), F.saving(sv)])
            }
            if let d = c.byteDeltaZlib9Bytes, let sv = c.savingVsByteDelta { rows.append(["byte-level delta + zlib-9", F.bytes(d), F.saving(sv)]) }
            h += "<h3>Compared with</h3><div class=\"panel\">" + table(["instead of sending", "bytes", "the bundle"], rows, numeric: [1])
            for note in TerminalTable.largerNotes(c) { h += "<p class=\"muted\">Note: \(e(note)).</p>" }
            if let m = c.byteDeltaMethod { h += "<p class=\"muted\">Byte-level delta: \(e(m)). Target \(e(c.targetSource ?? "")).</p>" }
            else { h += "<p class=\"muted\">Byte-level delta not computed: needs <code>--base</code> and the target (<code>--target</code> or <code>--key</code>).</p>" }
            h += "</div>\n<h3>Per link (one device)</h3><div class=\"panel\">"
            h += table(["link", "frames", "link bytes", "time on air", "uplink air", "wall time", "energy", "airtime energy"],
                       b.links.map { [$0.link, F.bytes($0.frames), F.bytes($0.linkBytes), F.duration($0.timeOnAirSeconds),
                                      F.duration($0.uplinkTimeOnAirSeconds), F.duration($0.wallTimeSeconds),
                                      F.energy(millijoules: $0.energyMillijoules), F.energy(millijoules: $0.airtimeEnergyMillijoules)] },
                       numeric: [1, 2, 3, 4, 5, 6, 7])
            h += "</div>\n"
        }

        h += "<h2>Fleet: each bundle to \(F.bytes(report.fleet.devices)) device(s), on its own (alternatives, not added up)</h2>\n<div class=\"panel\">"
        if let price = report.fleet.pricePerMB {
            h += "<p>Cost at \(F.money(price, report.fleet.currency)) per MB (10<sup>6</sup> bytes).</p>"
        } else { h += "<p>No price given (<code>--price-per-mb</code>).</p>" }
        let guarded = report.bundles.contains { $0.accuracy != nil }
        h += table(["bundle"] + (guarded ? ["bytes", "accuracy"] : []) + ["fleet bytes", "cost"], report.bundles.map { b in
            [TerminalTable.fileName(b.file), ] + (guarded ? [F.bytes(b.bundleBytes), TerminalTable.accuracyCell(b.accuracy)] : [])
                + [F.volume(b.fleet.bytes), b.fleet.cost.map { F.money($0, report.fleet.currency) } ?? "—"]
        }, numeric: guarded ? [1, 2, 3, 4] : [1, 2])
        let names = report.bundles.map { TerminalTable.fileName($0.file) }
        for (title, value) in [("Fleet time on air per link", { (l: FleetTotals.Link) in F.duration(l.timeOnAirSeconds) }),
                               ("Fleet device radio energy per link", { (l: FleetTotals.Link) in F.joules(l.energyJoules) })] {
            h += "<h3>\(title), each bundle to every device</h3>"
            h += table(["link"] + names, report.links.map { link in
                [link.id] + report.bundles.map { b in b.fleet.links.first { $0.link == link.id }.map(value) ?? "—" }
            }, numeric: Set(1 ... max(1, names.count)))
        }
        h += "</div>\n"

        h += "<h2>Link parameters and sources</h2>\n"
        var shownLoRa = false
        for link in report.links {
            let isLoRa = link.id.hasPrefix("lorawan-")
            if isLoRa && shownLoRa { continue }
            shownLoRa = shownLoRa || isLoRa
            h += "<div class=\"panel\"><h3>\(e(isLoRa ? "LoRaWAN EU868, SF7–SF12" : link.name))</h3>"
            h += table(["parameter", "value", "source"], link.parameters.map { [$0.name, $0.value, $0.source] }, numeric: [])
            h += "<p class=\"muted\">Timing: \(e(link.timingModel))<br>Energy: \(e(link.energyModel))</p></div>\n"
        }
        h += "<h2>Assumptions</h2>\n<div class=\"panel\"><ul>\n"
        for a in report.assumptions { h += "<li>\(e(a))</li>\n" }
        h += "</ul></div>\n</main></body>\n</html>\n"
        return h
    }
}
