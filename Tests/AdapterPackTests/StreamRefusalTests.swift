import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack

/// A store that logs every write, to prove that no byte of an unverified
/// block reaches the model.
struct RecordingStore: ModelStore {
    var ram: RAMStore
    var writes: [(offset: Int, bytes: [UInt8])] = []

    var capacity: Int { ram.capacity }
    var length: Int { ram.length }
    mutating func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(LoaderError) {
        try ram.read(at: offset, into: buffer)
    }
    mutating func write(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(LoaderError) {
        writes.append((offset, Array(bytes)))
        try ram.write(at: offset, from: bytes)
    }
    mutating func setLength(_ length: Int) throws(LoaderError) { try ram.setLength(length) }
}

/// Format 2 refusals while streaming (Spec/FORMAT.md §5): every altered
/// byte is refused at or before its block, and nothing of a block is written
/// before the block is verified.
final class StreamRefusalTests: XCTestCase {
    /// Streams `bundle` into an apply over a recording store; returns the
    /// error (if any), the write log, and the log's length when each block began.
    func streamed(_ bundle: [UInt8], base: [UInt8], piece: Int = 37)
        -> (error: LoaderError?, writes: [(offset: Int, bytes: [UInt8])], logAtBlock: [Int], model: [UInt8]) {
        let capacity = max(base.count, 60_000)
        var memory = base + [UInt8](repeating: 0, count: capacity - base.count)
        var window = [UInt8](repeating: 0, count: 40_000)
        var logAtBlock: [Int] = []
        var failure: LoaderError?
        var log: [(offset: Int, bytes: [UInt8])] = []
        memory.withUnsafeMutableBytes { m in
            window.withUnsafeMutableBytes { w in
                let store = RecordingStore(ram: RAMStore(memory: m, length: base.count))
                var loader = StreamLoader(.apply, store: store, verifier: Fixtures.trusted, window: w)
                do throws(LoaderError) {
                    try bundle.withBytes { (raw: UnsafeRawBufferPointer) throws(LoaderError) in
                        while !loader.isComplete && loader.nextOffset < raw.count {
                            while logAtBlock.count <= loader.blocksDone { logAtBlock.append(loader.store.writes.count) }
                            let start = loader.nextOffset, end = min(raw.count, start + piece)
                            try loader.feed(UnsafeRawBufferPointer(rebasing: raw[start ..< end]), at: start)
                        }
                    }
                    _ = try loader.finish()
                } catch { failure = error }
                log = loader.store.writes
            }
        }
        return (failure, log, logAtBlock, Array(memory[0 ..< base.count]))
    }

    /// Bundle offsets where each block starts (front and signature first).
    func blockStarts(_ bundle: [UInt8]) throws -> [Int] {
        let header = try bundle.withUnsafeBytes { try StreamHeader(parsing: $0) }
        var starts = [StreamHeader.firstBlockOffset]
        var length = Int(header.firstBlockLength)
        while starts.last! + length < bundle.count {
            let end = starts.last! + length
            length = Int(bundle[end - BlockTrailer.size]) | Int(bundle[end - BlockTrailer.size + 1]) << 8
            starts.append(end)
        }
        return starts
    }

    func testEveryFlippedByteIsRefusedAtOrBeforeItsBlock() throws {
        let base = Fixtures.model("base"), target = Fixtures.model("head-ft")
        // Small blocks, so the bundle has several and flips land in each.
        let bundle = try StreamFormatTests.diffBundle(base, target, blockSize: 256)
        let starts = try blockStarts(bundle)
        XCTAssertGreaterThan(starts.count, 2)
        let good = streamed(bundle, base: base)
        XCTAssertNil(good.error)
        XCTAssertEqual(good.model, target)
        for offset in 0 ..< bundle.count {
            var bad = bundle
            bad[offset] ^= 0x20
            let run = streamed(bad, base: base)
            XCTAssertNotNil(run.error, "flip at \(offset) was accepted")
            // The block holding the byte (front and signature: before block 0).
            let block = starts.lastIndex { $0 <= offset } ?? 0
            let allowed = offset < StreamHeader.firstBlockOffset ? 0 : good.logAtBlock[block]
            XCTAssertLessThanOrEqual(run.writes.count, allowed, "flip at \(offset): writes from an unverified block")
            for (a, b) in zip(run.writes, good.writes) {
                XCTAssertTrue(a.offset == b.offset && a.bytes == b.bytes, "flip at \(offset): a write the good stream did not make")
            }
        }
    }

    func testTruncationAtEveryBlockBoundaryIsIncomplete() throws {
        let base = Fixtures.model("base"), target = Fixtures.model("head-ft")
        let bundle = try StreamFormatTests.diffBundle(base, target, blockSize: 256)
        let good = streamed(bundle, base: base)
        for (index, start) in try blockStarts(bundle).enumerated() {
            for cut in [start - 1, start, start + 1] where cut > 0 && cut < bundle.count {
                let run = streamed(Array(bundle[0 ..< cut]), base: base)
                guard case .streamIncomplete? = run.error else {
                    XCTFail("truncated at \(cut): \(String(describing: run.error))")
                    continue
                }
                XCTAssertLessThanOrEqual(run.writes.count, good.logAtBlock[min(index + 1, good.logAtBlock.count - 1)])
            }
        }
    }

    func testPiecesOutOfOrderAreRefused() throws {
        let base = Fixtures.model("base")
        let bundle = try StreamFormatTests.diffBundle(base, Fixtures.model("head-ft"))
        var memory = base
        var window = [UInt8](repeating: 0, count: 8192)
        try memory.withUnsafeMutableBytes { m in
            try window.withUnsafeMutableBytes { w in
                var loader = StreamLoader(.apply, store: RAMStore(memory: m, length: base.count), verifier: Fixtures.trusted, window: w)
                try bundle.withUnsafeBytes { raw in
                    XCTAssertThrowsError(try loader.feed(UnsafeRawBufferPointer(rebasing: raw[10 ..< 20]), at: 10)) {
                        XCTAssertEqual($0 as? LoaderError, .streamGap(needed: 0, given: 10))
                    }
                    XCTAssertThrowsError(try loader.finish()) {
                        XCTAssertEqual($0 as? LoaderError, .streamIncomplete(needed: 0, length: 0))
                    }
                }
            }
        }
        XCTAssertEqual(memory, base)
    }

    func testUnknownKeyWrongBaseAndRollbackAreRefusedBeforeWriting() throws {
        let base = Fixtures.model("base")
        let bundle = try StreamFormatTests.diffBundle(base, Fixtures.model("head-ft"))
        XCTAssertThrowsError(try HostLoader.apply(bundle: bundle, base: base, keys: TrustedKeys([Fixtures.otherKey.verifyingKey]))) {
            guard case .unknownKey? = $0 as? LoaderError else { return XCTFail("\($0)") }
        }
        var other = base
        other[500] ^= 1
        XCTAssertThrowsError(try HostLoader.apply(bundle: bundle, base: other, keys: Fixtures.trusted)) {
            guard case .baseMismatch? = $0 as? LoaderError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try HostLoader.apply(bundle: bundle, base: base, keys: Fixtures.trusted, minimumSequence: 2)) {
            XCTAssertEqual($0 as? LoaderError, .rollback(bundleSequence: 1, deviceSequence: 2))
        }
    }

    /// Power cut at every erase and program of a streamed apply and unapply:
    /// resume, fed from the offsets the loader asks for, ends at exactly the
    /// target (or the base), and after block 0 jumps to the journal's block.
    func testPowerCutSweepResumesFromTheOffsetTheLoaderAsksFor() throws {
        let base = Fixtures.model("base")
        for (variant, block) in [("full-ft", 1024), ("lora", 4096)] {
            let target = Fixtures.model(variant)
            let bundle = try StreamFormatTests.diffBundle(base, target, blockSize: block)
            for unapply in [false, true] {
                let start = unapply ? target : base, end = unapply ? base : target
                let clean = try HostLoader.runOnFlash(bundle: bundle, model: start, keys: Fixtures.trusted,
                                                            unapply: unapply, pageSize: 4096)
                XCTAssertEqual(clean.model, end)
                var jumps = 0, saved = 0
                let total = clean.operations
                for k in 0 ..< total {
                    let run = try HostLoader.runOnFlash(bundle: bundle, model: start, keys: Fixtures.trusted,
                                                              unapply: unapply, pageSize: 4096, powerCutAt: k)
                    XCTAssertEqual(run.model, end, "\(variant) cut at \(k)")
                    if run.resumeJumpedTo != nil { jumps += 1; saved += bundle.count - run.resumeBytes }
                }
                print("format 2 power cuts: digits/\(variant) \(unapply ? "unapply" : "apply") \(block)-byte blocks: "
                      + "\(total) cut points, \(jumps) resumes jumped ahead, \(saved) bundle bytes not re-sent in all")
            }
        }
    }
}
