// Arithmetic in GF(p), p = 2^255 - 19 (RFC 7748 §4.1, RFC 8032 §5.1), for the
// device's Ed25519 verifier.
//
// An element is ten signed limbs, alternately 26 and 25 bits wide (radix 2^25.5):
// value = Σ v[i]·2^⌈25.5·i⌉. On a Cortex-M4 every limb product is one 32×32→64
// multiply (SMULL/SMLAL) and an element is 40 bytes. Standard library only, no heap.
// Not constant time: it only ever handles public data (signature verification).
//
// Limb bounds, which keep every Int32 and Int64 below in range:
//  - "carried": |v[even]| ≤ 2^25, |v[odd]| ≤ 2^24 (+ 2^16 for v[1]). Every product,
//    square, `reduced()` and decoded element is carried.
//  - `*` and `squared()` accept inputs up to 3 × carried (a sum or difference of at
//    most three carried elements): 19·3·2^25 < 2^31, and each of the ten 64-bit
//    column sums stays below 2^61.
//  - `+` and `-` do not carry; call `reduced()` before exceeding 3 × carried.

/// An element of GF(2^255 - 19) in ten signed limbs of 26, 25, 26, ... bits.
struct Field25519 {
    /// Limbs, least significant first: bit widths 26, 25, 26, 25, ...
    var v: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32)

    @inline(__always)
    init(_ v0: Int32, _ v1: Int32, _ v2: Int32, _ v3: Int32, _ v4: Int32,
         _ v5: Int32, _ v6: Int32, _ v7: Int32, _ v8: Int32, _ v9: Int32) {
        v = (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9)
    }

    static let zero = Field25519(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    static let one = Field25519(1, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    // Curve constants in carried form (computed from their definitions in
    // RFC 8032 §5.1: d = -121665/121666, sqrt(-1) = 2^((p-1)/4)).
    /// d = 37095705934669439343138083508754565189542113879843219016388785533085940283555
    static let d = Field25519(-10913610, 13857413, -15372611, 6949391, 114729, -8787816, -6275908, -3247719, -18696448, -12055116)
    /// d2 = 16295367250680780974490674513165176452449235426866156013048779062215315747161
    static let d2 = Field25519(-21827239, -5839606, -30745221, 13898782, 229458, 15978800, -12551817, -6495438, 29715968, 9444199)
    /// sqrtMinusOne = 19681161376707505956807079304988542015446066515923890162744021073123829784752
    static let sqrtMinusOne = Field25519(-32595792, -7943725, 9377950, 3500415, 12389472, -272473, -25146209, -2005654, 326686, 11406482)

    // MARK: - Encoding
    //
    // Encoding and decoding work on 64-bit words by value, never by writing a local
    // through a pointer: Swift 6.3.1 -O can drop the copy of a local tuple whose
    // bytes were written through a pointer when the copy is then read through a
    // pointer (see Ed25519Verifier.swift).

    /// Decodes 32 little-endian bytes, ignoring bit 255 (the caller checks
    /// canonicity and the sign bit itself). Traps unless `bytes.count >= 32`.
    init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= 32, "Field25519 needs 32 bytes")
        self.init(littleEndianWords: (
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        ))
    }

    /// Decodes the 256-bit integer w.0 + w.1·2^64 + w.2·2^128 + w.3·2^192,
    /// ignoring bit 255. Limb i holds bits ⌈25.5i⌉ ..< ⌈25.5(i+1)⌉.
    init(littleEndianWords w: (UInt64, UInt64, UInt64, UInt64)) {
        let mask26: UInt64 = (1 &<< 26) &- 1
        let mask25: UInt64 = (1 &<< 25) &- 1
        @inline(__always) func limb(_ x: UInt64, _ mask: UInt64) -> Int32 {
            Int32(truncatingIfNeeded: x & mask)
        }
        self.init(
            limb(w.0, mask26),                              // bits   0 ..<  26
            limb(w.0 &>> 26, mask25),                       // bits  26 ..<  51
            limb(w.0 &>> 51 | w.1 &<< 13, mask26),          // bits  51 ..<  77
            limb(w.1 &>> 13, mask25),                       // bits  77 ..< 102
            limb(w.1 &>> 38, mask26),                       // bits 102 ..< 128
            limb(w.2, mask25),                              // bits 128 ..< 153
            limb(w.2 &>> 25, mask26),                       // bits 153 ..< 179
            limb(w.2 &>> 51 | w.3 &<< 13, mask25),          // bits 179 ..< 204
            limb(w.3 &>> 12, mask26),                       // bits 204 ..< 230
            limb(w.3 &>> 38, mask25)                        // bits 230 ..< 255
        )
        self = reduced()
    }

    /// The canonical value (the unique representative in 0..<p) as four 64-bit
    /// words, least significant first.
    var canonicalWords: (UInt64, UInt64, UInt64, UInt64) {
        var h0 = Int64(v.0), h1 = Int64(v.1), h2 = Int64(v.2), h3 = Int64(v.3), h4 = Int64(v.4)
        var h5 = Int64(v.5), h6 = Int64(v.6), h7 = Int64(v.7), h8 = Int64(v.8), h9 = Int64(v.9)
        // Floor carries leave limb i in [0, 2^width); the carry out of limb 9 wraps
        // to limb 0 times 19 (2^255 ≡ 19). Three passes bring any input within
        // 4 × carried to a value in [0, 2^255).
        @inline(__always) func carry(_ from: inout Int64, _ to: inout Int64, _ width: Int64) {
            let c = from &>> width
            from &-= c &<< width
            to &+= c
        }
        for _ in 0..<3 {
            carry(&h0, &h1, 26); carry(&h1, &h2, 25); carry(&h2, &h3, 26); carry(&h3, &h4, 25)
            carry(&h4, &h5, 26); carry(&h5, &h6, 25); carry(&h6, &h7, 26); carry(&h7, &h8, 25)
            carry(&h8, &h9, 26)
            let c9 = h9 &>> 25
            h9 &-= c9 &<< 25
            h0 &+= 19 &* c9
        }
        // The value is ≥ p exactly when value + 19 ≥ 2^255; q is that carry out.
        var q = (h0 &+ 19) &>> 26
        q = (h1 &+ q) &>> 25; q = (h2 &+ q) &>> 26; q = (h3 &+ q) &>> 25; q = (h4 &+ q) &>> 26
        q = (h5 &+ q) &>> 25; q = (h6 &+ q) &>> 26; q = (h7 &+ q) &>> 25; q = (h8 &+ q) &>> 26
        q = (h9 &+ q) &>> 25
        // Subtract q·p = q·2^255 - 19q: add 19q, carry, drop bit 255.
        h0 &+= 19 &* q
        carry(&h0, &h1, 26); carry(&h1, &h2, 25); carry(&h2, &h3, 26); carry(&h3, &h4, 25)
        carry(&h4, &h5, 26); carry(&h5, &h6, 25); carry(&h6, &h7, 26); carry(&h7, &h8, 25)
        carry(&h8, &h9, 26)
        h9 &= (1 &<< 25) &- 1
        // Pack the 255 bits.
        let l0 = UInt64(bitPattern: h0), l1 = UInt64(bitPattern: h1), l2 = UInt64(bitPattern: h2)
        let l3 = UInt64(bitPattern: h3), l4 = UInt64(bitPattern: h4), l5 = UInt64(bitPattern: h5)
        let l6 = UInt64(bitPattern: h6), l7 = UInt64(bitPattern: h7), l8 = UInt64(bitPattern: h8)
        let l9 = UInt64(bitPattern: h9)
        return (l0 | l1 &<< 26 | l2 &<< 51,
                l2 &>> 13 | l3 &<< 13 | l4 &<< 38,
                l5 | l6 &<< 25 | l7 &<< 51,
                l7 &>> 13 | l8 &<< 12 | l9 &<< 38)
    }

    /// The canonical 32-byte encoding (little endian, bit 255 clear), held as
    /// words in memory order.
    func encoded() -> Bytes32 {
        let w = canonicalWords
        return (w.0.littleEndian, w.1.littleEndian, w.2.littleEndian, w.3.littleEndian)
    }

    /// True when the element is 0 mod p.
    var isZero: Bool {
        let w = canonicalWords
        return (w.0 | w.1 | w.2 | w.3) == 0
    }

    /// True when the canonical value is odd (RFC 8032 calls this the sign of x).
    var isNegative: Bool {
        canonicalWords.0 & 1 == 1
    }

    /// Equality mod p.
    func equals(_ other: Field25519) -> Bool {
        let a = canonicalWords
        let b = other.canonicalWords
        return a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && a.3 == b.3
    }

    /// True when the 32 bytes, with bit 255 cleared, encode an integer ≥ p
    /// (a non-canonical field element: 2^255 - 19 ... 2^255 - 1).
    static func isNonCanonical(_ bytes: UnsafeRawBufferPointer) -> Bool {
        precondition(bytes.count >= 32, "Field25519 needs 32 bytes")
        guard bytes[31] & 0x7f == 0x7f, bytes[0] >= 0xed else { return false }
        for i in 1..<31 where bytes[i] != 0xff {
            return false
        }
        return true
    }

    // MARK: - Additive operations (no carry)

    static func + (a: Field25519, b: Field25519) -> Field25519 {
        Field25519(a.v.0 &+ b.v.0, a.v.1 &+ b.v.1, a.v.2 &+ b.v.2, a.v.3 &+ b.v.3, a.v.4 &+ b.v.4,
                   a.v.5 &+ b.v.5, a.v.6 &+ b.v.6, a.v.7 &+ b.v.7, a.v.8 &+ b.v.8, a.v.9 &+ b.v.9)
    }

    static func - (a: Field25519, b: Field25519) -> Field25519 {
        Field25519(a.v.0 &- b.v.0, a.v.1 &- b.v.1, a.v.2 &- b.v.2, a.v.3 &- b.v.3, a.v.4 &- b.v.4,
                   a.v.5 &- b.v.5, a.v.6 &- b.v.6, a.v.7 &- b.v.7, a.v.8 &- b.v.8, a.v.9 &- b.v.9)
    }

    static prefix func - (a: Field25519) -> Field25519 {
        Field25519.zero - a
    }

    /// The same value with carried limbs.
    func reduced() -> Field25519 {
        Field25519.carry(Int64(v.0), Int64(v.1), Int64(v.2), Int64(v.3), Int64(v.4),
                         Int64(v.5), Int64(v.6), Int64(v.7), Int64(v.8), Int64(v.9))
    }

    /// Carries 64-bit column sums (each below 2^62 in magnitude) into a carried
    /// element: rounding carries 0 → 1 → … → 9, 9 → 0 (times 19), then 0 → 1 again.
    private static func carry(
        _ h0: Int64, _ h1: Int64, _ h2: Int64, _ h3: Int64, _ h4: Int64,
        _ h5: Int64, _ h6: Int64, _ h7: Int64, _ h8: Int64, _ h9: Int64
    ) -> Field25519 {
        var h0 = h0, h1 = h1, h2 = h2, h3 = h3, h4 = h4, h5 = h5, h6 = h6, h7 = h7, h8 = h8, h9 = h9
        let half26: Int64 = 1 &<< 25
        let half25: Int64 = 1 &<< 24
        var c: Int64
        c = (h0 &+ half26) &>> 26; h1 &+= c; h0 &-= c &<< 26
        c = (h1 &+ half25) &>> 25; h2 &+= c; h1 &-= c &<< 25
        c = (h2 &+ half26) &>> 26; h3 &+= c; h2 &-= c &<< 26
        c = (h3 &+ half25) &>> 25; h4 &+= c; h3 &-= c &<< 25
        c = (h4 &+ half26) &>> 26; h5 &+= c; h4 &-= c &<< 26
        c = (h5 &+ half25) &>> 25; h6 &+= c; h5 &-= c &<< 25
        c = (h6 &+ half26) &>> 26; h7 &+= c; h6 &-= c &<< 26
        c = (h7 &+ half25) &>> 25; h8 &+= c; h7 &-= c &<< 25
        c = (h8 &+ half26) &>> 26; h9 &+= c; h8 &-= c &<< 26
        c = (h9 &+ half25) &>> 25; h0 &+= 19 &* c; h9 &-= c &<< 25
        c = (h0 &+ half26) &>> 26; h1 &+= c; h0 &-= c &<< 26
        return Field25519(
            Int32(truncatingIfNeeded: h0), Int32(truncatingIfNeeded: h1), Int32(truncatingIfNeeded: h2),
            Int32(truncatingIfNeeded: h3), Int32(truncatingIfNeeded: h4), Int32(truncatingIfNeeded: h5),
            Int32(truncatingIfNeeded: h6), Int32(truncatingIfNeeded: h7), Int32(truncatingIfNeeded: h8),
            Int32(truncatingIfNeeded: h9))
    }

    // MARK: - Multiplicative operations (carried results)

    /// Product mod p. Limb i of a times limb j of b lands at limb i+j; when i and j
    /// are both odd it lands one bit above (weights ⌈25.5i⌉ + ⌈25.5j⌉ = ⌈25.5(i+j)⌉ + 1),
    /// and at or beyond limb 10 it wraps to limb i+j-10 times 19 (2^255 ≡ 19).
    static func * (a: Field25519, b: Field25519) -> Field25519 {
        let f0 = a.v.0, f1 = a.v.1, f2 = a.v.2, f3 = a.v.3, f4 = a.v.4
        let f5 = a.v.5, f6 = a.v.6, f7 = a.v.7, f8 = a.v.8, f9 = a.v.9
        // Odd limbs doubled: an odd×odd product lands one bit above its slot.
        let f1x2 = 2 &* a.v.1, f3x2 = 2 &* a.v.3, f5x2 = 2 &* a.v.5
        let f7x2 = 2 &* a.v.7, f9x2 = 2 &* a.v.9
        let g0 = b.v.0, g1 = b.v.1, g2 = b.v.2, g3 = b.v.3, g4 = b.v.4
        let g5 = b.v.5, g6 = b.v.6, g7 = b.v.7, g8 = b.v.8, g9 = b.v.9
        // Products at or above 2^255 wrap around times 19.
        let g1x19 = 19 &* b.v.1, g2x19 = 19 &* b.v.2, g3x19 = 19 &* b.v.3
        let g4x19 = 19 &* b.v.4, g5x19 = 19 &* b.v.5, g6x19 = 19 &* b.v.6
        let g7x19 = 19 &* b.v.7, g8x19 = 19 &* b.v.8, g9x19 = 19 &* b.v.9
        var h0 = m(f0, g0)
        h0 &+= m(f1x2, g9x19)
        h0 &+= m(f2, g8x19)
        h0 &+= m(f3x2, g7x19)
        h0 &+= m(f4, g6x19)
        h0 &+= m(f5x2, g5x19)
        h0 &+= m(f6, g4x19)
        h0 &+= m(f7x2, g3x19)
        h0 &+= m(f8, g2x19)
        h0 &+= m(f9x2, g1x19)
        var h1 = m(f0, g1)
        h1 &+= m(f1, g0)
        h1 &+= m(f2, g9x19)
        h1 &+= m(f3, g8x19)
        h1 &+= m(f4, g7x19)
        h1 &+= m(f5, g6x19)
        h1 &+= m(f6, g5x19)
        h1 &+= m(f7, g4x19)
        h1 &+= m(f8, g3x19)
        h1 &+= m(f9, g2x19)
        var h2 = m(f0, g2)
        h2 &+= m(f1x2, g1)
        h2 &+= m(f2, g0)
        h2 &+= m(f3x2, g9x19)
        h2 &+= m(f4, g8x19)
        h2 &+= m(f5x2, g7x19)
        h2 &+= m(f6, g6x19)
        h2 &+= m(f7x2, g5x19)
        h2 &+= m(f8, g4x19)
        h2 &+= m(f9x2, g3x19)
        var h3 = m(f0, g3)
        h3 &+= m(f1, g2)
        h3 &+= m(f2, g1)
        h3 &+= m(f3, g0)
        h3 &+= m(f4, g9x19)
        h3 &+= m(f5, g8x19)
        h3 &+= m(f6, g7x19)
        h3 &+= m(f7, g6x19)
        h3 &+= m(f8, g5x19)
        h3 &+= m(f9, g4x19)
        var h4 = m(f0, g4)
        h4 &+= m(f1x2, g3)
        h4 &+= m(f2, g2)
        h4 &+= m(f3x2, g1)
        h4 &+= m(f4, g0)
        h4 &+= m(f5x2, g9x19)
        h4 &+= m(f6, g8x19)
        h4 &+= m(f7x2, g7x19)
        h4 &+= m(f8, g6x19)
        h4 &+= m(f9x2, g5x19)
        var h5 = m(f0, g5)
        h5 &+= m(f1, g4)
        h5 &+= m(f2, g3)
        h5 &+= m(f3, g2)
        h5 &+= m(f4, g1)
        h5 &+= m(f5, g0)
        h5 &+= m(f6, g9x19)
        h5 &+= m(f7, g8x19)
        h5 &+= m(f8, g7x19)
        h5 &+= m(f9, g6x19)
        var h6 = m(f0, g6)
        h6 &+= m(f1x2, g5)
        h6 &+= m(f2, g4)
        h6 &+= m(f3x2, g3)
        h6 &+= m(f4, g2)
        h6 &+= m(f5x2, g1)
        h6 &+= m(f6, g0)
        h6 &+= m(f7x2, g9x19)
        h6 &+= m(f8, g8x19)
        h6 &+= m(f9x2, g7x19)
        var h7 = m(f0, g7)
        h7 &+= m(f1, g6)
        h7 &+= m(f2, g5)
        h7 &+= m(f3, g4)
        h7 &+= m(f4, g3)
        h7 &+= m(f5, g2)
        h7 &+= m(f6, g1)
        h7 &+= m(f7, g0)
        h7 &+= m(f8, g9x19)
        h7 &+= m(f9, g8x19)
        var h8 = m(f0, g8)
        h8 &+= m(f1x2, g7)
        h8 &+= m(f2, g6)
        h8 &+= m(f3x2, g5)
        h8 &+= m(f4, g4)
        h8 &+= m(f5x2, g3)
        h8 &+= m(f6, g2)
        h8 &+= m(f7x2, g1)
        h8 &+= m(f8, g0)
        h8 &+= m(f9x2, g9x19)
        var h9 = m(f0, g9)
        h9 &+= m(f1, g8)
        h9 &+= m(f2, g7)
        h9 &+= m(f3, g6)
        h9 &+= m(f4, g5)
        h9 &+= m(f5, g4)
        h9 &+= m(f6, g3)
        h9 &+= m(f7, g2)
        h9 &+= m(f8, g1)
        h9 &+= m(f9, g0)
        return Field25519.carry(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9)
    }

    /// Square mod p (the product with itself, symmetric terms merged).
    func squared() -> Field25519 {
        let a = self
        let f0 = a.v.0, f1 = a.v.1, f2 = a.v.2, f3 = a.v.3, f4 = a.v.4
        let f5 = a.v.5, f6 = a.v.6, f7 = a.v.7, f8 = a.v.8, f9 = a.v.9
        let f0x2 = 2 &* a.v.0
        let f1x2 = 2 &* a.v.1
        let f2x2 = 2 &* a.v.2
        let f3x2 = 2 &* a.v.3
        let f4x2 = 2 &* a.v.4
        let f5x2 = 2 &* a.v.5
        let f6x2 = 2 &* a.v.6
        let f7x2 = 2 &* a.v.7
        let f8x2 = 2 &* a.v.8
        let f9x2 = 2 &* a.v.9
        let f1x4 = 4 &* a.v.1
        let f3x4 = 4 &* a.v.3
        let f5x4 = 4 &* a.v.5
        let f7x4 = 4 &* a.v.7
        let f5x19 = 19 &* a.v.5
        let f6x19 = 19 &* a.v.6
        let f7x19 = 19 &* a.v.7
        let f8x19 = 19 &* a.v.8
        let f9x19 = 19 &* a.v.9
        var h0 = m(f0, f0)
        h0 &+= m(f1x4, f9x19)
        h0 &+= m(f2x2, f8x19)
        h0 &+= m(f3x4, f7x19)
        h0 &+= m(f4x2, f6x19)
        h0 &+= m(f5x2, f5x19)
        var h1 = m(f0x2, f1)
        h1 &+= m(f2x2, f9x19)
        h1 &+= m(f3x2, f8x19)
        h1 &+= m(f4x2, f7x19)
        h1 &+= m(f5x2, f6x19)
        var h2 = m(f0x2, f2)
        h2 &+= m(f1x2, f1)
        h2 &+= m(f3x4, f9x19)
        h2 &+= m(f4x2, f8x19)
        h2 &+= m(f5x4, f7x19)
        h2 &+= m(f6, f6x19)
        var h3 = m(f0x2, f3)
        h3 &+= m(f1x2, f2)
        h3 &+= m(f4x2, f9x19)
        h3 &+= m(f5x2, f8x19)
        h3 &+= m(f6x2, f7x19)
        var h4 = m(f0x2, f4)
        h4 &+= m(f1x4, f3)
        h4 &+= m(f2, f2)
        h4 &+= m(f5x4, f9x19)
        h4 &+= m(f6x2, f8x19)
        h4 &+= m(f7x2, f7x19)
        var h5 = m(f0x2, f5)
        h5 &+= m(f1x2, f4)
        h5 &+= m(f2x2, f3)
        h5 &+= m(f6x2, f9x19)
        h5 &+= m(f7x2, f8x19)
        var h6 = m(f0x2, f6)
        h6 &+= m(f1x4, f5)
        h6 &+= m(f2x2, f4)
        h6 &+= m(f3x2, f3)
        h6 &+= m(f7x4, f9x19)
        h6 &+= m(f8, f8x19)
        var h7 = m(f0x2, f7)
        h7 &+= m(f1x2, f6)
        h7 &+= m(f2x2, f5)
        h7 &+= m(f3x2, f4)
        h7 &+= m(f8x2, f9x19)
        var h8 = m(f0x2, f8)
        h8 &+= m(f1x4, f7)
        h8 &+= m(f2x2, f6)
        h8 &+= m(f3x4, f5)
        h8 &+= m(f4, f4)
        h8 &+= m(f9x2, f9x19)
        var h9 = m(f0x2, f9)
        h9 &+= m(f1x2, f8)
        h9 &+= m(f2x2, f7)
        h9 &+= m(f3x2, f6)
        h9 &+= m(f4x2, f5)
        return Field25519.carry(h0, h1, h2, h3, h4, h5, h6, h7, h8, h9)
    }

    /// Squares `n` times (self^(2^n)), n ≥ 1. Not inlined: keeps the exponentiation
    /// chains small in code and stack on the device.
    @inline(never)
    func squared(times n: Int) -> Field25519 {
        var x = squared()
        var i = 1
        while i < n {
            x = x.squared()
            i &+= 1
        }
        return x
    }

    /// self^(2^250 - 1) and self^11, the common part of the inversion and square
    /// root exponents. Addition chain: 254 squarings, 11 multiplications total.
    private func pow2to250minus1() -> (Field25519, Field25519) {
        let z2 = squared()                                  // 2
        let z9 = z2.squared(times: 2) * self                // 9
        let z11 = z9 * z2                                   // 11
        let z2to5 = z11.squared() * z9                      // 2^5 - 1 = 31
        let z2to10 = z2to5.squared(times: 5) * z2to5        // 2^10 - 1
        let z2to20 = z2to10.squared(times: 10) * z2to10     // 2^20 - 1
        let z2to40 = z2to20.squared(times: 20) * z2to20     // 2^40 - 1
        let z2to50 = z2to40.squared(times: 10) * z2to10     // 2^50 - 1
        let z2to100 = z2to50.squared(times: 50) * z2to50    // 2^100 - 1
        let z2to200 = z2to100.squared(times: 100) * z2to100 // 2^200 - 1
        let z2to250 = z2to200.squared(times: 50) * z2to50   // 2^250 - 1
        return (z2to250, z11)
    }

    /// The inverse, self^(p - 2) = self^(2^255 - 21) (0 maps to 0).
    func inverted() -> Field25519 {
        let (z2to250, z11) = pow2to250minus1()
        // (2^250 - 1)·2^5 + 11 = 2^255 - 21.
        return z2to250.squared(times: 5) * z11
    }

    /// self^((p - 5) / 8) = self^(2^252 - 3), for the square root in RFC 8032 §5.1.3.
    func powPminus5over8() -> Field25519 {
        let (z2to250, _) = pow2to250minus1()
        // (2^250 - 1)·4 + 1 = 2^252 - 3.
        return z2to250.squared(times: 2) * self
    }
}

/// The exact 64-bit product of two limbs: one SMULL on a Cortex-M4. (Spelled with
/// `multipliedFullWidth` because `Int64(Int32)` is not inlined under -Osize, which
/// turns every product into a generic 64 × 64-bit multiplication.)
@inline(__always)
private func m(_ a: Int32, _ b: Int32) -> Int64 {
    let product = a.multipliedFullWidth(by: b)
    return Int64(bitPattern: UInt64(UInt32(bitPattern: product.high)) &<< 32 | UInt64(product.low))
}

/// 32 bytes held inline in memory order (a homogeneous tuple is contiguous).
typealias Bytes32 = (UInt64, UInt64, UInt64, UInt64)
