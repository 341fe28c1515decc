import XCTest
import AdapterFormat
@testable import AdapterLoader
import CAdapterLoader
@testable import AdapterPack

/// The streaming C API (ap_stream_* in adapter_loader.h) called the way
/// firmware calls it: format-2 digits bundles handed over in pieces from the
/// offset the loader asks for, a model in simulated page-erased flash behind
/// C callbacks, the built-in Ed25519 verifier, integer codes.
final class CAPIStreamTests: XCTestCase {
    static let base = LoaderHarness.model("base")
    static let variants = ["full-ft", "lora", "head-ft"]

    static func bundle(_ variant: String, blockSize: Int = 2048, sequence: UInt64 = 1) -> [UInt8] {
        var options = BundleOptions()
        options.blockSize = blockSize
        options.sequence = sequence
        return try! DiffBundler.bundle(base: base, target: LoaderHarness.model(variant), key: LoaderHarness.key,
                                       options: options).bytes
    }

    static let bundles: [String: [UInt8]] = Dictionary(uniqueKeysWithValues: variants.map { ($0, bundle($0)) })

    static func front(_ bundle: [UInt8]) -> StreamHeader {
        bundle.withUnsafeBytes { try! StreamHeader(parsing: $0) }
    }

    /// Bundle offsets where each block starts.
    static func blockStarts(_ bundle: [UInt8]) -> [Int] {
        var starts = [StreamHeader.firstBlockOffset]
        var length = Int(front(bundle).firstBlockLength)
        while starts.last! + length < bundle.count {
            let end = starts.last! + length
            length = Int(bundle[end - BlockTrailer.size]) | Int(bundle[end - BlockTrailer.size + 1]) << 8
            starts.append(end)
        }
        return starts
    }

    /// One device: simulated flash holding `model`, its C callbacks, a unit
    /// buffer and a window, all alive as long as the rig.
    final class Rig {
        let layout: FlashLayout
        let flash: SimulatedFlash
        var unit: UnsafeMutableBufferPointer<UInt8>
        var window: UnsafeMutableBufferPointer<UInt8>
        var key: UnsafeMutableBufferPointer<UInt8>
        var stream = ap_stream()

        init(model: [UInt8], window: Int = 8192, pageSize: Int = 4096, key: [UInt8] = LoaderHarness.key.verifyingKey.rawPublicKey) {
            let capacity = Self.capacity
            layout = FlashLayout(pageSize: pageSize, programSize: 8, segmentSize: 4096, capacity: capacity)
            flash = layout.makeFlash()
            flash.load(model)
            unit = .allocate(capacity: layout.unitSize)
            self.window = .allocate(capacity: window)
            self.key = .allocate(capacity: key.count)
            _ = self.key.initialize(from: key)
        }

        deinit {
            unit.deallocate()
            window.deallocate()
            key.deallocate()
        }

        /// Room for the largest digits model.
        static let capacity = CAPIStreamTests.variants.map { LoaderHarness.model($0).count }.max()!

        func model(_ length: Int) -> [UInt8] { Array(flash.memory[0 ..< length]) }

        func begin(_ operation: Int32, modelLength: Int, minSequence: UInt64 = 0, windowSize: Int? = nil) -> Int32 {
            var device = ap_flash(context: Unmanaged.passUnretained(flash).toOpaque(), page_size: UInt32(layout.pageSize),
                                  program_size: UInt32(layout.programSize), page_count: UInt32(layout.pageCount),
                                  read: CAPITests.flashRead, erase: CAPITests.flashErase, program: CAPITests.flashProgram)
            var geometry = ap_flash_layout(model_pages: UInt32(layout.modelPages), scratch_page: UInt32(layout.scratchPage),
                                           journal_page: UInt32(layout.journalPage), journal_pages: UInt32(layout.journalPages),
                                           unit_size: UInt32(layout.unitSize), unit_buffer: unit.baseAddress)
            var verifier = ap_verifier(context: nil, check: nil, ed25519_public_key: UnsafePointer(key.baseAddress))
            // The verifier, flash and layout structs are copied: they may go out of scope.
            return AdapterLoader.ap_stream_begin(&stream, operation, &verifier, window.baseAddress,
                                                 UInt32(windowSize ?? window.count), &device, &geometry,
                                                 UInt32(modelLength), minSequence)
        }

        func feed(_ bytes: [UInt8], at offset: Int, count: Int) -> Int32 {
            bytes.withUnsafeBufferPointer { b in
                AdapterLoader.ap_stream_feed(&stream, b.baseAddress! + offset, UInt32(count), UInt32(offset))
            }
        }

        var nextOffset: Int { Int(AdapterLoader.ap_stream_next_offset(&stream)) }
        var isComplete: Bool { AdapterLoader.ap_stream_is_complete(&stream) == 1 }

        /// Feeds `bundle` in `piece`-byte pieces from the offset the loader
        /// asks for, until it is complete, a feed fails, or `stopAt` is reached.
        /// Returns the last feed's code, the bytes handed over and the first
        /// forward jump of the offset.
        @discardableResult
        func stream(_ bundle: [UInt8], piece: Int, stopAt: Int? = nil) -> (code: Int32, fed: Int, jump: Int?) {
            var fed = 0, expected = 0
            var jump: Int?
            while !isComplete {
                let at = nextOffset
                if at != expected, jump == nil { jump = at }
                let end = min(bundle.count, stopAt ?? bundle.count, at + piece)
                guard end > at else { break }
                let code = feed(bundle, at: at, count: end - at)
                fed += end - at
                expected = end
                if code != Int32(AP_OK) { return (code, fed, jump) }
            }
            return (Int32(AP_OK), fed, jump)
        }

        func end() -> (code: Int32, outcome: ap_outcome) {
            var outcome = ap_outcome()
            let code = AdapterLoader.ap_stream_end(&stream, &outcome)
            return (code, outcome)
        }

        /// A whole operation: begin, stream, end.
        func run(_ operation: Int32, _ bundle: [UInt8], modelLength: Int, piece: Int = 64,
                 minSequence: UInt64 = 0) -> (code: Int32, outcome: ap_outcome, fed: Int, jump: Int?) {
            let begun = begin(operation, modelLength: modelLength, minSequence: minSequence)
            guard begun == Int32(AP_OK) else { return (begun, ap_outcome(), 0, nil) }
            let streamed = stream(bundle, piece: piece)
            let ended = end()
            return (streamed.code != Int32(AP_OK) ? streamed.code : ended.code, ended.outcome, streamed.fed, streamed.jump)
        }
    }

    static func name(_ code: Int32) -> String { String(cString: AdapterLoader.ap_error_name(code)!) }

    static func digest(_ outcome: ap_outcome) -> [UInt8] { withUnsafeBytes(of: outcome.model_sha256) { Array($0) } }

    // MARK: - The context

    func testStateFitsTheContextAndIsPlainData() {
        let size = Int(AdapterLoader.ap_stream_state_size())
        print("ap_stream: state \(size) bytes of \(MemoryLayout<ap_stream>.size) (\(MemoryLayout<UInt>.size * 8)-bit)")
        XCTAssertEqual(size, MemoryLayout<CStreamState>.size)
        XCTAssertLessThanOrEqual(size, MemoryLayout<ap_stream>.size)
        XCTAssertLessThanOrEqual(MemoryLayout<CStreamState>.alignment, MemoryLayout<ap_stream>.alignment)
        // Kept in caller memory across calls and dropped without a deinit: no references inside.
        XCTAssertTrue(_isPOD(CStreamState.self))
        // Not wasteful either: within 256 bytes of what is used.
        XCTAssertLessThan(MemoryLayout<ap_stream>.size - size, 256)
    }

    // MARK: - Apply, unapply, resume

    func testApplyAndUnapplyInPiecesOfOne64And4096Bytes() {
        for variant in Self.variants {
            let bundle = Self.bundles[variant]!, target = LoaderHarness.model(variant)
            let rig = Rig(model: Self.base)
            for piece in [1, 64, 4096] {
                let applied = rig.run(Int32(AP_STREAM_APPLY), bundle, modelLength: Self.base.count, piece: piece)
                XCTAssertEqual(applied.code, Int32(AP_OK), "\(variant) apply, \(piece)-byte pieces: \(Self.name(applied.code))")
                XCTAssertEqual(applied.fed, bundle.count, "\(variant): every byte handed over once")
                XCTAssertTrue(rig.model(target.count) == target, "\(variant) apply, \(piece)-byte pieces")
                XCTAssertEqual(applied.outcome.state, Int32(AP_MODEL_TARGET))
                XCTAssertEqual(applied.outcome.interpreter_must_be_recreated, 1)
                XCTAssertEqual(applied.outcome.model_length, UInt32(target.count))
                XCTAssertEqual(applied.outcome.sequence, 1)
                XCTAssertEqual(Self.digest(applied.outcome), sha256(target).bytes)

                let removed = rig.run(Int32(AP_STREAM_UNAPPLY), bundle, modelLength: target.count, piece: piece)
                XCTAssertEqual(removed.code, Int32(AP_OK), "\(variant) unapply, \(piece)-byte pieces: \(Self.name(removed.code))")
                XCTAssertTrue(rig.model(Self.base.count) == Self.base, "\(variant) unapply, \(piece)-byte pieces")
                XCTAssertEqual(removed.outcome.state, Int32(AP_MODEL_BASE))
                XCTAssertEqual(Self.digest(removed.outcome), sha256(Self.base).bytes)
            }
        }
    }

    func testResumeAfterACompleteApplyReportsTheTargetAfterBlockZeroAndWritesNothing() {
        let bundle = Self.bundles["full-ft"]!, target = LoaderHarness.model("full-ft")
        let rig = Rig(model: Self.base)
        XCTAssertEqual(rig.run(Int32(AP_STREAM_APPLY), bundle, modelLength: Self.base.count).code, Int32(AP_OK))
        let before = rig.flash.memory, operations = rig.flash.operations
        let resumed = rig.run(Int32(AP_STREAM_RESUME), bundle, modelLength: 0)
        XCTAssertEqual(resumed.code, Int32(AP_OK), Self.name(resumed.code))
        XCTAssertEqual(resumed.outcome.state, Int32(AP_MODEL_TARGET))
        XCTAssertEqual(resumed.outcome.model_length, UInt32(target.count))
        // Front, signature and block 0 re-establish trust; nothing more is needed.
        let throughBlockZero = StreamHeader.firstBlockOffset + Int(Self.front(bundle).firstBlockLength)
        XCTAssertGreaterThanOrEqual(resumed.fed, throughBlockZero)
        XCTAssertLessThan(resumed.fed, throughBlockZero + 64, "the piece that completed block 0 was the last")
        XCTAssertEqual(rig.flash.operations, operations)
        XCTAssertTrue(rig.flash.memory == before)
    }

    func testVerifyChecksEveryBlockAndWritesNothing() {
        let bundle = Self.bundles["lora"]!, front = Self.front(bundle)
        let rig = Rig(model: Self.base)
        let verified = rig.run(Int32(AP_STREAM_VERIFY), bundle, modelLength: 0, piece: 100)
        XCTAssertEqual(verified.code, Int32(AP_OK), Self.name(verified.code))
        XCTAssertEqual(verified.fed, bundle.count)
        XCTAssertEqual(verified.outcome.sequence, UInt64(front.sequence))
        XCTAssertEqual(verified.outcome.model_length, front.targetLength)
        XCTAssertEqual(Self.digest(verified.outcome), front.targetSHA256.bytes)
        XCTAssertEqual(verified.outcome.interpreter_must_be_recreated, 0)
        XCTAssertEqual(rig.flash.operations, 0)
        var bad = bundle
        bad[bad.count - 10] ^= 1
        XCTAssertEqual(rig.run(Int32(AP_STREAM_VERIFY), bad, modelLength: 0).code, Int32(AP_E_BLOCK))
        XCTAssertEqual(rig.flash.operations, 0)
    }

    // MARK: - Refusals

    /// A flipped byte in a later block: refused when that block is complete,
    /// with the flash exactly as the blocks before it left it (byte for byte
    /// the flash of a good stream stopped at the block's start). A resume with
    /// a good copy then finishes the apply.
    func testCorruptedBlockIsRefusedWithTheFlashUnchangedUpToThatBlock() {
        let bundle = Self.bundle("full-ft", blockSize: 1024), target = LoaderHarness.model("full-ft")
        let starts = Self.blockStarts(bundle)
        XCTAssertGreaterThan(starts.count, 8)
        for block in [1, starts.count / 2, starts.count - 1] {
            let start = starts[block]
            // Flash as blocks 0 ..< block leave it.
            let good = Rig(model: Self.base)
            XCTAssertEqual(good.begin(Int32(AP_STREAM_APPLY), modelLength: Self.base.count), Int32(AP_OK))
            XCTAssertEqual(good.stream(bundle, piece: 64, stopAt: start).code, Int32(AP_OK))
            XCTAssertEqual(good.nextOffset, start)

            var corrupt = bundle
            corrupt[start + 5] ^= 0x10
            let rig = Rig(model: Self.base)
            XCTAssertEqual(rig.begin(Int32(AP_STREAM_APPLY), modelLength: Self.base.count), Int32(AP_OK))
            let refused = rig.stream(corrupt, piece: 64)
            XCTAssertEqual(refused.code, Int32(AP_E_BLOCK), "block \(block): \(Self.name(refused.code))")
            XCTAssertTrue(rig.flash.memory == good.flash.memory, "block \(block): flash as the blocks before it left it")
            XCTAssertFalse(rig.model(target.count) == target)
            let stillBase = rig.model(Self.base.count) == Self.base
            // The error ends the stream: every later feed and the end return it.
            XCTAssertEqual(rig.feed(bundle, at: 0, count: 1), Int32(AP_E_BLOCK))
            XCTAssertFalse(rig.isComplete)
            XCTAssertEqual(rig.end().code, Int32(AP_E_BLOCK))
            XCTAssertEqual(rig.end().code, Int32(AP_E_ARGUMENT), "ended")
            XCTAssertTrue(rig.flash.memory == good.flash.memory)

            // A resume with a good copy finishes the apply; if no step had
            // been written yet, it reports the base and the apply is streamed again.
            let resumed = rig.run(Int32(AP_STREAM_RESUME), bundle, modelLength: 0)
            XCTAssertEqual(resumed.code, Int32(AP_OK), "block \(block): resume: \(Self.name(resumed.code))")
            XCTAssertEqual(resumed.outcome.state, Int32(stillBase ? AP_MODEL_BASE : AP_MODEL_TARGET), "block \(block)")
            if stillBase {
                XCTAssertEqual(rig.run(Int32(AP_STREAM_APPLY), bundle, modelLength: Self.base.count).code, Int32(AP_OK))
            }
            XCTAssertTrue(rig.model(target.count) == target, "block \(block)")
            print("ap_stream: corrupted block \(block) of \(starts.count) refused; "
                  + (stillBase ? "no step written before it" : "resume jumped to offset \(resumed.jump.map(String.init) ?? "-")"))
        }
    }

    func testRefusalsBeforeTheFirstWriteLeaveTheFlashUntouched() {
        let bundle = Self.bundles["lora"]!
        let cases: [(String, [UInt8], UInt64, Int32)] = [
            ("signature bit", { var b = bundle; b[StreamHeader.size + 3] ^= 1; return b }(), 0, Int32(AP_E_SIGNATURE)),
            ("block 0 byte", { var b = bundle; b[StreamHeader.firstBlockOffset + 9] ^= 1; return b }(), 0, Int32(AP_E_SIGNATURE)),
            ("target hash in the front", { var b = bundle; b[90] ^= 1; return b }(), 0, Int32(AP_E_SIGNATURE)),
            ("magic", { var b = bundle; b[0] ^= 1; return b }(), 0, Int32(AP_E_FORMAT)),
            ("major version", { var b = bundle; b[4] = 4; return b }(), 0, Int32(AP_E_VERSION)),
            ("rollback", bundle, 2, Int32(AP_E_ROLLBACK)),
            ("bundle for another key", Self.bundleForStranger, 0, Int32(AP_E_UNKNOWN_KEY)),
        ]
        for (what, bytes, minSequence, expected) in cases {
            let rig = Rig(model: Self.base)
            let refused = rig.run(Int32(AP_STREAM_APPLY), bytes, modelLength: Self.base.count, minSequence: minSequence)
            XCTAssertEqual(refused.code, expected, "\(what): \(Self.name(refused.code))")
            XCTAssertEqual(rig.flash.operations, 0, what)
            XCTAssertTrue(rig.model(Self.base.count) == Self.base, what)
        }
        // The wrong model: refused after block 0, before anything is written.
        let full = Rig(model: LoaderHarness.model("full-ft"))
        let wrong = full.run(Int32(AP_STREAM_APPLY), bundle, modelLength: LoaderHarness.model("full-ft").count)
        XCTAssertEqual(wrong.code, Int32(AP_E_BASE_MISMATCH), Self.name(wrong.code))
        XCTAssertEqual(full.flash.operations, 0)
        let notTarget = Rig(model: Self.base)
        XCTAssertEqual(notTarget.run(Int32(AP_STREAM_UNAPPLY), bundle, modelLength: Self.base.count).code, Int32(AP_E_NOT_TARGET))
        XCTAssertEqual(notTarget.flash.operations, 0)
        // Window below what the front declares.
        let small = Rig(model: Self.base, window: Int(Self.front(bundle).windowSize) - 1)
        XCTAssertEqual(small.run(Int32(AP_STREAM_APPLY), bundle, modelLength: Self.base.count).code, Int32(AP_E_WINDOW))
        XCTAssertEqual(small.flash.operations, 0)
    }

    static let bundleForStranger: [UInt8] = {
        var options = BundleOptions()
        options.blockSize = 2048
        return try! DiffBundler.bundle(base: base, target: LoaderHarness.model("lora"), key: LoaderHarness.stranger,
                                       options: options).bytes
    }()

    func testArgumentsAreRefusedNotTrappedOn() {
        let bundle = Self.bundles["full-ft"]!
        let rig = Rig(model: Self.base)
        var verifier = ap_verifier(context: nil, check: nil, ed25519_public_key: UnsafePointer(rig.key.baseAddress))
        var flash = ap_flash(context: Unmanaged.passUnretained(rig.flash).toOpaque(), page_size: 4096, program_size: 8,
                             page_count: UInt32(rig.layout.pageCount), read: CAPITests.flashRead,
                             erase: CAPITests.flashErase, program: CAPITests.flashProgram)
        var layout = ap_flash_layout(model_pages: UInt32(rig.layout.modelPages), scratch_page: UInt32(rig.layout.scratchPage),
                                     journal_page: UInt32(rig.layout.journalPage), journal_pages: UInt32(rig.layout.journalPages),
                                     unit_size: UInt32(rig.layout.unitSize), unit_buffer: rig.unit.baseAddress)
        let window = rig.window.baseAddress, size = UInt32(rig.window.count), length = UInt32(Self.base.count)
        var s = ap_stream()
        let apply = Int32(AP_STREAM_APPLY)
        XCTAssertEqual(AdapterLoader.ap_stream_begin(nil, apply, &verifier, window, size, &flash, &layout, length, 0), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, apply, nil, window, size, &flash, &layout, length, 0), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, apply, &verifier, nil, size, &flash, &layout, length, 0), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, apply, &verifier, window, size, nil, &layout, length, 0), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, apply, &verifier, window, size, &flash, nil, length, 0), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, 0, &verifier, window, size, &flash, &layout, length, 0), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, 5, &verifier, window, size, &flash, &layout, length, 0), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, apply, &verifier, window, 0x8000_0000, &flash, &layout, length, 0),
                       Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, apply, &verifier, window, size, &flash, &layout, 0xFFFF_FFFF, 0),
                       Int32(AP_E_ARGUMENT), "model longer than the model pages")
        // Flash whose pages × page size does not fit 31 bits.
        var huge = flash
        huge.page_count = 0x10_0000
        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, apply, &verifier, window, size, &huge, &layout, length, 0), Int32(AP_E_ARGUMENT))
        var noUnit = layout
        noUnit.unit_buffer = nil
        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, apply, &verifier, window, size, &flash, &noUnit, length, 0), Int32(AP_E_ARGUMENT))
        // A refused begin leaves the context closed.
        XCTAssertEqual(AdapterLoader.ap_stream_feed(&s, [1], 1, 0), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_end(&s, nil), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_next_offset(&s), 0)
        XCTAssertEqual(AdapterLoader.ap_stream_is_complete(&s), 0)
        XCTAssertEqual(AdapterLoader.ap_stream_feed(nil, [1], 1, 0), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_end(nil, nil), Int32(AP_E_ARGUMENT))
        XCTAssertEqual(AdapterLoader.ap_stream_next_offset(nil), 0)

        XCTAssertEqual(AdapterLoader.ap_stream_begin(&s, apply, &verifier, window, size, &flash, &layout, length, 0), Int32(AP_OK))
        bundle.withUnsafeBufferPointer { b in
            let p = b.baseAddress!
            XCTAssertEqual(AdapterLoader.ap_stream_feed(&s, nil, 1, 0), Int32(AP_E_ARGUMENT))
            XCTAssertEqual(AdapterLoader.ap_stream_feed(&s, nil, 0, 0), Int32(AP_OK), "nothing to do")
            XCTAssertEqual(AdapterLoader.ap_stream_feed(&s, p, 0x8000_0000, 0), Int32(AP_E_ARGUMENT))
            XCTAssertEqual(AdapterLoader.ap_stream_feed(&s, p, 16, 0xFFFF_FFF8), Int32(AP_E_ARGUMENT))
            XCTAssertEqual(AdapterLoader.ap_stream_feed(&s, p, 0xFFFF_FFFF, 0xFFFF_FFFF), Int32(AP_E_ARGUMENT))
            XCTAssertEqual(AdapterLoader.ap_stream_feed(&s, p, 100, 0), Int32(AP_OK))
            XCTAssertEqual(AdapterLoader.ap_stream_next_offset(&s), 100)
            // A gap is refused and the stream stays open.
            XCTAssertEqual(AdapterLoader.ap_stream_feed(&s, p + 101, 10, 101), Int32(AP_E_STREAM))
            XCTAssertEqual(AdapterLoader.ap_stream_next_offset(&s), 100)
            // Resent bytes are skipped; the new ones taken.
            XCTAssertEqual(AdapterLoader.ap_stream_feed(&s, p + 50, 100, 50), Int32(AP_OK))
            XCTAssertEqual(AdapterLoader.ap_stream_next_offset(&s), 150)
            // Ending early: the stream is incomplete.
            XCTAssertEqual(AdapterLoader.ap_stream_is_complete(&s), 0)
        }
        XCTAssertEqual(AdapterLoader.ap_stream_end(&s, nil), Int32(AP_E_STREAM))
        XCTAssertEqual(rig.flash.operations, 0)
        XCTAssertEqual(AdapterLoader.ap_stream_end(&s, nil), Int32(AP_E_ARGUMENT))
    }

    // MARK: - Power cuts

    /// Power fails at the k-th erase or program of a streamed apply (and
    /// unapply); after the "reset" a resume is fed from ap_stream_next_offset,
    /// jumps to the block the journal names, and ends at the target (or, for
    /// a cut before the first model write, at the base: the operation is then
    /// streamed again).
    func testPowerCutThenResumeFromTheOffsetTheLoaderAsksFor() {
        let bundle = Self.bundles["full-ft"]!, target = LoaderHarness.model("full-ft")
        for unapply in [false, true] {
            let start = unapply ? target : Self.base, goal = unapply ? Self.base : target
            let operation = Int32(unapply ? AP_STREAM_UNAPPLY : AP_STREAM_APPLY)
            let clean = Rig(model: start)
            XCTAssertEqual(clean.run(operation, bundle, modelLength: start.count).code, Int32(AP_OK))
            let total = clean.flash.operations
            var jumps = 0, savedBytes = 0
            for cut in stride(from: 0, to: total, by: 3) {
                let rig = Rig(model: start)
                rig.flash.cutAt = cut
                let interrupted = rig.run(operation, bundle, modelLength: start.count)
                XCTAssertEqual(interrupted.code, Int32(AP_E_FLASH), "cut \(cut)")
                rig.flash.powerOn()
                let resumed = rig.run(Int32(AP_STREAM_RESUME), bundle, modelLength: 0)
                XCTAssertEqual(resumed.code, Int32(AP_OK), "cut \(cut): resume: \(Self.name(resumed.code))")
                if resumed.jump != nil {
                    jumps += 1
                    savedBytes += bundle.count - resumed.fed
                }
                let state = resumed.outcome.state
                if state == Int32(unapply ? AP_MODEL_TARGET : AP_MODEL_BASE) {
                    // Cut before the first model write: stream the operation again.
                    XCTAssertEqual(rig.run(operation, bundle, modelLength: start.count).code, Int32(AP_OK), "cut \(cut): again")
                }
                XCTAssertTrue(rig.model(goal.count) == goal, "\(unapply ? "unapply" : "apply") cut \(cut)")
            }
            XCTAssertGreaterThan(jumps, 0, "some resumes skip the blocks done before the cut")
            print("ap_stream power cuts (\(unapply ? "unapply" : "apply")): \(total) flash operations, "
                  + "every 3rd cut; \(jumps) resumes jumped ahead, \(savedBytes / max(jumps, 1)) bytes not resent on average")
        }
    }

    /// A cut during the resume itself, then a second resume.
    func testPowerCutDuringResume() {
        let bundle = Self.bundles["lora"]!, target = LoaderHarness.model("lora")
        let clean = Rig(model: Self.base)
        XCTAssertEqual(clean.run(Int32(AP_STREAM_APPLY), bundle, modelLength: Self.base.count).code, Int32(AP_OK))
        let total = clean.flash.operations
        for cut in [total / 3, total / 2, 2 * total / 3] {
            let rig = Rig(model: Self.base)
            rig.flash.cutAt = cut
            XCTAssertEqual(rig.run(Int32(AP_STREAM_APPLY), bundle, modelLength: Self.base.count).code, Int32(AP_E_FLASH))
            rig.flash.powerOn()
            rig.flash.cutAt = rig.flash.operations + 2
            XCTAssertEqual(rig.run(Int32(AP_STREAM_RESUME), bundle, modelLength: 0).code, Int32(AP_E_FLASH), "cut \(cut)")
            rig.flash.powerOn()
            let resumed = rig.run(Int32(AP_STREAM_RESUME), bundle, modelLength: 0, piece: 1)
            XCTAssertEqual(resumed.code, Int32(AP_OK), "cut \(cut): \(Self.name(resumed.code))")
            XCTAssertEqual(resumed.outcome.state, Int32(AP_MODEL_TARGET))
            XCTAssertTrue(rig.model(target.count) == target)
        }
    }
}
