import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack
import TestSupport

/// `lowRankResidual` operations (opcode 8, Spec/FORMAT.md §4.5) through the
/// device loader: the digits/lora diff applies and unapplies exactly, damaged
/// residual blocks and factor records are refused with an error (never a
/// trap) and a refusal leaves the base untouched, and power cuts during
/// apply and unapply end at exactly the base or the target.
final class LowRankLoaderTests: XCTestCase {
    let base = LoaderHarness.model("base")
    let target = LoaderHarness.model("lora")

    /// The planner's low-rank plan of base → lora.
    func plan() -> DeltaPlan {
        let plan = ModelDiffer.plan(base: base, target: target)
        XCTAssertFalse(plan.lowRank.isEmpty, "digits/lora should take the low-rank coding")
        return plan
    }

    /// The plan, signed as `DiffBundler` writes it.
    func signed(_ plan: DeltaPlan) -> [UInt8] {
        try! BundleAssembler.assemble(plan.sections, base: base, key: LoaderHarness.key, options: BundleOptions())
    }

    /// Where one `lowRankResidual` operation's pieces are in its segment's stream.
    struct Located {
        var segment: Int
        var stream: [UInt8]
        var opStart: Int
        var length: Int           // weights the operation covers
        var fieldsEnd: Int        // after offset, length, block
        var forward: Range<Int>   // coded bytes of the forward residual
        var inverse: Range<Int>   // coded bytes of the inverse residual
    }

    /// The first `lowRankResidual` operation of the payload.
    func locate(_ plan: DeltaPlan) -> Located {
        for (segment, writer) in plan.sections.payload.segments.sorted(by: { $0.key < $1.key }) {
            let s = writer.bytes
            var p = 0
            func varint() -> Int {
                var v = 0, shift = 0
                while true {
                    let b = s[p]; p += 1
                    v |= Int(b & 0x7F) << shift
                    if b & 0x80 == 0 { return v }
                    shift += 7
                }
            }
            while p < s.count {
                let start = p
                let opcode = Opcode(rawValue: s[p])!
                p += 1
                switch opcode {
                case .lowRankResidual:
                    _ = varint()
                    let length = varint()
                    _ = varint()
                    let fieldsEnd = p
                    let n1 = varint()
                    let forward = p ..< p + n1
                    p += n1
                    let n2 = varint()
                    return Located(segment: segment, stream: s, opStart: start, length: length, fieldsEnd: fieldsEnd,
                                   forward: forward, inverse: p ..< p + n2)
                case .coded:
                    _ = varint(); _ = varint(); _ = varint()
                    p += varint()
                case .add32:
                    _ = varint()
                    let count = varint()
                    for _ in 0 ..< count { _ = varint() }
                case .xor, .add8, .write:
                    _ = varint()
                    p += varint()
                default:
                    XCTFail("unexpected opcode \(opcode) in the payload")
                    return Located(segment: 0, stream: [], opStart: 0, length: 0, fieldsEnd: 0, forward: 0 ..< 0, inverse: 0 ..< 0)
                }
            }
        }
        XCTFail("no lowRankResidual operation")
        return Located(segment: 0, stream: [], opStart: 0, length: 0, fieldsEnd: 0, forward: 0 ..< 0, inverse: 0 ..< 0)
    }

    /// `plan` with segment `segment`'s stream replaced.
    func replacing(_ plan: DeltaPlan, segment: Int, with stream: [UInt8]) -> DeltaPlan {
        var changed = plan
        var payload = SegmentedOps(segmentSize: plan.sections.payload.segmentSize)
        for (s, writer) in plan.sections.payload.segments.sorted(by: { $0.key < $1.key }) {
            payload.appendRaw(segment: s, s == segment ? stream : writer.bytes)
        }
        changed.sections.payload = payload
        return changed
    }

    /// The operation with new residual blocks (and their lengths).
    func rebuilt(_ at: Located, forward: [UInt8], inverse: [UInt8]) -> [UInt8] {
        var op = Array(at.stream[at.opStart ..< at.fieldsEnd])
        LEB128.append(forward.count, to: &op)
        op += forward
        LEB128.append(inverse.count, to: &op)
        op += inverse
        return Array(at.stream[..<at.opStart]) + op + Array(at.stream[at.inverse.upperBound...])
    }

    func loraProblem(_ error: LoaderError?) -> LoRAProblem? {
        if case .format(.malformedRecord(_, _, .lora(let problem)))? = error { return problem }
        return nil
    }

    func testLowRankDiffAppliesAndUnappliesInTheDeclaredWindow() {
        let bundle = signed(plan())
        XCTAssertEqual(bundle, LoaderHarness.bundle(base, target), "DiffBundler makes the same bundle")
        let applied = LoaderHarness.apply(bundle, to: base)
        XCTAssertNil(applied.error)
        XCTAssertEqual(applied.store, target)
        let restored = LoaderHarness.apply(bundle, to: target, unapply: true)
        XCTAssertNil(restored.error)
        XCTAssertEqual(restored.store, base)
        let front = bundle.withUnsafeBytes { try! StreamHeader(parsing: $0) }
        let declared = Int(front.windowSize)
        // One block, the factor area and the fixed buffers: within the default 8 KB.
        XCTAssertLessThanOrEqual(declared, 8192)
        XCTAssertGreaterThanOrEqual(declared, front.blockLimit + Int(front.factorBytes) + 1024)
        XCTAssertEqual(LoaderHarness.apply(bundle, to: base, window: declared - 1).error,
                       .windowTooSmall(needed: declared, given: declared - 1))
    }

    /// Damaged residual blocks: refused by validation (store untouched), or
    /// decoded into wrong values, which the target hash catches; never a trap.
    /// Damage to the inverse block is skipped by apply and caught by unapply.
    func testCorruptResidualsAreRefusedNeverTrap() {
        let plan = plan()
        let at = locate(plan)
        let forward = Array(at.stream[at.forward]), inverse = Array(at.stream[at.inverse])
        var rng = TestRNG(seed: 0x10_4A4C)
        var refusedBeforeWriting = 0, wrongTarget = 0, exact = 0, unapplyCaught = 0
        for trial in 0 ..< 120 {
            var f = forward, i = inverse
            let damageForward = trial % 2 == 0
            var block = damageForward ? f : i
            switch trial % 12 / 2 {
            case 0: block[Int(rng.next() % UInt64(block.count))] ^= UInt8(1 << (rng.next() % 8))
            case 1: block[Int(rng.next() % UInt64(block.count))] = UInt8(truncatingIfNeeded: rng.next())
            case 2: block.removeLast(1 + Int(rng.next() % 3))
            case 3: block += [UInt8(truncatingIfNeeded: rng.next())]
            case 4: block.replaceSubrange(0 ..< 4, with: [0xFF, 0xFF, 0xFF, 0xFF])
            default: block = Array(block.prefix(Int(rng.next() % UInt64(block.count))))
            }
            if damageForward { f = block } else { i = block }
            let bundle = signed(replacing(plan, segment: at.segment, with: rebuilt(at, forward: f, inverse: i)))
            let applied = LoaderHarness.apply(bundle, to: base)
            switch applied.error {
            case nil:
                XCTAssertEqual(applied.store, target, "trial \(trial): success must be exact")
                exact += 1
                let removed = LoaderHarness.apply(bundle, to: target, unapply: true)
                if let error = removed.error {
                    unapplyCaught += 1
                    if case .format = error { XCTAssertEqual(removed.store, target, "trial \(trial): refused unapply wrote") }
                } else {
                    XCTAssertEqual(removed.store, base, "trial \(trial)")
                }
            case .format?:
                XCTAssertEqual(applied.store, base, "trial \(trial): a refused bundle must leave the base")
                refusedBeforeWriting += 1
            case .targetMismatch?:
                XCTAssertTrue(damageForward, "trial \(trial): apply never decodes the inverse block's values into the model")
                wrongTarget += 1
            case let other?:
                XCTFail("trial \(trial): unexpected \(other)")
            }
        }
        print("low-rank residual damage: \(refusedBeforeWriting) refused before writing, \(wrongTarget) wrong target"
              + " (caught by the hash), \(exact) exact applies (\(unapplyCaught) of their unapplies refused)")
        XCTAssertGreaterThan(refusedBeforeWriting, 40)
    }

    /// The values of a residual block, decoded on the host.
    func decode(_ coded: [UInt8], count: Int) throws -> [UInt8] {
        let mode = CodedDeltaMode(xor: false, laneBits: 0)
        var tables = [UInt8](repeating: 0, count: CodedDelta.bytesPerLane)
        return try coded.withUnsafeBytes { raw in
            try tables.withUnsafeMutableBytes { t in
                var d = try CodedDeltaDecoder(input: BufferInput(raw), length: coded.count, mode: mode, tables: t, section: 5)
                let out = try (0 ..< count).map { _ in try d.next() }
                try d.finish()
                return out
            }
        }
    }

    /// Well-formed residuals with one wrong value (a writer fault): the
    /// hashes catch it, no trap. A wrong forward value fails apply with
    /// `targetMismatch`; as §4.5 says, the inverse then cannot restore the
    /// base, which is why `DiffBundler` round-trips every low-rank bundle
    /// through the loader before signing. A wrong inverse value passes apply
    /// and fails unapply with `unapplyMismatch`.
    func testWellFormedWrongResidualsAreCaughtByTheHashes() throws {
        let plan = plan()
        let at = locate(plan)
        var forward = try decode(Array(at.stream[at.forward]), count: at.length)
        var inverse = try decode(Array(at.stream[at.inverse]), count: at.length)
        let mode = CodedDeltaMode(xor: false, laneBits: 0)
        let original = (CodedDeltaEncoder.encode(forward, mode: mode), CodedDeltaEncoder.encode(inverse, mode: mode))
        XCTAssertEqual(original.0, Array(at.stream[at.forward]))
        XCTAssertEqual(original.1, Array(at.stream[at.inverse]))

        forward[100] &+= 1
        let wrongForward = signed(replacing(plan, segment: at.segment, with: rebuilt(
            at, forward: CodedDeltaEncoder.encode(forward, mode: mode), inverse: original.1)))
        let applied = LoaderHarness.apply(wrongForward, to: base)
        guard case .targetMismatch? = applied.error else { return XCTFail("\(String(describing: applied.error))") }
        XCTAssertNotEqual(applied.store, target)

        inverse[100] &+= 1
        let wrongInverse = signed(replacing(plan, segment: at.segment, with: rebuilt(
            at, forward: original.0, inverse: CodedDeltaEncoder.encode(inverse, mode: mode))))
        let ok = LoaderHarness.apply(wrongInverse, to: base)
        XCTAssertNil(ok.error)
        XCTAssertEqual(ok.store, target)
        let removed = LoaderHarness.apply(wrongInverse, to: target, unapply: true)
        guard case .unapplyMismatch? = removed.error else { return XCTFail("\(String(describing: removed.error))") }
        // The host writer refuses to hand out such a bundle: its round trip fails.
        XCTAssertThrowsError(try BundleAssembler.selfCheck(wrongInverse, base: base, target: target, key: LoaderHarness.key)) {
            XCTAssertTrue("\($0)".contains("unapply"), "\($0)")
        }
        XCTAssertNoThrow(try BundleAssembler.selfCheck(signed(plan), base: base, target: target, key: LoaderHarness.key))
    }

    /// Damaged factor records, operation fields or a missing factors section:
    /// refused by validation, before any write.
    func testMalformedFactorsAndFieldsAreRefused() {
        let plan = plan()
        let report = plan.lowRank[0]
        let header = LoRABlockHeader(weights: 0, bias: 0, rows: UInt16(report.rows), columns: UInt16(report.columns),
                                     rank: UInt8(report.rank))
        let ratios = header.blockSize, firstRecord = header.rowsOffset
        func refused(_ changed: DeltaPlan, _ expected: (LoRAProblem) -> Bool, _ what: String) {
            let run = LoaderHarness.apply(signed(changed), to: base)
            XCTAssertTrue(loraProblem(run.error).map(expected) ?? false, "\(what): \(String(describing: run.error))")
            XCTAssertEqual(run.store, base, "\(what): nothing may be written")
        }
        var p = plan
        p.sections.factors[ratios + 2] = 0    // m = 0
        refused(p, { $0 == .badRow(row: 0) }, "m = 0")
        p = plan
        p.sections.factors[ratios + 6 + 5] = 25    // row 1: m' = 25
        refused(p, { $0 == .badRow(row: 1) }, "m' > 24")
        p = plan
        p.sections.factors[ratios + 3] = 0; p.sections.factors[ratios + 4] = 0    // R' = 0
        refused(p, { $0 == .badRow(row: 0) }, "R' = 0")
        p = plan
        p.sections.factors[firstRecord + report.rank + 2] |= 0x80    // row 0 marked rescaled
        refused(p, { $0 == .badRow(row: 0) }, "rescaled row")
        p = plan
        p.sections.factors.removeLast(3)    // the last ratio record runs past the section
        refused(p, { $0 == .badBlock(block: 0) }, "ratio records past the section")
        p = plan
        p.sections.factors[0] &+= 1    // W starts one byte later: the first operation begins outside it
        refused(p, { if case .outsideTensor = $0 { return true } else { return false } }, "outside the tensor")
        p = plan
        p.sections.factors = []
        refused(p, { $0 == .noFactorsSection }, "no factors section")

        // A block offset past the section.
        let at = locate(plan)
        var op = Array(at.stream[at.opStart ..< at.fieldsEnd])
        op.removeLast()    // block 0 is one varint byte
        LEB128.append(plan.sections.factors.count, to: &op)
        let stream = Array(at.stream[..<at.opStart]) + op + Array(at.stream[at.fieldsEnd...])
        refused(replacing(plan, segment: at.segment, with: stream), { $0 == .badBlock(block: UInt32(plan.sections.factors.count)) },
                "block past the section")
        // The stream ends inside the operation's data.
        let cut = Array(at.stream[..<(at.inverse.lowerBound - 1)])
        let run = LoaderHarness.apply(signed(replacing(plan, segment: at.segment, with: cut)), to: base)
        guard case .format(.malformedRecord(_, _, .unexpectedEnd))? = run.error else {
            return XCTFail("truncated operation: \(String(describing: run.error))")
        }
        XCTAssertEqual(run.store, base)
    }

    /// Power cut at every third flash operation of an apply and an unapply of
    /// the digits/lora diff (with low-rank operations), on 4 KB and 1 KB
    /// pages, and a second cut during some resumes: each run ends at exactly
    /// the base or the target.
    func testPowerCutsAtEveryThirdOperation() throws {
        let bundle = LoaderHarness.bundle(base, target)
        let parsed = try ParsedBundle(bytes: bundle)
        XCTAssertTrue(try parsed.operations(.payload).contains { $0.opcode == .lowRankResidual })
        for pageSize in [4096, 1024] {
            let layout = FlashLayout(pageSize: pageSize, programSize: 8, segmentSize: Int(parsed.header.segmentSize),
                                     capacity: Int(parsed.header.storeCapacityNeeded))
            for unapply in [false, true] {
                let sweep = LoaderHarness.powerCutSweep(bundle, base: base, target: target, layout: layout,
                                                        unapply: unapply, step: 3, nestedEvery: 9)
                let (cuts, total, endedAtBase, endedAtTarget) = (sweep.cutPoints, sweep.totalOperations,
                                                                 sweep.endedAtBase, sweep.endedAtTarget)
                print("power cuts (low-rank digits/lora) page \(pageSize) \(unapply ? "unapply" : "apply"): \(cuts) of \(total)"
                      + " cut points, resumed to base \(endedAtBase), to target \(endedAtTarget)")
            }
        }
    }
}
