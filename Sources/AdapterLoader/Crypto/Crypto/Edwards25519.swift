// The twisted Edwards curve edwards25519 (RFC 8032 §5.1):
//     -x^2 + y^2 = 1 + d·x^2·y^2 over GF(2^255 - 19), d = -121665/121666,
// in extended coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, x·y = T/Z.
//
// Only what verification needs: decoding with every RFC 8032 §5.1.3 check,
// encoding, the complete addition and doubling formulas of §5.1.4, and a
// double-scalar multiplication [s]B + [k]P. Standard library only, no heap,
// not constant time (all inputs are public). Stack use of the multiplication:
// three precomputed points (480 bytes) plus temporaries.

/// A point of edwards25519 in extended coordinates.
struct Edwards25519 {
    var x: Field25519
    var y: Field25519
    var z: Field25519
    var t: Field25519

    /// The neutral element (0, 1).
    static let identity = Edwards25519(x: .zero, y: .one, z: .one, t: .zero)

    /// The base point B (RFC 8032 §5.1: y = 4/5, x even), Z = 1. Its encoding is
    /// 0x58 followed by 31 bytes 0x66; the tests check that decoding it yields this.
    static let base = Edwards25519(
        x: Field25519(-14297830, -7645148, 16144683, -16471763, 27570974, -2696100, -26142465, 8378389, 20764389, 8758491),
        y: Field25519(-26843541, -6710886, 13421773, -13421773, 26843546, 6710886, -13421773, 13421773, -26843546, -6710886),
        z: .one,
        t: Field25519(28827062, -6116119, -27349572, 244363, 8635006, 11264893, 19351346, 13413597, 16611511, -6414980)
    )

    // MARK: - Encoding

    /// Decodes a 32-byte point encoding (RFC 8032 §5.1.3). Nil when the length is
    /// not 32, when y ≥ p (non-canonical), when x^2 = (y^2 - 1)/(d·y^2 + 1) has no
    /// square root, or when x = 0 but the sign bit is 1.
    static func decoding(_ bytes: UnsafeRawBufferPointer) -> Edwards25519? {
        guard bytes.count == 32, !Field25519.isNonCanonical(bytes) else { return nil }
        let sign = bytes[31] &>> 7
        let y = Field25519(bytes: bytes)
        let yy = y.squared()
        let u = yy - .one                        // y^2 - 1
        let v = Field25519.d * yy + .one         // d·y^2 + 1, never 0 (d is not a square)
        // Candidate root x = u·v^3·(u·v^7)^((p-5)/8).
        let v3 = v.squared() * v
        let v7 = v3.squared() * v
        var x = u * v3 * (u * v7).powPminus5over8()
        let vxx = v * x.squared()
        if vxx.equals(u) {
            // x is a root.
        } else if vxx.equals(-u) {
            x = x * Field25519.sqrtMinusOne
        } else {
            return nil
        }
        let xIsZero = x.isZero
        if xIsZero && sign == 1 {
            return nil
        }
        if x.isNegative != (sign == 1) {
            x = -x
        }
        return Edwards25519(x: x, y: y, z: .one, t: x * y)
    }

    /// The 32-byte encoding (RFC 8032 §5.1.2): y little endian, bit 255 = x mod 2.
    func encoded() -> Bytes32 {
        let zInverse = z.inverted()
        let affineX = x * zInverse
        let w = (y * zInverse).canonicalWords
        let sign: UInt64 = affineX.isNegative ? 1 &<< 63 : 0
        return (w.0.littleEndian, w.1.littleEndian, w.2.littleEndian, (w.3 | sign).littleEndian)
    }

    // MARK: - Group operations

    /// -P = (-x, y).
    var negated: Edwards25519 {
        Edwards25519(x: -x, y: y, z: z, t: -t)
    }

    /// A point prepared as the second operand of additions (RFC 8032 §5.1.4's
    /// addition with the parts that depend on it alone precomputed).
    struct Cached {
        var yPlusX: Field25519
        var yMinusX: Field25519
        var twoZ: Field25519
        var twoDT: Field25519
    }

    var cached: Cached {
        Cached(yPlusX: y + x, yMinusX: y - x, twoZ: z + z, twoDT: t * Field25519.d2)
    }

    /// P + Q (RFC 8032 §5.1.4, complete: valid for all inputs including P = Q and
    /// the identity). 8 multiplications. Not inlined: one copy on the device.
    @inline(never)
    static func + (p: Edwards25519, q: Cached) -> Edwards25519 {
        let a = (p.y - p.x) * q.yMinusX
        let b = (p.y + p.x) * q.yPlusX
        let c = p.t * q.twoDT
        let d = p.z * q.twoZ
        let e = b - a
        let f = d - c
        let g = d + c
        let h = b + a
        return Edwards25519(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// 2P (RFC 8032 §5.1.4 doubling; does not read T). 4 squarings, 4 multiplications.
    @inline(never)
    func doubled() -> Edwards25519 {
        let a = x.squared()
        let b = y.squared()
        let zz = z.squared()
        let c = zz + zz
        let h = a + b
        let e = h - (x + y).squared()
        let g = a - b
        let f = (c + g).reduced()   // c + g is up to 4 × carried: carry before multiplying
        return Edwards25519(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// [s]B + [k]P for the base point B, by joint double-and-add over the bits of
    /// s and k (Straus/Shamir) with the table B, P, B + P.
    static func doubleScalarMultiply(s: Scalar25519, k: Scalar25519, point: Edwards25519) -> Edwards25519 {
        let cachedB = base.cached
        let cachedP = point.cached
        let cachedBP = (base + cachedP).cached
        var top = 255
        while top >= 0 && (s.bit(top) | k.bit(top)) == 0 {
            top &-= 1
        }
        var acc = identity
        var i = top
        while i >= 0 {
            acc = acc.doubled()
            let bits = s.bit(i) | k.bit(i) &<< 1
            if bits != 0 {
                // One call site for the addition keeps the code small on the device.
                acc = acc + (bits == 1 ? cachedB : bits == 2 ? cachedP : cachedBP)
            }
            i &-= 1
        }
        return acc
    }
}
