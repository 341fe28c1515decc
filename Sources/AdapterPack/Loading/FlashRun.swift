import AdapterFormat
import AdapterLoader

/// What a host run on simulated flash did.
public struct FlashRunReport: Sendable {
    public var outcome: LoaderOutcome
    public var model: [UInt8]
    public var erases: Int
    public var programs: Int
    public var programmedBytes: Int
    /// Set when power was cut: the flash operation index of the cut.
    public var cutAt: Int?
    /// The cut came before the first model write, so resume found the
    /// starting model and the operation ran again.
    public var retried: Bool
    public var layout: FlashLayout
}

extension HostLoader {
    /// Applies (or removes) the bundle on simulated page-erased flash with the
    /// device loader's journaled steps. With `powerCutAt`, power fails at that
    /// erase/program and the loader's `resume` finishes the job.
    public static func runOnFlash(bundle: [UInt8], model: [UInt8], keys: TrustedKeys, unapply: Bool = false,
                                  pageSize: Int, programSize: Int = 8, window: Int? = nil,
                                  minimumSequence: UInt64 = 0, powerCutAt: Int? = nil) throws(LoaderError) -> FlashRunReport {
        let header = bundle.withUnsafeBytes { try? BundleHeader(parsing: $0) }
        let capacity = max(model.count, Int(header?.storeCapacityNeeded ?? 0))
        let layout = FlashLayout(pageSize: pageSize, programSize: programSize,
                                 segmentSize: Int(header?.segmentSize ?? 4096), capacity: capacity)
        let flash = layout.makeFlash()
        flash.load(model)
        var unit = [UInt8](repeating: 0, count: layout.unitSize)
        var memory = [UInt8](repeating: 0, count: window ?? declaredWindow(bundle))
        flash.cutAt = powerCutAt
        var retried = false
        let outcome: LoaderOutcome = try bundle.withBytes { (source: UnsafeRawBufferPointer) throws(LoaderError) in
            try memory.withMutableBytes { (win: UnsafeMutableRawBufferPointer) throws(LoaderError) in
                try unit.withMutableBytes { (buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) in
                    let loader = BundleLoader(source: MemoryBundleSource(bytes: source), verifier: keys, window: win)
                    var store = layout.store(on: flash, unitBuffer: buffer, length: model.count)
                    do throws(LoaderError) {
                        return unapply ? try loader.unapply(from: &store)
                                       : try loader.apply(to: &store, minimumSequence: minimumSequence)
                    } catch {
                        guard flash.poweredOff else { throw error }
                        flash.powerOn()
                        var fresh = layout.store(on: flash, unitBuffer: buffer, length: 0)
                        let resumed = try loader.resume(&fresh)
                        retried = resumed.state == (unapply ? .target : .base)
                        guard retried else { return resumed }
                        // The cut came before the first model write: do it again, as firmware would.
                        return unapply ? try loader.unapply(from: &fresh)
                                       : try loader.apply(to: &fresh, minimumSequence: minimumSequence)
                    }
                }
            }
        }
        return FlashRunReport(outcome: outcome, model: Array(flash.memory[0 ..< outcome.modelLength]),
                              erases: flash.erases, programs: flash.programs, programmedBytes: flash.programmedBytes,
                              cutAt: powerCutAt, retried: retried, layout: layout)
    }
}
