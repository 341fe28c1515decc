import Foundation

/// Inline SVG charts for the HTML report: plain shapes and text, sized by a
/// viewBox so they scale with the page; no scripts, no external fonts.
public enum SVGCharts {
    static let width = 1000.0
    static let labelWidth = 190.0
    static let valueWidth = 150.0
    static var plotWidth: Double { width - labelWidth - valueWidth }

    static let sectionColors: [String: String] = [
        "front": "#6b7280", "block-chain": "#9ca3af", "record-headers": "#d1d5db", "metadata": "#a78bfa", "tensor-map": "#60a5fa",
        "layout": "#f472b6", "scales": "#f59e0b", "payload": "#10b981", "undo": "#fb923c", "signature": "#ef4444",
    ]
    static let bundleColors = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"]

    static func bundleColor(_ i: Int) -> String { bundleColors[i % bundleColors.count] }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func n(_ x: Double) -> String { String(format: "%.1f", x) }

    static func svg(height: Double, title: String, _ body: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(n(width)) \(n(height))" width="100%" role="img" aria-label="\(escape(title))" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif" font-size="13">
        <title>\(escape(title))</title>
        \(body)</svg>
        """
    }

    static func text(_ x: Double, _ y: Double, _ s: String, anchor: String = "start", fill: String = "#111827",
                     weight: String = "normal", size: Double? = nil) -> String {
        let sz = size.map { " font-size=\"\(n($0))\"" } ?? ""
        return "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\" font-weight=\"\(weight)\"\(sz)>\(escape(s))</text>\n"
    }

    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ fill: String, title: String? = nil) -> String {
        let t = title.map { "<title>\(escape($0))</title>" } ?? ""
        return "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(w, 0)))\" height=\"\(n(h))\" fill=\"\(fill)\">\(t)</rect>\n"
    }

    static func shortName(_ path: String) -> String { TerminalTable.fileName(path) }

    /// One stacked bar per bundle: stored bytes of each part.
    public static func sectionBytes(_ report: OTAReport) -> String {
        let rowH = 30.0, barH = 20.0, top = 10.0
        let maxBytes = Double(report.bundles.map(\.bundleBytes).max() ?? 1)
        var body = ""
        for (i, b) in report.bundles.enumerated() {
            let y = top + Double(i) * rowH
            body += text(labelWidth - 10, y + 15, shortName(b.file), anchor: "end")
            var x = labelWidth
            for part in b.sizes.parts {
                let w = Double(part.storedBytes) / maxBytes * plotWidth
                body += rect(x, y, w, barH, sectionColors[part.name] ?? "#374151",
                             title: "\(part.name): \(ReportFormat.bytes(part.storedBytes)) bytes (\(ReportFormat.percent(part.fraction)))")
                x += w
            }
            body += text(x + 8, y + 15, "\(ReportFormat.bytes(b.bundleBytes)) B")
        }
        // Legend: only the parts that occur.
        var seen: [String] = []
        for b in report.bundles { for p in b.sizes.parts where !seen.contains(p.name) { seen.append(p.name) } }
        var legendY = top + Double(report.bundles.count) * rowH + 14
        var lx = labelWidth
        for name in seen {
            let itemWidth = 30 + Double(name.count) * 7
            // Wrap to a new line rather than run past the chart's right edge.
            if lx + itemWidth > labelWidth + plotWidth + 60, lx > labelWidth {
                lx = labelWidth
                legendY += 20
            }
            body += rect(lx, legendY - 10, 12, 12, sectionColors[name] ?? "#374151")
            body += text(lx + 17, legendY, name, size: 12)
            lx += itemWidth
        }
        return svg(height: legendY + 12, title: "Stored bytes per section, per bundle", body)
    }

    /// Human ticks for the log time axis (placed at their true positions).
    static let timeTicks: [(Double, String)] = [
        (1e-4, "0.1 ms"), (1e-3, "1 ms"), (1e-2, "10 ms"), (0.1, "100 ms"), (1, "1 s"), (10, "10 s"), (60, "1 min"),
        (600, "10 min"), (3600, "1 h"), (86_400, "1 d"), (864_000, "10 d"), (8_640_000, "100 d"),
    ]

    /// Per link, one bar per bundle on a log time axis: wall time (light) with
    /// time on air (dark) inside it.
    public static func airTime(_ report: OTAReport) -> String {
        let barH = 9.0, gap = 3.0, groupGap = 12.0, top = 28.0
        let times = report.bundles.flatMap { $0.links.flatMap { [$0.timeOnAirSeconds, $0.wallTimeSeconds] } }.filter { $0 > 0 }
        let lo = floor(log10(times.min() ?? 0.001)), hi = ceil(log10(times.max() ?? 1))
        let span = max(hi - lo, 1)
        func xOf(_ s: Double) -> Double { labelWidth + (log10(max(s, pow(10, lo))) - lo) / span * plotWidth }
        let groupH = Double(report.bundles.count) * (barH + gap) - gap
        var body = ""
        let axisBottom = top + Double(report.links.count) * (groupH + groupGap)
        for (seconds, label) in timeTicks where seconds >= pow(10, lo) && seconds <= pow(10, hi) {
            let x = xOf(seconds)
            body += "<line x1=\"\(n(x))\" y1=\"\(n(top - 6))\" x2=\"\(n(x))\" y2=\"\(n(axisBottom))\" stroke=\"#e5e7eb\"/>\n"
            body += text(x, top - 10, label, anchor: "middle", fill: "#6b7280", size: 11)
        }
        for (li, link) in report.links.enumerated() {
            let gy = top + Double(li) * (groupH + groupGap)
            body += text(labelWidth - 10, gy + groupH / 2 + 4, link.id, anchor: "end")
            for (bi, b) in report.bundles.enumerated() {
                guard let t = b.links.first(where: { $0.link == link.id }) else { continue }
                let y = gy + Double(bi) * (barH + gap)
                let color = bundleColor(bi)
                body += "<rect x=\"\(n(labelWidth))\" y=\"\(n(y))\" width=\"\(n(xOf(t.wallTimeSeconds) - labelWidth))\" height=\"\(n(barH))\" fill=\"\(color)\" fill-opacity=\"0.28\"><title>\(escape(shortName(b.file))) on \(link.id): wall time \(ReportFormat.duration(t.wallTimeSeconds))</title></rect>\n"
                body += rect(labelWidth, y, xOf(t.timeOnAirSeconds) - labelWidth, barH, color,
                             title: "\(shortName(b.file)) on \(link.id): time on air \(ReportFormat.duration(t.timeOnAirSeconds))")
                let label = "air \(ReportFormat.duration(t.timeOnAirSeconds)) · wall \(ReportFormat.duration(t.wallTimeSeconds))"
                let labelX = xOf(t.wallTimeSeconds) + 6
                // About 5.5 units per character at size 10: keep the label inside the chart.
                let fits = labelX + Double(label.count) * 5.5 <= width
                body += text(fits ? labelX : width - 2, y + barH - 1, label, anchor: fits ? "start" : "end", fill: "#374151", size: 10)
            }
        }
        // Legend: per bundle its own colour, dark for time on air, light for wall time.
        var ly = axisBottom + 16
        for (bi, b) in report.bundles.enumerated() {
            let color = bundleColor(bi)
            body += rect(labelWidth, ly - 10, 12, 12, color)
            body += text(labelWidth + 17, ly, "time on air", size: 12)
            body += "<rect x=\"\(n(labelWidth + 100))\" y=\"\(n(ly - 10))\" width=\"12\" height=\"12\" fill=\"\(color)\" fill-opacity=\"0.28\"/>\n"
            body += text(labelWidth + 117, ly, "wall time (with duty cycle)", size: 12)
            body += text(labelWidth + 300, ly, shortName(b.file), weight: "600", size: 12)
            ly += 18
        }
        body += text(width - 10, ly - 18, "log time scale", anchor: "end", fill: "#6b7280", size: 11)
        return svg(height: ly, title: "Time on air and wall time per link, one device", body)
    }

    /// Per bundle: the bundle next to the full model (raw, zlib-9) and the
    /// byte-level delta, with the saving.
    public static func savings(_ report: OTAReport) -> String {
        let barH = 14.0, gap = 4.0, groupGap = 14.0, top = 4.0
        let plot = width - labelWidth - 250
        let maxBytes = Double(report.bundles.map { max($0.comparison.fullModelRawBytes, $0.bundleBytes) }.max() ?? 1)
        var body = ""
        var y = top
        for (bi, b) in report.bundles.enumerated() {
            let c = b.comparison
            var rows: [(String, Int, String, Double?)] = [("model the device runs", c.fullModelRawBytes, "#9ca3af", nil)]
            if let z = c.fullModelZlib9Bytes {
                rows.append((c.fullModelZlib9Of == "target" ? "full model zlib-9" : "base zlib-9 (proxy)", z, "#6b7280", nil))
            }
            if let d = c.byteDeltaZlib9Bytes { rows.append(("byte delta zlib-9", d, "#4b5563", nil)) }
            rows.append(("bundle", b.bundleBytes, bundleColor(bi), nil))
            body += text(labelWidth, y + 12, shortName(b.file), weight: "600")
            y += 20
            for (label, bytes, color, _) in rows {
                body += text(labelWidth - 10, y + barH - 2, label, anchor: "end", fill: "#374151", size: 12)
                let w = Double(bytes) / maxBytes * plot
                body += rect(labelWidth, y, w, barH, color, title: "\(label): \(ReportFormat.bytes(bytes)) bytes")
                var value = "\(ReportFormat.bytes(bytes)) B"
                if label != "bundle" && bytes > 0 {
                    value += "  (bundle \(ReportFormat.saving(1 - Double(b.bundleBytes) / Double(bytes))))"
                }
                body += text(labelWidth + w + 6, y + barH - 2, value, fill: "#111827", size: 12)
                y += barH + gap
            }
            y += groupGap
        }
        return svg(height: y, title: "Bundle size vs the model the device runs and a byte delta", body)
    }
}
