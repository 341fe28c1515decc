import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack

/// Cuts power at every erase and program of a whole apply and a whole
/// unapply on simulated flash; after each cut, `resume` must end at exactly
/// the base or exactly the target and say which (Spec/LOADER.md).
final class PowerCutTests: XCTestCase {
    let base = LoaderHarness.model("base")

    func exhaustive(variant: String, pageSize: Int, programSize: Int = 8, nested: Bool = false,
                    target given: [UInt8]? = nil) throws {
        let target = given ?? LoaderHarness.model(variant)
        let bundle = LoaderHarness.bundle(base, target)
        let header = try ParsedBundle(bytes: bundle).header
        let layout = FlashLayout(pageSize: pageSize, programSize: programSize, segmentSize: Int(header.segmentSize),
                                 capacity: Int(header.storeCapacityNeeded), steps: Int(header.stepBound))
        for unapply in [false, true] {
            let sweep = LoaderHarness.powerCutSweep(bundle, base: base, target: target, layout: layout, unapply: unapply,
                                                    nestedEvery: nested ? 3 : nil)
            XCTAssertEqual(sweep.cutPoints, sweep.totalOperations)
            print("power cuts: digits/\(variant) \(unapply ? "unapply" : "apply") page \(pageSize): \(sweep.cutPoints) cut points,"
                  + " resumed to base \(sweep.endedAtBase), to target \(sweep.endedAtTarget)"
                  + (nested ? ", \(sweep.nestedCuts) with a second cut during resume" : ""))
        }
    }

    func testEveryCutPointFullFineTune() throws { try exhaustive(variant: "full-ft", pageSize: 4096, nested: true) }
    func testEveryCutPointHeadFineTune() throws { try exhaustive(variant: "head-ft", pageSize: 4096) }
    func testEveryCutPointLoRA() throws { try exhaustive(variant: "lora", pageSize: 4096) }
    /// A target whose layout changed (16 bytes inserted, a tail cut off):
    /// moves and undo writes are journaled step by step too.
    func testEveryCutPointWithLayoutChanges() throws {
        var grown = LoaderHarness.model("lora")
        grown.insert(contentsOf: [UInt8](repeating: 0x5A, count: 16), at: 9_000)
        try exhaustive(variant: "lora+16 bytes", pageSize: 1024, target: grown)
        let shrunk = Array(LoaderHarness.model("head-ft").dropLast(700))
        try exhaustive(variant: "head-ft-700 bytes", pageSize: 4096, target: shrunk)
    }

    func testEveryCutPointSmallPages() throws { try exhaustive(variant: "head-ft", pageSize: 1024, programSize: 16, nested: true) }

    /// Hot swap on flash: apply A, unapply A, apply B gives B's target.
    func testHotSwapOnFlash() throws {
        let a = LoaderHarness.bundle(base, LoaderHarness.model("lora"))
        let b = LoaderHarness.bundle(base, LoaderHarness.model("head-ft"))
        let layout = FlashLayout(pageSize: 4096, segmentSize: 4096, capacity: base.count)
        let flash = layout.makeFlash()
        flash.load(base)
        XCTAssertEqual(try LoaderHarness.flashRun(a, layout: layout, flash: flash, length: base.count, unapply: false, cut: nil).get().state, .target)
        XCTAssertEqual(try LoaderHarness.flashRun(a, layout: layout, flash: flash, length: base.count, unapply: true, cut: nil).get().state, .base)
        XCTAssertEqual(Array(flash.memory[0 ..< base.count]), base)
        XCTAssertEqual(try LoaderHarness.flashRun(b, layout: layout, flash: flash, length: base.count, unapply: false, cut: nil).get().state, .target)
        XCTAssertEqual(Array(flash.memory[0 ..< base.count]), LoaderHarness.model("head-ft"))
    }

    func testResumeOnAnUntouchedModelReportsBase() throws {
        let bundle = LoaderHarness.bundle(base, LoaderHarness.model("lora"))
        let layout = FlashLayout(pageSize: 4096, segmentSize: 4096, capacity: base.count)
        let flash = layout.makeFlash()
        flash.load(base)
        XCTAssertEqual(try LoaderHarness.flashResume(bundle, layout: layout, flash: flash).get().state, .base)
        XCTAssertEqual(flash.operations, 0, "resume must not write when there is nothing to finish")
    }

    func testResumeRefusesAModelItCannotExplain() throws {
        let bundle = LoaderHarness.bundle(base, LoaderHarness.model("lora"))
        let layout = FlashLayout(pageSize: 4096, segmentSize: 4096, capacity: base.count)
        let flash = layout.makeFlash()
        var other = base
        other[100] ^= 0xFF
        flash.load(other)
        XCTAssertEqual(LoaderHarness.flashResume(bundle, layout: layout, flash: flash).failure, .cannotResume)
    }

    func testJournalTooSmallIsRefusedBeforeWriting() throws {
        let bundle = LoaderHarness.bundle(base, LoaderHarness.model("full-ft"))
        var layout = FlashLayout(pageSize: 256, programSize: 8, segmentSize: 4096, capacity: base.count)
        layout.journalPages = 1  // 256 / 48 → 5 slots, fewer than 8 spares + steps
        let flash = layout.makeFlash()
        flash.load(base)
        let result = LoaderHarness.flashRun(bundle, layout: layout, flash: flash, length: base.count, unapply: false, cut: nil)
        guard case .failure(.journalTooSmall)? = Optional(result) else { return XCTFail("\(result)") }
        XCTAssertEqual(Array(flash.memory[0 ..< base.count]), base)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let e) = self { return e } else { return nil } }
}
