import AdapterLoader
import AdapterPack
import ArgumentParser

struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a bundle to a base model with the device loader and write the result.",
        discussion: """
        Example:
          adapterpack apply head-ft.apb --base Examples/digits/base.tflite --trusted-key Keys/dev-ed25519.pub.pem -o head-ft.tflite
        """)

    @Argument(help: "Bundle to apply.") var bundle: String
    @Option(help: "Base model (.tflite); it is never modified unless --in-place.") var base: String
    @Option(name: [.customLong("trusted-key"), .customLong("key")], help: "Trusted public key(s), PEM.") var key: [String]
    @Option(name: .shortAndLong, help: "Model file to write (not one of the inputs; with --in-place it may be --base, the default).")
    var output: String?
    @Flag(help: "Write the result over --base (atomically: after a failure --base is as it was).") var inPlace = false
    @Option(parsing: .unconditional, help: "RAM window for the loader, \(Ranges.window.allowed) (default: the bundle's declared size).",
            transform: Ranges.window.parse)
    var window: Int?
    @Option(parsing: .unconditional, help: "Device's stored sequence number: older bundles are refused (default 0).",
            transform: Ranges.minSequence.parse)
    var minSequence: UInt64 = 0
    @OptionGroup var flash: FlashOptions

    func validate() throws {
        if output == nil && !inPlace { throw ValidationError("give -o OUTPUT, or --in-place to write the result over --base") }
        try Ranges.window.check(window)
        try Ranges.minSequence.check(minSequence)
    }

    func run() throws {
        let output = output ?? base
        try OutputPath.check(output, against: [InputFile(option: "the bundle", path: bundle), InputFile(option: "--base", path: base)]
                                 + key.map { InputFile(option: "--key", path: $0) },
                             command: "apply", inPlace: ("--base", inPlace))
        let keys = try TrustedKeys(pemFiles: key)
        let bundleBytes = try FileIO.read(bundle, limit: .modelOrBundle)
        let baseBytes = try FileIO.read(base, limit: .modelOrBundle)
        let result = try flash.run(bundleBytes, model: baseBytes, keys: keys, unapply: false, window: window,
                                   minimumSequence: minSequence)
        let (model, sequence, digest) = (result.model, result.outcome.sequence, result.outcome.modelSHA256.hex)
        try FileIO.write(model, to: output)
        print("wrote \(output): \(model.count) bytes, sha256 \(digest) (target verified)")
        print("new device sequence number: \(sequence); re-create the TFLite Micro interpreter after an update")
    }
}

/// Runs the loader on simulated page-erased flash instead of RAM.
struct FlashOptions: ParsableArguments {
    @Option(parsing: .unconditional,
            help: "Apply on simulated flash with this erase-page size (a power of two, \(Ranges.flashPage.allowed)), journaled and power-fail safe.",
            transform: Ranges.flashPage.parse)
    var flashPage: Int?
    @Option(parsing: .unconditional, help: "Flash program granularity in bytes (with --flash-page, which it must divide; default 8).",
            transform: Ranges.programSize.parse)
    var programSize: Int = 8
    @Option(parsing: .unconditional,
            help: "Cut power at this flash operation (0-based, before the run's last one), then resume from the offset the loader asks for (simulated flash; 4096-byte pages unless --flash-page).",
            transform: Ranges.powerCutAt.parse)
    var powerCutAt: Int?
    @Option(parsing: .unconditional,
            help: "Deliver the bundle to the loader in pieces of this many bytes, as a link would (\(Ranges.streamPiece.allowed); default 4096).",
            transform: Ranges.streamPiece.parse)
    var streamPiece: Int?

    func validate() throws {
        try Ranges.flashPage.check(flashPage)
        if let page = flashPage, page & (page - 1) != 0 {
            throw ValidationError("--flash-page must be a power of two in \(Ranges.flashPage.allowed); got \(page)")
        }
        let page = flashPage ?? 4096
        if programSize < 1 || programSize > page || page % programSize != 0 {
            throw ValidationError("--program-size must divide --flash-page (\(page)): a power of two 1…\(page); got \(programSize)")
        }
        try Ranges.powerCutAt.check(powerCutAt)
        try Ranges.streamPiece.check(streamPiece)
    }

    /// The page size of the simulated flash (4096 when only --power-cut-at
    /// is given), nil for a run in RAM.
    var page: Int? { flashPage ?? (powerCutAt != nil ? 4096 : nil) }

    /// Streams the bundle, `--stream-piece` bytes at a time (default 4096),
    /// into the device loader on simulated flash (with --flash-page or
    /// --power-cut-at) or in RAM. With --power-cut-at, a run without a cut first
    /// counts the flash operations, so a cut point at or past the end is refused
    /// instead of reported as a cut that never happened; after the cut, resume
    /// is fed from the offset the loader asks for. Prints what happened.
    func run(_ bundle: [UInt8], model: [UInt8], keys: TrustedKeys, unapply: Bool, window: Int?,
             minimumSequence: UInt64) throws -> (model: [UInt8], outcome: LoaderOutcome) {
        let piece = streamPiece ?? 4096
        guard let pageSize = page else {
            return unapply ? try HostLoader.unapply(bundle: bundle, target: model, keys: keys, piece: piece, window: window)
                           : try HostLoader.apply(bundle: bundle, base: model, keys: keys, piece: piece, window: window,
                                                  minimumSequence: minimumSequence)
        }
        func once(_ cut: Int?) throws -> FlashRunReport {
            try HostLoader.runOnFlash(bundle: bundle, model: model, keys: keys, unapply: unapply, pageSize: pageSize,
                                      programSize: programSize, piece: piece, window: window,
                                      minimumSequence: minimumSequence, powerCutAt: cut)
        }
        var report = try once(nil)
        if let cut = powerCutAt {
            guard cut < report.operations else {
                throw CLIError("--power-cut-at \(cut) is past the end: this run on \(pageSize)-byte pages has "
                    + "\(report.operations) flash operations (\(report.erases) erases, \(report.programs) programs), so a cut point "
                    + "must be 0…\(report.operations - 1); no power cut was simulated and nothing was written")
            }
            report = try once(cut)
        }
        let l = report.layout
        print("flash: \(l.pageSize)-byte pages, \(l.unitSize)-byte steps, model \(l.modelPages) pages + scratch + \(l.journalPages) journal pages")
        if let cut = report.cutAt {
            if report.retried {
                print("power cut at flash operation \(cut), before the first model write: resume found the model unchanged; ran again")
            } else {
                let jump = report.resumeJumpedTo.map { ", then bundle offset \($0) (the interrupted step's block)" } ?? ""
                print("power cut at flash operation \(cut); resume finished the operation from the journal, asking for the front and block 0\(jump): "
                      + "\(report.resumeBytes) of \(bundle.count) bundle bytes sent again")
            }
        }
        print("flash work: \(report.erases) erases, \(report.programs) programs, \(report.programmedBytes) bytes programmed; "
              + "bundle streamed in \(piece)-byte pieces")
        return (report.model, report.outcome)
    }
}

struct Unapply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove a bundle from the model it produced, restoring the base byte for byte.",
        discussion: """
        Example:
          adapterpack unapply head-ft.apb --target head-ft.tflite --trusted-key Keys/dev-ed25519.pub.pem -o base.tflite
        """)

    @Argument(help: "Bundle to remove.") var bundle: String
    @Option(help: "The model the bundle produced; it is never modified unless --in-place.") var target: String
    @Option(name: [.customLong("trusted-key"), .customLong("key")], help: "Trusted public key(s), PEM.") var key: [String]
    @Option(name: .shortAndLong, help: "Model file to write (not one of the inputs; with --in-place it may be --target, the default).")
    var output: String?
    @Flag(help: "Write the result over --target (atomically: after a failure --target is as it was).") var inPlace = false
    @Option(parsing: .unconditional, help: "RAM window for the loader, \(Ranges.window.allowed) (default: the bundle's declared size).",
            transform: Ranges.window.parse)
    var window: Int?
    @OptionGroup var flash: FlashOptions

    func validate() throws {
        if output == nil && !inPlace { throw ValidationError("give -o OUTPUT, or --in-place to write the result over --target") }
        try Ranges.window.check(window)
    }

    func run() throws {
        let output = output ?? target
        try OutputPath.check(output, against: [InputFile(option: "the bundle", path: bundle), InputFile(option: "--target", path: target)]
                                 + key.map { InputFile(option: "--key", path: $0) },
                             command: "unapply", inPlace: ("--target", inPlace))
        let keys = try TrustedKeys(pemFiles: key)
        let bundleBytes = try FileIO.read(bundle, limit: .modelOrBundle)
        let targetBytes = try FileIO.read(target, limit: .modelOrBundle)
        let result = try flash.run(bundleBytes, model: targetBytes, keys: keys, unapply: true, window: window, minimumSequence: 0)
        try FileIO.write(result.model, to: output)
        print("wrote \(output): \(result.model.count) bytes, sha256 \(result.outcome.modelSHA256.hex) (base verified)")
    }
}
