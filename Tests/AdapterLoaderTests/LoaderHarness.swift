import Foundation
import XCTest
import AdapterFormat
import AdapterLoader
import AdapterPack
import TestSupport

/// Runs the device loader directly on a RAM store so tests can see every
/// byte of the store after a refusal.
enum LoaderHarness {
    static let key: SigningKey = try! SigningKey.generate(.ed25519)
    static let stranger: SigningKey = try! SigningKey.generate(.ed25519)
    static var keys: TrustedKeys { TrustedKeys([key.verifyingKey]) }

    static func model(_ name: String) -> [UInt8] { RepoPaths.modelBytes(name) }

    static func bundle(_ base: [UInt8], _ target: [UInt8], sequence: UInt64 = 1) -> [UInt8] {
        var options = BundleOptions()
        options.sequence = sequence
        return try! DiffBundler.bundle(base: base, target: target, key: key, options: options).bytes
    }

    /// Outcome of one loader call and the store's bytes afterwards.
    struct Run {
        var result: Result<LoaderOutcome, LoaderError>
        var store: [UInt8]
        var error: LoaderError? { if case .failure(let e) = result { return e } else { return nil } }
    }

    /// Streams `bundle` into an apply (or unapply) over a RAM store, in
    /// `piece`-byte pieces from the offsets the loader asks for.
    static func apply(_ bundle: [UInt8], to model: [UInt8], window: Int? = nil, capacity: Int? = nil,
                      minimumSequence: UInt64 = 0, keys: TrustedKeys = keys, unapply: Bool = false,
                      piece: Int = 4096) -> Run {
        let header = bundle.withUnsafeBytes { try? StreamHeader(parsing: $0) }
        let cap = capacity ?? max(model.count, Int(header?.storeCapacityNeeded ?? 0))
        var memory = model + [UInt8](repeating: 0, count: max(0, cap - model.count))
        var windowBytes = [UInt8](repeating: 0, count: window ?? Int(header?.windowSize ?? 4096))
        var length = model.count
        let result: Result<LoaderOutcome, LoaderError> = windowBytes.withUnsafeMutableBytes { win in
            memory.withUnsafeMutableBytes { mem in
                var loader = StreamLoader(unapply ? .unapply : .apply, store: RAMStore(memory: mem, length: model.count),
                                          verifier: keys, window: win, minimumSequence: minimumSequence)
                defer { length = loader.store.length }
                do throws(LoaderError) {
                    try HostLoader.feed(bundle, to: &loader, piece: piece)
                    return .success(try loader.finish())
                } catch { return .failure(error) }
            }
        }
        return Run(result: result, store: Array(memory[0 ..< length]))
    }

    /// A bundle of hand-made records (in the order given), signed with `key`
    /// and not self-checked.
    static func crafted(_ records: [BundleWriter.Record], base: [UInt8], target: [UInt8], factorBytes: Int = 0,
                        blockSize: Int = 4096, stepBound: UInt32 = 64) -> [UInt8] {
        var options = BundleOptions()
        options.blockSize = blockSize
        return try! BundleWriter.assemble(records, base: base, target: target, factorBytes: factorBytes, key: key,
                                          options: options, stepBound: stepBound)
    }

    /// One stored record of `kind` (content records: for `segment`).
    static func record(_ kind: SectionKind, _ bytes: [UInt8], segment: Int = 0, codec: SectionCodec = .stored,
                       decodedLength: Int? = nil) -> BundleWriter.Record {
        BundleWriter.Record(kind: kind, codec: codec, segment: segment, stored: bytes, decodedLength: decodedLength ?? bytes.count)
    }
}

extension LoaderHarness {
    /// Runs apply (or unapply) on a flash store, with power cut at flash operation `cut`.
    static func flashRun(_ bundle: [UInt8], layout: FlashLayout, flash: SimulatedFlash, length: Int,
                         unapply: Bool, cut: Int?, piece: Int = 4096) -> Result<LoaderOutcome, LoaderError> {
        stream(bundle, unapply ? .unapply : .apply, layout: layout, flash: flash, length: length, cut: cut, piece: piece)
    }

    /// After a reset: resume on a fresh store over the same flash, fed from
    /// the offsets the loader asks for.
    static func flashResume(_ bundle: [UInt8], layout: FlashLayout, flash: SimulatedFlash,
                            cut: Int? = nil, piece: Int = 4096) -> Result<LoaderOutcome, LoaderError> {
        stream(bundle, .resume, layout: layout, flash: flash, length: 0, cut: cut, piece: piece)
    }

    private static func stream(_ bundle: [UInt8], _ operation: StreamOperation, layout: FlashLayout, flash: SimulatedFlash,
                               length: Int, cut: Int?, piece: Int) -> Result<LoaderOutcome, LoaderError> {
        var unit = [UInt8](repeating: 0, count: layout.unitSize)
        var window = [UInt8](repeating: 0, count: HostLoader.declaredWindow(bundle))
        flash.cutAt = cut
        return unit.withUnsafeMutableBytes { buffer in
            window.withUnsafeMutableBytes { win in
                var loader = StreamLoader(operation, store: layout.store(on: flash, unitBuffer: buffer, length: length),
                                          verifier: keys, window: win)
                do throws(LoaderError) {
                    try HostLoader.feed(bundle, to: &loader, piece: piece)
                    return .success(try loader.finish())
                } catch { return .failure(error) }
            }
        }
    }
}

/// What a power-cut sweep saw.
struct PowerCutSweep {
    var totalOperations = 0
    var cutPoints = 0
    var endedAtBase = 0
    var endedAtTarget = 0
    var nestedCuts = 0
}

extension LoaderHarness {
    /// Cuts power at every `step`-th erase/program of a whole apply (or
    /// unapply) on simulated flash; after each cut, `resume` (itself cut once
    /// more at every `nestedEvery`-th point) must leave exactly the base or the
    /// target in flash, as it reports.
    static func powerCutSweep(_ bundle: [UInt8], base: [UInt8], target: [UInt8], layout: FlashLayout, unapply: Bool,
                              step: Int = 1, nestedEvery: Int? = nil,
                              file: StaticString = #filePath, line: UInt = #line) -> PowerCutSweep {
        let start = unapply ? target : base, goal = unapply ? base : target
        var sweep = PowerCutSweep()
        let clean = layout.makeFlash()
        clean.load(start)
        let full = flashRun(bundle, layout: layout, flash: clean, length: start.count, unapply: unapply, cut: nil)
        XCTAssertEqual(try? full.get().modelSHA256, sha256(goal), "uninterrupted run", file: file, line: line)
        XCTAssertEqual(Array(clean.memory[0 ..< goal.count]), goal, file: file, line: line)
        sweep.totalOperations = clean.operations
        for cut in stride(from: 0, to: sweep.totalOperations, by: step) {
            let flash = layout.makeFlash()
            flash.load(start)
            let interrupted = flashRun(bundle, layout: layout, flash: flash, length: start.count, unapply: unapply, cut: cut)
            guard case .failure(.flashFailed) = interrupted else {
                XCTFail("cut \(cut) should stop the operation: \(interrupted)", file: file, line: line)
                return sweep
            }
            flash.powerOn()
            if let every = nestedEvery, cut % every == 0 {
                _ = flashResume(bundle, layout: layout, flash: flash, cut: flash.operations + 1)
                flash.powerOn()
                sweep.nestedCuts += 1
            }
            guard case .success(let outcome) = flashResume(bundle, layout: layout, flash: flash) else {
                XCTFail("\(unapply ? "unapply" : "apply") cut \(cut): resume failed", file: file, line: line)
                return sweep
            }
            let model = Array(flash.memory[0 ..< outcome.modelLength])
            switch outcome.state {
            case .base:
                XCTAssertEqual(model, base, "cut \(cut): said base", file: file, line: line)
                sweep.endedAtBase += 1
            case .target:
                XCTAssertEqual(model, target, "cut \(cut): said target", file: file, line: line)
                sweep.endedAtTarget += 1
            }
            XCTAssertEqual(outcome.modelSHA256, sha256(model), file: file, line: line)
            sweep.cutPoints += 1
        }
        return sweep
    }
}
