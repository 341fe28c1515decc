import AdapterPack
import ArgumentParser
import Foundation

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What an update costs over the air: bytes, air time, energy, for one device and a fleet.",
        discussion: """
        Prints whether the signatures were verified (first line) and which base model was used; then, per bundle,         the section sizes, the comparison with sending the model the device runs (or a byte-level delta) and, per         link, frames, time on air, wall time and energy; then fleet totals per bundle (the bundles are         alternatives) and the cited link parameters. With --base the comparisons use the real models; targets         come from --target files (matched by SHA-256) or from applying each bundle with the device loader         (--trusted-key, which also verifies the signatures). Every section digest is checked: an altered bundle         is refused. --json and --html destinations are checked before anything is printed; on an error nothing         is written.

        Example:
          adapterpack report lora.apb head-ft.apb --base base.tflite --trusted-key dev.pub.pem --fleet 10000 --price-per-mb 0.40 --currency EUR --links ble,lorawan,nbiot --json r.json --html r.html
        """)

    @Argument(help: "Bundles to report on (.apb).") var bundles: [String]
    @Option(help: "Base model the bundles apply to: enables the zlib-9 full-model and byte-delta comparisons.") var base: String?
    @Option(help: "Target model(s); each must be the target of one of the bundles.") var target: [String] = []
    @Option(name: [.customLong("trusted-key"), .customLong("key")],
            help: "Trusted public key(s), PEM: with --base, verifies each bundle's signature and applies it to reconstruct its target (--key is an alias).")
    var key: [String] = []
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
        if !key.isEmpty && base == nil { throw ValidationError("--key reconstructs targets from the base: give --base too (--trusted-key is the same option)") }
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
        // Everything is rendered and every destination checked before anything is
        // printed or written; a failed write undoes the ones before it.
        var files: [(path: String, text: String)] = []
        if let json, json != "-" { files.append((json, report.json())) }
        if let html { files.append((html, HTMLReport.render(report))) }
        for file in files { try checkWritable(file.path) }
        let stdout = json == "-" ? report.json() : TerminalTable.render(report)
        var written: [(path: String, previous: [UInt8]?)] = []
        do {
            for file in files {
                let previous = try? FileIO.read(file.path, limit: .modelOrBundle)
                try FileIO.write(file.text, to: file.path)
                written.append((file.path, previous))
            }
        } catch {
            for file in written.reversed() {
                if let previous = file.previous { try? FileIO.write(previous, to: file.path) } else { unlink(file.path) }
            }
            throw error
        }
        print(stdout, terminator: "")
        for file in files {
            // With --json -, stdout is the JSON alone.
            if json == "-" { FileHandle.standardError.write(Data("wrote \(file.path)\n".utf8)) } else { print("wrote \(file.path)") }
        }
    }
}

/// Refuses (with `FileIOError`, "PATH: cannot write (…)") a destination whose
/// directory is missing or not writable, or that is a directory.
func checkWritable(_ path: String) throws {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
        throw FileIOError.noDirectory(path: path, directory: directory, exists: false)
    }
    guard isDirectory.boolValue else { throw FileIOError.noDirectory(path: path, directory: directory, exists: true) }
    guard access(directory, W_OK) == 0 else {
        throw FileIOError.writeFailed(path: path, operation: "access to directory '\(directory)'", code: errno)
    }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw FileIOError.writeFailed(path: path, operation: "write over a directory", code: EISDIR)
    }
}
