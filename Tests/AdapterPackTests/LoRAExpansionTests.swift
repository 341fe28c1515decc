import XCTest
import AdapterFormat
@testable import AdapterPack

/// The fixed-point arithmetic of Spec/FORMAT.md §4.3, value by value.
final class LoRAExpansionTests: XCTestCase {
    func testRoundShiftTiesGoUp() {
        // round(x / 2^n), ties toward +∞.
        let cases: [(Int64, Int, Int64)] = [
            (5, 1, 3), (-5, 1, -2), (4, 1, 2), (-4, 1, -2), (3, 2, 1), (-3, 2, -1), (2, 2, 1), (-2, 2, 0),
            (6, 2, 2), (-6, 2, -1), (-7, 2, -2), (1 << 40, 40, 1), ((1 << 40) - 1, 41, 0), (1 << 40, 41, 1), (-(1 << 39), 40, 0),
            (Int64(1) << 61, 62, 1), (-(Int64(1) << 61) - 1, 62, -1),
        ]
        for (x, n, expected) in cases {
            XCTAssertEqual(LoRAExpansion.roundShift(x, n), expected, "roundShift(\(x), \(n))")
        }
    }

    func testDotAndDelta() {
        let b: [UInt8] = [127, 0x81, 3, 0xFF]                        // 127, −127, 3, −1
        let a: [UInt8] = [127, 127, 0x80, 2]                         // 127, 127, −128, 2
        let acc: Int32 = b.withUnsafeBytes { bb in a.withUnsafeBytes { aa in LoRAExpansion.dot(bb, 0, aa, 0, rank: 4) } }
        let expected: Int32 = -386                                   // 127·127 − 127·127 + 3·(−128) − 1·2
        XCTAssertEqual(acc, expected)
        let row = LoRARow(multiplier: 40_000, shift: 20)              // M / 2^n ≈ 0.038147
        XCTAssertEqual(LoRAExpansion.delta(acc, row), LoRAExpansion.roundShift(Int64(acc) * 40_000, 20))
        XCTAssertEqual(LoRAExpansion.delta(acc, row), -15)            // −386 · 0.038147 = −14.72
    }

    func testShiftedRowsWrapAndInvertExactly() {
        let row = LoRARow(multiplier: 1, shift: 1)                     // Δ = roundShift(acc, 1)
        for w in 0 ... 255 {
            for acc in [-600, -256, -3, -1, 0, 1, 3, 154, 510, 2000] as [Int32] {
                let delta = LoRAExpansion.delta(acc, row)
                let new = LoRAExpansion.forward(UInt8(w), acc: acc, row)
                XCTAssertEqual(new, UInt8(truncatingIfNeeded: Int64(Int8(bitPattern: UInt8(w))) + delta))
                XCTAssertEqual(LoRAExpansion.inverse(new, delta), UInt8(w))
            }
        }
    }

    func testRescaledRowsAndBias() {
        // ρ = 40000 / 2^17 ≈ 0.30518; M / 2^n = 1/2, so Δ = acc / 2 exactly.
        let row = LoRARow(multiplier: 1, shift: 1, rescaled: true, ratio: 40_000, ratioShift: 17)
        XCTAssertEqual(Int8(bitPattern: LoRAExpansion.forward(UInt8(bitPattern: 100), acc: 632, row)), 127) // 416·ρ = 126.96
        XCTAssertEqual(Int8(bitPattern: LoRAExpansion.forward(UInt8(bitPattern: -100), acc: -800, row)), -127) // clamped
        XCTAssertEqual(Int8(bitPattern: LoRAExpansion.forward(0, acc: 10, row)), 2)      // 5·ρ = 1.53 → 2
        // One rounding: Δ = 1.5 gives 1.5·ρ = 0.46 → 0 (rounding Δ to 2 first would give 0.61 → 1).
        XCTAssertEqual(Int8(bitPattern: LoRAExpansion.forward(0, acc: 3, row)), 0)
        // n > F: Δ_F = roundShift(acc·M, n − 8). acc·M / 2^20 = −386·40000 / 2^20 = −14.725; (−14.725 + 20)·ρ = 1.61 → 2.
        let fine = LoRARow(multiplier: 40_000, shift: 20, rescaled: true, ratio: 40_000, ratioShift: 17)
        XCTAssertEqual(Int8(bitPattern: LoRAExpansion.forward(UInt8(bitPattern: 20), acc: -386, fine)), 2)
        // The largest values the rules allow do not overflow 64 bits.
        let wide = LoRARow(multiplier: 65_535, shift: 1, rescaled: true, ratio: 65_535, ratioShift: 16)
        XCTAssertEqual(Int8(bitPattern: LoRAExpansion.forward(127, acc: 1 << 21, wide)), 127)
        XCTAssertEqual(Int8(bitPattern: LoRAExpansion.forward(0x80, acc: -(1 << 21), wide)), -127)
        let tiny = LoRARow(multiplier: 65_535, shift: 1, rescaled: true, ratio: 65_535, ratioShift: 54)   // ρ ≈ 2^-38
        XCTAssertEqual(Int8(bitPattern: LoRAExpansion.forward(127, acc: 1 << 21, tiny)), 0)
        XCTAssertEqual(LoRAExpansion.rescaleBias(1_000_000, row), 305_176)          // 305175.78 → 305176
        XCTAssertEqual(LoRAExpansion.rescaleBias(-1_000_000, row), -305_176)
        XCTAssertEqual(LoRAExpansion.rescaleBias(Int32.min, LoRARow(multiplier: 1, shift: 1, rescaled: true, ratio: 1, ratioShift: 1)),
                       Int32.min / 2)
    }

    /// `rescaleScale` is IEEE 754 binary32 division by ρ, correctly rounded:
    /// Double division of the exact product then rounding to Float agrees
    /// except on double-rounding ties (probability about 2^-29 a case).
    func testRescaledScalesAreTheCorrectlyRoundedQuotient() {
        var generator = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0 ..< 200_000 {
            let bits = UInt32.random(in: 0x0080_0000 ... 0x7E00_0000, using: &generator)
            let shift = UInt8.random(in: 1 ... 24, using: &generator)
            let ratio = UInt16(clamping: UInt64.random(in: 1 ... min(65_535, UInt64(1) << UInt64(shift)), using: &generator))
            let row = LoRARow(multiplier: 1, shift: 1, rescaled: true, ratio: ratio, ratioShift: shift)
            let expected = Float(Double(Float(bitPattern: bits)) * Double(UInt64(1) << UInt64(shift)) / Double(ratio))
            guard expected.isNormal, expected.isFinite else { continue }
            XCTAssertEqual(LoRAExpansion.rescaleScale(bits, row), expected.bitPattern,
                           "bits \(String(bits, radix: 16)), R \(ratio), m \(shift)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 190_000)
        let half = LoRARow(multiplier: 1, shift: 1, rescaled: true, ratio: 1, ratioShift: 1)     // ρ = 1/2
        XCTAssertEqual(LoRAExpansion.rescaleScale(Float(0.25).bitPattern, half), Float(0.5).bitPattern)
        XCTAssertEqual(LoRAExpansion.rescaleScale(Float(3).bitPattern, LoRARow(multiplier: 1, shift: 1, rescaled: true,
                                                                               ratio: 3, ratioShift: 2)), Float(4).bitPattern)
        // Not positive normal numbers, or a result past float32's largest: refused.
        for bad in [Float(0), -Float(1), Float.infinity, Float.nan, Float.leastNonzeroMagnitude] {
            XCTAssertNil(LoRAExpansion.rescaleScale(bad.bitPattern, half), "\(bad)")
        }
        XCTAssertNil(LoRAExpansion.rescaleScale(Float.greatestFiniteMagnitude.bitPattern, half))
    }

    func testRowRecordsAreChecked() throws {
        func header(shift: UInt8 = 20, ratioShift: UInt8) -> LoRABlockHeader {
            LoRABlockHeader(weights: 0, bias: 0, rows: 1, columns: 1, rank: 1, shift: shift, ratioShift: ratioShift)
        }
        func parse(_ three: [UInt8], _ h: LoRABlockHeader) -> FormatError? {
            three.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> FormatError? in
                do throws(FormatError) { _ = try LoRARow(parsing: raw, at: 0, row: 3, header: h) } catch { return error }
                return nil
            }
        }
        let bad = FormatError.malformedRecord(section: SectionKind.factors.rawValue, offset: 0, .lora(.badRow(row: 3)))
        XCTAssertNil(parse([1, 0, 0], header(ratioShift: 0)))             // not rescaled
        XCTAssertEqual(parse([1, 0, 1], header(ratioShift: 0)), bad)      // R in a block without m
        XCTAssertNil(parse([1, 0, 200], header(ratioShift: 9)))           // ρ = 200 / 2^9
        XCTAssertNil(parse([1, 0, 4], header(ratioShift: 2)))             // ρ = 1
        XCTAssertEqual(parse([1, 0, 5], header(ratioShift: 2)), bad)      // ρ > 1
        let row = try ([0x40, 0x9C, 200] as [UInt8]).withUnsafeBytes { try LoRARow(parsing: $0, at: 0, row: 0, header: header(ratioShift: 9)) }
        XCTAssertEqual(row, LoRARow(multiplier: 40_000, shift: 20, rescaled: true, ratio: 200, ratioShift: 9))
        // The header carries n (1 … 62) and m (0 … 54: m + 8 fraction bits ≤ 62).
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeMutableBytes { LoRABlockHeader(weights: 100, bias: 7, rows: 2, columns: 3, rank: 4, shift: 21, ratioShift: 9).write(into: $0) }
        let parsed = try bytes.withUnsafeBytes { try LoRABlockHeader(parsing: $0, block: 0) }
        XCTAssertEqual(parsed.blockSize, 16 + 3 * 4 + 2 * 7)
        XCTAssertEqual(parsed.shift, 21)
        XCTAssertEqual(parsed.ratioShift, 9)
        for (at, value) in [(12, 129), (13, 0), (13, 63), (14, 55), (15, 1)] as [(Int, UInt8)] {
            var broken = bytes
            broken[at] = value
            XCTAssertThrowsError(try broken.withUnsafeBytes { try LoRABlockHeader(parsing: $0, block: 9) }, "byte \(at) = \(value)") {
                XCTAssertEqual($0 as? FormatError, .malformedRecord(section: SectionKind.factors.rawValue, offset: 0, .lora(.badBlock(block: 9))))
            }
        }
        var widest = bytes
        widest[14] = 54
        XCTAssertNoThrow(try widest.withUnsafeBytes { try LoRABlockHeader(parsing: $0, block: 0) })
    }

    func testOneShiftPerBlock() {
        // Rows keep 16 significant bits relative to the block's largest change.
        let rows = [LoRARowMultiplier(multiplier: 40_000, shift: 21), LoRARowMultiplier(multiplier: 50_001, shift: 23),
                    LoRARowMultiplier(multiplier: 0, shift: 1)]
        XCTAssertEqual(FixedPoint.sharedShift(rows), [LoRARowMultiplier(multiplier: 40_000, shift: 21),
                                                      LoRARowMultiplier(multiplier: 12_500, shift: 21),   // 50001 / 4 = 12500.25
                                                      LoRARowMultiplier(multiplier: 0, shift: 21)])
        XCTAssertEqual(FixedPoint.sharedShift([LoRARowMultiplier(multiplier: 0, shift: 1)]), [LoRARowMultiplier(multiplier: 0, shift: 1)])
        // One m per block from its largest ratio; every row's R fits a byte and never exceeds its wanted ratio.
        let m = FixedPoint.ratioShift(largest: 0.69)
        XCTAssertEqual(m, 8)                                           // ⌊0.69 · 256⌋ = 176
        for wanted in [0.69, 0.5, 0.33, 127.0 / 461.0, 0.001] {
            let r = FixedPoint.ratio(wanted, shift: m)
            XCTAssertLessThanOrEqual(r, 255)
            XCTAssertLessThanOrEqual(Double(r) / 256, max(wanted, 1.0 / 256))
            XCTAssertGreaterThan(Double(r + 1) / 256, wanted)
        }
        XCTAssertEqual(FixedPoint.ratioShift(largest: 1e-20), 54)
    }

    func testFixedPointChoices() throws {
        let m = try XCTUnwrap(FixedPoint.multiplier(0.038147))
        XCTAssertTrue((32_768 ..< 65_536).contains(Int(m.multiplier)))
        XCTAssertEqual(Double(m.multiplier) / pow(2, Double(m.shift)), 0.038147, accuracy: 1e-6)
        XCTAssertEqual(FixedPoint.multiplier(0), LoRARowMultiplier(multiplier: 0, shift: 1))
        XCTAssertNil(FixedPoint.multiplier(1e6))
        let shift = FixedPoint.ratioShift(largest: 127.0 / 461.0)
        let ratio = FixedPoint.ratio(127.0 / 461.0, shift: shift)
        XCTAssertLessThanOrEqual(461 * Double(ratio) / pow(2, Double(shift)), 127)
        XCTAssertGreaterThan(461 * Double(ratio) / pow(2, Double(shift)), 126.5)
    }
}
