/// The plain-text report printed on the terminal: aligned tables, no colour.
public enum TerminalTable {
    /// The fleet table's accuracy cell: `85.50 % (ref 86.75 %) approx`.
    static func accuracyCell(_ a: AccuracyRecord?) -> String {
        guard let a else { return "—" }
        return "\(GuardedBuildError.points(a.accuracy)) (ref \(GuardedBuildError.points(a.reference)))\(a.approximate ? " approx" : "")"
    }

    /// Renders rows as columns; `right` marks right-aligned columns.
    static func table(_ header: [String], _ rows: [[String]], right: Set<Int>) -> String {
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return right.contains(c) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).map { "  " + $0 }.joined(separator: "\n") + "\n"
    }

    public static func render(_ report: OTAReport) -> String {
        typealias F = ReportFormat
        var out = report.verificationSummary + "\n"
        out += "adapterpack OTA report — \(report.bundles.count) bundle(s), fleet of \(F.bytes(report.fleet.devices)) device(s)\n"
        if let base = report.baseModel {
            out += "base model: \(base.file) (\(F.bytes(base.bytes)) bytes, sha256 \(base.sha256))\n"
        } else {
            out += "base model: not given (--base): comparisons with the compressed model and a byte delta are left out\n"
        }
        let names = Dictionary(report.links.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        for bundle in report.bundles {
            out += "\n== \(bundle.file)" + (bundle.name.map { " (\($0))" } ?? "") + "\n"
            let c = bundle.comparison
            var model = "model \(F.bytes(bundle.baseBytes)) → \(F.bytes(bundle.targetBytes)) bytes"
            if let kept = c.keptForUnapplyBytes {
                model += " (the device runs \(F.bytes(c.fullModelRawBytes)); \(F.bytes(kept)) bytes of base rows kept for unapply)"
            }
            out += "  \(F.bytes(bundle.bundleBytes)) bytes; \(model); sequence \(bundle.sequence); RAM window \(F.bytes(bundle.windowBytes)) bytes\n"
            if let a = bundle.accuracy { out += "  accuracy: \(a.summary)\n" }
            let v = bundle.verification
            out += "  signature: " + (v.verified ? "verified, key \(v.keyID ?? "")" : "NOT VERIFIED (not checked; block digests match)") + "\n"
            for note in v.notes { out += "  note: \(note)\n" }
            out += "\n"
            let s = bundle.sizes
            out += table(["part", "codec", "stored", "decoded", "ratio", "share"],
                         s.parts.map { [$0.name, $0.codec, F.bytes($0.storedBytes), F.bytes($0.decodedBytes),
                                        F.ratio($0.compressionRatio), F.percent($0.fraction)] }
                         + [["total", "", F.bytes(s.totalBytes), F.bytes(s.decodedBytes), F.ratio(s.compressionRatio), "100.0 %"]],
                         right: [2, 3, 4, 5])
            out += "  op streams: \(F.bytes(s.opStreamDecodedBytes)) bytes decoded in \(F.bytes(s.opStreamStoredBytes)) stored (\(F.ratio(s.opStreamCompressionRatio)))\n\n"
            var rows = [["full model, raw", F.bytes(c.fullModelRawBytes), F.saving(c.savingVsFullRaw)]]
            if let z = c.fullModelZlib9Bytes, let saving = c.savingVsFullZlib9 {
                rows.append(["full model, zlib-9" + (c.fullModelZlib9Of == "target" ? "" : " of base (proxy)"), F.bytes(z), F.saving(saving)])
            }
            if let d = c.byteDeltaZlib9Bytes, let saving = c.savingVsByteDelta {
                rows.append(["byte delta + zlib-9", F.bytes(d), F.saving(saving)])
            }
            out += table(["instead of sending", "bytes", "the bundle"], rows, right: [1])
            for line in Self.largerNotes(c) { out += "  note: \(line)\n" }
            if c.fullModelZlib9Bytes == nil {
                out += "  (zlib-9 and byte-level delta comparisons need --base, and the target: --target FILE or --key PUB.pem)\n"
            } else if c.byteDeltaZlib9Bytes == nil {
                out += "  (byte-level delta needs --base and the target: --target FILE or --key PUB.pem)\n"
            }
            out += "\n"
            out += table(["link", "frames", "link bytes", "time on air", "uplink", "wall time", "energy", "airtime energy"],
                         bundle.links.map { [$0.link, F.bytes($0.frames), F.bytes($0.linkBytes), F.duration($0.timeOnAirSeconds),
                                             F.duration($0.uplinkTimeOnAirSeconds), F.duration($0.wallTimeSeconds),
                                             F.energy(millijoules: $0.energyMillijoules),
                                             F.energy(millijoules: $0.airtimeEnergyMillijoules)] },
                         right: [1, 2, 3, 4, 5, 6, 7])
        }
        out += "\n== Fleet: every bundle to \(F.bytes(report.fleet.devices)) device(s), each bundle on its own (alternatives, not added up)\n"
        let guarded = report.bundles.contains { $0.accuracy != nil }
        out += table(["bundle"] + (guarded ? ["bytes", "accuracy"] : []) + ["fleet bytes", "cost"], report.bundles.map { b in
            [fileName(b.file), ] + (guarded ? [F.bytes(b.bundleBytes), Self.accuracyCell(b.accuracy)] : [])
                + [F.volume(b.fleet.bytes), b.fleet.cost.map { F.money($0, report.fleet.currency) } ?? "—"]
        }, right: guarded ? [1, 2, 3, 4] : [1, 2])
        if report.fleet.pricePerMB == nil { out += "  (no cost: give --price-per-mb)\n" }
        let bundleNames = report.bundles.map { fileName($0.file) }
        for (title, value) in [("fleet time on air per link", { (l: FleetTotals.Link) in F.duration(l.timeOnAirSeconds) }),
                               ("fleet device radio energy per link", { (l: FleetTotals.Link) in F.joules(l.energyJoules) })] {
            out += "\n  \(title), each bundle to every device:\n"
            out += table(["link"] + bundleNames, report.links.map { link in
                [link.id] + report.bundles.map { b in b.fleet.links.first { $0.link == link.id }.map(value) ?? "—" }
            }, right: Set(1 ... max(1, bundleNames.count)))
        }
        out += "\n== Link parameters and sources\n"
        for link in report.links where !link.id.hasPrefix("lorawan-") || link.id == report.links.first(where: { $0.id.hasPrefix("lorawan-") })?.id {
            let title = link.id.hasPrefix("lorawan-") ? "LoRaWAN EU868 (SF7–SF12)" : (names[link.id] ?? link.id)
            out += "  \(title)\n"
            for p in link.parameters { out += "    - \(p.name): \(p.value) [\(p.source)]\n" }
        }
        out += "\n== Assumptions\n"
        for a in report.assumptions { out += "  - \(a)\n" }
        return out
    }

    /// Notes for the alternatives a bundle is larger than.
    static func largerNotes(_ c: ModelComparison) -> [String] {
        var notes: [String] = []
        if c.savingVsFullRaw < 0 {
            notes.append("the bundle is larger than the whole model (\(ReportFormat.bytes(c.fullModelRawBytes)) bytes)")
        } else if let z = c.fullModelZlib9Bytes, let s = c.savingVsFullZlib9, s < 0 {
            notes.append("the bundle is larger than the zlib-9 model (\(ReportFormat.bytes(z)) bytes)")
        }
        if let d = c.byteDeltaZlib9Bytes, let s = c.savingVsByteDelta, s < 0 {
            notes.append("the bundle is larger than a plain byte delta + zlib-9 (\(ReportFormat.bytes(d)) bytes), which carries no "
                         + "header, digests or signature, assumes an unchanged layout and needs a 32 KiB inflate window")
        }
        return notes
    }

    static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
