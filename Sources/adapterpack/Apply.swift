import AdapterPack
import ArgumentParser

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a bundle to a base model with the device loader and write the result.")

    @Argument(help: "Bundle to apply.") var bundle: String
    @Option(help: "Base model (.tflite); it is never modified.") var base: String
    @Option(help: "Trusted public key(s), PEM.") var key: [String]
    @Option(name: .shortAndLong, help: "Model file to write.") var output: String
    @Option(help: "RAM window for the loader in bytes (default: the bundle's declared size).") var window: Int?
    @Option(help: "Device's stored sequence number: older bundles are refused.") var minSequence: UInt64 = 0
    @OptionGroup var flash: FlashOptions

    func run() throws {
        let keys = try TrustedKeys(pemFiles: key)
        let bundleBytes = try FileIO.read(bundle, limit: .modelOrBundle)
        let baseBytes = try FileIO.read(base, limit: .modelOrBundle)
        let model: [UInt8], sequence: UInt64, digest: String
        if let pageSize = flash.flashPage {
            let report = try HostLoader.runOnFlash(bundle: bundleBytes, model: baseBytes, keys: keys, pageSize: pageSize,
                                                   programSize: flash.programSize, window: window,
                                                   minimumSequence: minSequence, powerCutAt: flash.powerCutAt)
            flash.describe(report)
            (model, sequence, digest) = (report.model, report.outcome.sequence, report.outcome.modelSHA256.hex)
        } else {
            let result = try HostLoader.apply(bundle: bundleBytes, base: baseBytes, keys: keys, window: window,
                                              minimumSequence: minSequence)
            (model, sequence, digest) = (result.model, result.outcome.sequence, result.outcome.modelSHA256.hex)
        }
        try FileIO.write(model, to: output)
        print("wrote \(output): \(model.count) bytes, sha256 \(digest) (target verified)")
        print("new device sequence number: \(sequence); re-create the TFLite Micro interpreter after an update")
    }
}

/// Runs the loader on simulated page-erased flash instead of RAM.
struct FlashOptions: ParsableArguments {
    @Option(help: "Apply on simulated flash with this erase-page size (bytes), journaled and power-fail safe.")
    var flashPage: Int?
    @Option(help: "Flash program granularity in bytes (with --flash-page).") var programSize: Int = 8
    @Option(help: "Cut power at this flash operation (0-based), then resume (with --flash-page).") var powerCutAt: Int?

    func validate() throws {
        if let page = flashPage, page < 256 || page & (page - 1) != 0 {
            throw ValidationError("--flash-page must be a power of two of at least 256 bytes")
        }
        if programSize < 1 || (flashPage ?? 4096) % programSize != 0 {
            throw ValidationError("--program-size must divide --flash-page")
        }
        if powerCutAt != nil && flashPage == nil { throw ValidationError("--power-cut-at needs --flash-page") }
    }

    func describe(_ report: FlashRunReport) {
        let l = report.layout
        print("flash: \(l.pageSize)-byte pages, \(l.unitSize)-byte steps, model \(l.modelPages) pages + scratch + \(l.journalPages) journal pages")
        if let cut = report.cutAt {
            print(report.retried
                  ? "power cut at flash operation \(cut), before the first model write: resume found the model unchanged; ran again"
                  : "power cut at flash operation \(cut); resume finished the operation from the journal")
        }
        print("flash work: \(report.erases) erases, \(report.programs) programs, \(report.programmedBytes) bytes programmed")
    }
}

struct Unapply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove a bundle from the model it produced, restoring the base byte for byte.")

    @Argument(help: "Bundle to remove.") var bundle: String
    @Option(help: "The model the bundle produced.") var target: String
    @Option(help: "Trusted public key(s), PEM.") var key: [String]
    @Option(name: .shortAndLong, help: "Model file to write.") var output: String
    @Option(help: "RAM window for the loader in bytes (default: the bundle's declared size).") var window: Int?
    @OptionGroup var flash: FlashOptions

    func run() throws {
        let keys = try TrustedKeys(pemFiles: key)
        let bundleBytes = try FileIO.read(bundle, limit: .modelOrBundle)
        let targetBytes = try FileIO.read(target, limit: .modelOrBundle)
        if let pageSize = flash.flashPage {
            let report = try HostLoader.runOnFlash(bundle: bundleBytes, model: targetBytes, keys: keys, unapply: true,
                                                   pageSize: pageSize, programSize: flash.programSize, window: window, powerCutAt: flash.powerCutAt)
            flash.describe(report)
            try FileIO.write(report.model, to: output)
            print("wrote \(output): \(report.model.count) bytes, sha256 \(report.outcome.modelSHA256.hex) (base verified)")
            return
        }
        let result = try HostLoader.unapply(bundle: bundleBytes, target: targetBytes, keys: keys, window: window)
        try FileIO.write(result.model, to: output)
        print("wrote \(output): \(result.model.count) bytes, sha256 \(result.outcome.modelSHA256.hex) (base verified)")
    }
}
