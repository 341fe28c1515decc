// Scalars modulo the order of the Ed25519 base point (RFC 8032 §5.1):
// L = 2^252 + 27742317777372353535851937790883648493.
//
// Verification needs only two operations: reduce a 512-bit SHA-512 output mod L
// and check that an encoded S is below L. Both are done on four 64-bit words
// with a bit-serial (shift, conditional subtract) reduction: 512 steps of a few
// word operations, negligible next to the scalar multiplication, and small in
// code. Values only, no pointers into locals (see Ed25519Verifier.swift);
// standard library only, no heap, not constant time.

/// A 256-bit unsigned integer in four 64-bit words, least significant first.
struct Scalar25519 {
    var w: (UInt64, UInt64, UInt64, UInt64)

    static let zero = Scalar25519(w: (0, 0, 0, 0))

    /// L, the prime order of the base point.
    static let order = Scalar25519(w: (0x5812_631a_5cf5_d3ed, 0x14de_f9de_a2f7_9cd6, 0, 0x1000_0000_0000_0000))

    init(w: (UInt64, UInt64, UInt64, UInt64)) {
        self.w = w
    }

    /// Reads 32 little-endian bytes as an integer in 0..<2^256 (not reduced).
    /// Traps unless `bytes.count >= 32`.
    init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= 32, "Scalar25519 needs 32 bytes")
        w = (UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
             UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
             UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
    }

    /// Bit `i` (0..<256).
    @inline(__always)
    func bit(_ i: Int) -> UInt64 {
        let word: UInt64
        switch i &>> 6 {
        case 0: word = w.0
        case 1: word = w.1
        case 2: word = w.2
        default: word = w.3
        }
        return (word &>> UInt64(i & 63)) & 1
    }

    /// True when self < other (both as unsigned 256-bit integers).
    func isLess(than other: Scalar25519) -> Bool {
        if w.3 != other.w.3 { return w.3 < other.w.3 }
        if w.2 != other.w.2 { return w.2 < other.w.2 }
        if w.1 != other.w.1 { return w.1 < other.w.1 }
        return w.0 < other.w.0
    }

    /// True when 32 little-endian bytes encode an integer below L: the range check
    /// on S that RFC 8032 §5.1.7 requires (it makes signatures non-malleable).
    static func isCanonical(_ bytes: UnsafeRawBufferPointer) -> Bool {
        Scalar25519(bytes: bytes).isLess(than: order)
    }

    /// The 64 little-endian bytes (a SHA-512 output, RFC 8032 §5.1.7 step 2)
    /// reduced mod L. Traps unless `bytes.count >= 64`.
    static func reducing(wide bytes: UnsafeRawBufferPointer) -> Scalar25519 {
        precondition(bytes.count >= 64, "Scalar25519.reducing needs 64 bytes")
        let high = Scalar25519(bytes: UnsafeRawBufferPointer(rebasing: bytes[32 ..< 64]))
        let low = Scalar25519(bytes: UnsafeRawBufferPointer(rebasing: bytes[0 ..< 32]))
        return reducing(high: high.w, low: low.w)
    }

    /// A SHA-512 digest, read as a 512-bit little-endian integer, reduced mod L.
    static func reducing(_ digest: Digest64) -> Scalar25519 {
        let s = digest.storage   // memory-order words
        return reducing(
            high: (UInt64(littleEndian: s.4), UInt64(littleEndian: s.5),
                   UInt64(littleEndian: s.6), UInt64(littleEndian: s.7)),
            low: (UInt64(littleEndian: s.0), UInt64(littleEndian: s.1),
                  UInt64(littleEndian: s.2), UInt64(littleEndian: s.3)))
    }

    /// (high·2^256 + low) mod L, most significant bit first: r ← 2r + bit, then
    /// r ← r - L if r ≥ L. r < L < 2^253 before each step, so 2r + 1 < 2^254 fits.
    private static func reducing(high: (UInt64, UInt64, UInt64, UInt64),
                                 low: (UInt64, UInt64, UInt64, UInt64)) -> Scalar25519 {
        let l = order.w
        var r0: UInt64 = 0, r1: UInt64 = 0, r2: UInt64 = 0, r3: UInt64 = 0
        for wordIndex in 0..<8 {
            let word: UInt64
            switch wordIndex {
            case 0: word = high.3
            case 1: word = high.2
            case 2: word = high.1
            case 3: word = high.0
            case 4: word = low.3
            case 5: word = low.2
            case 6: word = low.1
            default: word = low.0
            }
            var shift: UInt64 = 63
            for _ in 0..<64 {
                r3 = r3 &<< 1 | r2 &>> 63
                r2 = r2 &<< 1 | r1 &>> 63
                r1 = r1 &<< 1 | r0 &>> 63
                r0 = r0 &<< 1 | (word &>> shift) & 1
                // Trial subtraction; keep it when it does not borrow.
                let (d0, b0) = r0.subtractingReportingOverflow(l.0)
                let (t1, b1a) = r1.subtractingReportingOverflow(l.1)
                let (d1, b1b) = t1.subtractingReportingOverflow(b0 ? 1 : 0)
                let (t2, b2a) = r2.subtractingReportingOverflow(l.2)
                let (d2, b2b) = t2.subtractingReportingOverflow((b1a || b1b) ? 1 : 0)
                let (t3, b3a) = r3.subtractingReportingOverflow(l.3)
                let (d3, b3b) = t3.subtractingReportingOverflow((b2a || b2b) ? 1 : 0)
                if !(b3a || b3b) {
                    r0 = d0; r1 = d1; r2 = d2; r3 = d3
                }
                shift &-= 1
            }
        }
        return Scalar25519(w: (r0, r1, r2, r3))
    }
}
