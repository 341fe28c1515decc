import AdapterFormat
import AdapterLoader

/// What a run on simulated flash did.
public struct FlashRunReport: Sendable {
    public var outcome: LoaderOutcome
    public var model: [UInt8]
    /// Set when power was cut: the flash operation index of the cut.
    public var cutAt: Int?
    /// The cut came before the first model write: resume found the starting
    /// model and the operation was streamed again from the start.
    public var retried: Bool
    /// Bundle bytes fed after the reset, and the offset the loader asked for
    /// once block 0 had re-established trust (its jump to the journal's block).
    public var resumeBytes: Int
    public var resumeJumpedTo: Int?
    /// Erases and programs in all, and the bytes programmed.
    public var operations: Int
    public var erases: Int
    public var programs: Int
    public var programmedBytes: Int
    public var layout: FlashLayout
}

extension HostLoader {
    /// Streams the bundle in `piece`-byte pieces into an apply (or unapply)
    /// on simulated page-erased flash. With `powerCutAt`, power fails at that
    /// erase/program; the loader is then started again in `.resume` mode and
    /// fed from the offsets it asks for, as a transport restarting would.
    public static func runOnFlash(bundle: [UInt8], model: [UInt8], keys: TrustedKeys, unapply: Bool = false,
                                  pageSize: Int, programSize: Int = 8, piece: Int = 64, window given: Int? = nil,
                                  minimumSequence: UInt64 = 0, powerCutAt: Int? = nil) throws(LoaderError) -> FlashRunReport {
        let header = bundle.withUnsafeBytes { try? StreamHeader(parsing: $0) }
        let capacity = max(model.count, Int(header?.storeCapacityNeeded ?? 0))
        let layout = FlashLayout(pageSize: pageSize, programSize: programSize,
                                 segmentSize: Int(header?.segmentSize ?? 4096), capacity: capacity,
                                 steps: header.map { Int($0.stepBound) })
        let flash = layout.makeFlash()
        flash.load(model)
        flash.cutAt = powerCutAt
        var unit = [UInt8](repeating: 0, count: layout.unitSize)
        var window = [UInt8](repeating: 0, count: given ?? declaredWindow(bundle))
        let operation: StreamOperation = unapply ? .unapply : .apply
        var retried = false, resumeBytes = 0
        var resumeJumpedTo: Int?
        let outcome: LoaderOutcome = try window.withMutableBytes { (w: UnsafeMutableRawBufferPointer) throws(LoaderError) in
            try unit.withMutableBytes { (buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) in
                do throws(LoaderError) {
                    var loader = StreamLoader(operation, store: layout.store(on: flash, unitBuffer: buffer, length: model.count),
                                              verifier: keys, window: w, minimumSequence: minimumSequence)
                    try feed(bundle, to: &loader, piece: piece)
                    return try loader.finish()
                } catch {
                    guard flash.poweredOff else { throw error }
                    flash.powerOn()
                    var loader = StreamLoader(.resume, store: layout.store(on: flash, unitBuffer: buffer, length: 0),
                                              verifier: keys, window: w)
                    let fed = try feedCounting(bundle, to: &loader, piece: piece)
                    resumeBytes = fed.bytes
                    resumeJumpedTo = fed.jump
                    let resumed = try loader.finish()
                    retried = resumed.state == (unapply ? .target : .base)
                    guard retried else { return resumed }
                    // Nothing was written before the cut: stream it again, as firmware would.
                    var again = StreamLoader(operation, store: loader.store, verifier: keys, window: w,
                                             minimumSequence: minimumSequence)
                    try feed(bundle, to: &again, piece: piece)
                    return try again.finish()
                }
            }
        }
        return FlashRunReport(outcome: outcome, model: Array(flash.memory[0 ..< outcome.modelLength]), cutAt: powerCutAt,
                                 retried: retried, resumeBytes: resumeBytes, resumeJumpedTo: resumeJumpedTo,
                                 operations: flash.operations, erases: flash.erases, programs: flash.programs,
                                 programmedBytes: flash.programmedBytes, layout: layout)
    }

    /// `feed`, counting the bytes delivered and noting the first forward jump.
    static func feedCounting<Store: ModelStore, Verifier: SignatureVerifier>(
        _ bundle: [UInt8], to loader: inout StreamLoader<Store, Verifier>, piece: Int) throws(LoaderError) -> (bytes: Int, jump: Int?) {
        var bytes = 0
        var jump: Int?
        var expected = 0
        try bundle.withBytes { (raw: UnsafeRawBufferPointer) throws(LoaderError) in
            while !loader.isComplete {
                let start = loader.nextOffset
                guard start < raw.count else { break }
                if start != expected, jump == nil { jump = start }
                let end = min(raw.count, start + max(1, piece))
                try loader.feed(UnsafeRawBufferPointer(rebasing: raw[start ..< end]), at: start)
                bytes += end - start
                expected = end
            }
        }
        return (bytes, jump)
    }
}
