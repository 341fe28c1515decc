import XCTest
import AdapterFormat
import AdapterLoader
@testable import AdapterPack
import TestSupport

/// `coded` operations (opcode 7) through the device loader: apply, unapply,
/// and a few hundred corruptions of a signed coded chunk, each of which must
/// be refused with an error (never a trap) or, when the damage happens not to
/// change a value, still give exactly the target; a refused bundle leaves the
/// base in the store.
final class CodedDeltaLoaderTests: XCTestCase {
    let base = LoaderHarness.model("base")

    /// One stored payload record for `segment` holding `ops`.
    func bundle(_ ops: OpStreamWriter, segment: Int, target: [UInt8]) -> [UInt8] {
        LoaderHarness.crafted([LoaderHarness.record(.payload, ops.bytes, segment: segment)], base: base, target: target)
    }

    /// The head-ft weight change (480 bytes at 30328, segment 7) as one coded op.
    func headWeights() -> (ops: OpStreamWriter, target: [UInt8], codedStart: Int, codedCount: Int) {
        let tuned = LoaderHarness.model("head-ft")
        var target = base
        let range = 30328 ..< 30808
        for i in range { target[i] = tuned[i] }
        let deltas = range.map { target[$0] &- base[$0] }
        var ops = OpStreamWriter()
        ops.coded(offset: range.lowerBound, values: deltas[...], mode: CodedDeltaMode(xor: false, laneBits: 0))
        let coded = CodedDeltaEncoder.encode(deltas, mode: CodedDeltaMode(xor: false, laneBits: 0))
        return (ops, target, ops.bytes.count - coded.count, coded.count)
    }

    func testCodedChunkAppliesAndUnapplies() {
        let (ops, target, _, _) = headWeights()
        let signed = bundle(ops, segment: 7, target: target)
        let applied = LoaderHarness.apply(signed, to: base)
        XCTAssertNil(applied.error)
        XCTAssertEqual(applied.store, target)
        let restored = LoaderHarness.apply(signed, to: target, unapply: true)
        XCTAssertNil(restored.error)
        XCTAssertEqual(restored.store, base)
    }

    func testCorruptCodedDataThrowsOrStillGivesTheTarget() {
        let (ops, target, codedStart, codedCount) = headWeights()
        var rng = TestRNG(seed: 0xC0DE)
        var refused = 0, exact = 0
        for trial in 0 ..< 300 {
            var bytes = ops.bytes
            switch trial % 4 {
            case 0: // one flipped bit in the coded data
                bytes[codedStart + Int(rng.next() % UInt64(codedCount))] ^= UInt8(1 << (rng.next() % 8))
            case 1: // a random byte in the coded data
                bytes[codedStart + Int(rng.next() % UInt64(codedCount))] = UInt8(truncatingIfNeeded: rng.next())
            case 2: // a run of random bytes
                let at = codedStart + Int(rng.next() % UInt64(codedCount))
                for i in at ..< min(bytes.count, at + 8) { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
            default: // any byte of the operation, header fields included
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            var damaged = OpStreamWriter()
            damaged.appendRaw(bytes)
            let run = LoaderHarness.apply(bundle(damaged, segment: 7, target: target), to: base)
            if run.error == nil {
                XCTAssertEqual(run.store, target, "trial \(trial): success must mean the exact target")
                exact += 1
            } else if case .targetMismatch(_, let actual)? = run.error {
                // Decoded values that differ but decode: reported after the last block (FORMAT.md §8).
                XCTAssertEqual(sha256(run.store), actual, "trial \(trial): the store holds what the blocks produced")
                refused += 1
            } else {
                XCTAssertEqual(run.store, base, "trial \(trial): a refused bundle leaves the base")
                refused += 1
            }
        }
        XCTAssertGreaterThan(refused, 250)
        print("coded corruption: \(refused) refused, \(exact) harmless of 300")
    }

    func testBadModeIsRefusedBeforeWriting() {
        var bytes: [UInt8] = [Opcode.coded.rawValue]
        LEB128.append(30328, to: &bytes)
        LEB128.append(4, to: &bytes)
        LEB128.append(8, to: &bytes)   // bit 3 set: unknown
        LEB128.append(4, to: &bytes)
        bytes += [0, 0, 0, 0]
        var ops = OpStreamWriter()
        ops.appendRaw(bytes)
        var target = base
        target[30328] &+= 1
        let run = LoaderHarness.apply(bundle(ops, segment: 7, target: target), to: base)
        XCTAssertEqual(run.error, .format(.malformedRecord(section: 5, offset: 5, .badValue(8))))
        XCTAssertEqual(run.store, base)
    }
}

