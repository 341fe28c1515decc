import AdapterPack
import ArgumentParser

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What an update costs over the air: bytes, air time, energy, for one device and a fleet.",
        discussion: """
        Prints, per bundle, the section sizes, the saving against sending the model and, per link, frames, time on air, wall time and energy; then fleet totals and the cited link parameters. With --base the comparisons use the real models; targets come from --target files (matched by SHA-256) or from applying each bundle with the device loader (--key).

        Example:
          adapterpack report lora.apb head-ft.apb --base base.tflite --key dev.pub.pem --fleet 10000 --price-per-mb 0.40 --links ble,lorawan,nbiot --json r.json --html r.html
        """)

    @Argument(help: "Bundles to report on (.apb).") var bundles: [String]
    @Option(help: "Base model the bundles apply to: enables the zlib-9 full-model and byte-delta comparisons.") var base: String?
    @Option(help: "Target model(s); each must be the target of one of the bundles.") var target: [String] = []
    @Option(help: "Trusted public key(s): with --base, applies each bundle to reconstruct its target.") var key: [String] = []
    @Option(help: "Number of devices for fleet totals.") var fleet: Int = 1
    @Option(help: "Price per MB (10^6 bytes) for the fleet cost.") var pricePerMb: Double?
    @Option(help: "Currency label for the cost.") var currency: String = "USD"
    @Option(help: "Comma-separated links: ble, lorawan (SF7-SF12), lorawan-sf7 … lorawan-sf12, nbiot, ltem, wifi, all.")
    var links: String = "all"
    @Option(help: "Write the report as JSON (Spec/report-schema.json); '-' prints it instead of the table.") var json: String?
    @Option(help: "Write the report as one self-contained HTML page with SVG charts.") var html: String?

    func validate() throws {
        if fleet < 1 { throw ValidationError("--fleet must be at least 1 device") }
        if let pricePerMb, !(pricePerMb >= 0 && pricePerMb.isFinite) {
            throw ValidationError("--price-per-mb must be a non-negative number")
        }
        if !key.isEmpty && base == nil { throw ValidationError("--key reconstructs targets from the base: give --base too") }
    }

    func run() throws {
        var builder = ReportBuilder()
        builder.links = try LinkCatalog.parse(links)
        builder.devices = fleet
        builder.pricePerMB = pricePerMb
        builder.currency = currency
        if let base { builder.base = (base, try FileIO.read(base, limit: .modelOrBundle)) }
        builder.targets = try target.map { ($0, try FileIO.read($0, limit: .modelOrBundle)) }
        if !key.isEmpty { builder.keys = try TrustedKeys(pemFiles: key) }
        let inputs = try bundles.map { ReportBuilder.Input(path: $0, bytes: try FileIO.read($0, limit: .modelOrBundle)) }
        let report = try builder.build(inputs)
        if json == "-" {
            print(report.json(), terminator: "")
        } else {
            print(TerminalTable.render(report), terminator: "")
        }
        if let json, json != "-" {
            try FileIO.write(report.json(), to: json)
            print("wrote \(json)")
        }
        if let html {
            try FileIO.write(HTMLReport.render(report), to: html)
            print("wrote \(html)")
        }
    }
}
