// SHA-256 (FIPS 180-4) for host and device.
//
// Standard library only, no heap: the whole hasher state (8 chaining words, one
// 64-byte block buffer and two counters) lives inline in the value, about 112 bytes.
// Builds unchanged with Embedded Swift.

/// A 32-byte digest (SHA-256 output), stored inline (no heap).
///
/// The bytes are kept in memory order: `withUnsafeBytes` hands out exactly the
/// 32 bytes given to `init(bytes:)` (or produced by `SHA256.finalize()`), on any
/// host byte order.
public struct Digest32: Equatable, Sendable {
    /// The 32 bytes in memory order (a homogeneous tuple is laid out contiguously).
    @usableFromInline
    internal var storage: (UInt64, UInt64, UInt64, UInt64)

    @inlinable
    internal init(storage: (UInt64, UInt64, UInt64, UInt64)) {
        self.storage = storage
    }

    /// All 32 bytes zero.
    public static let zero = Digest32(storage: (0, 0, 0, 0))

    /// Copies 32 bytes. Traps unless `bytes.count == 32`.
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32, "Digest32 needs exactly 32 bytes")
        storage = (
            bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
        )
    }

    /// Number of bytes in a digest (always 32).
    @inlinable
    public var count: Int { 32 }

    /// Calls `body` with a view of the 32 digest bytes, valid only during the call.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        var copy = storage
        return try Swift.withUnsafeBytes(of: &copy) { (raw: UnsafeRawBufferPointer) throws(E) -> R in
            try body(raw)
        }
    }

    /// Byte `i` (0..<32) of the digest. Traps when out of range.
    @inlinable
    public subscript(i: Int) -> UInt8 {
        precondition(i >= 0 && i < 32, "Digest32 index out of range")
        return withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> UInt8 in raw[i] }
    }

    public static func == (lhs: Digest32, rhs: Digest32) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
            && lhs.storage.2 == rhs.storage.2 && lhs.storage.3 == rhs.storage.3
    }
}

#if !hasFeature(Embedded)
// Host only (dictionary keys, sets): on the device, Hasher would pull in a random seed source.
extension Digest32: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}
#endif

/// Incremental SHA-256.
///
/// ```
/// var h = SHA256()
/// h.update(chunk)          // any number of times, any chunk sizes
/// h.update(byte: 0x2a)     // single bytes are buffered
/// let d = h.finalize()     // the hasher is reset afterwards
/// ```
public struct SHA256: Sendable {
    /// Chaining value H0...H7.
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    /// Partial block (64 bytes), filled from the front.
    private var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    /// Bytes currently held in `block` (0..<64).
    private var blockFill: Int
    /// Number of 64-byte blocks already compressed.
    private var blocksDone: UInt64

    private static let initialState: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )

    /// A fresh hasher.
    public init() {
        state = SHA256.initialState
        block = (0, 0, 0, 0, 0, 0, 0, 0)
        blockFill = 0
        blocksDone = 0
    }

    /// SHA-256 of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest32 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Absorbs one byte (buffered; compresses when a block is full).
    public mutating func update(byte: UInt8) {
        let fill = blockFill
        Swift.withUnsafeMutableBytes(of: &block) { raw in
            raw[fill] = byte
        }
        if fill == 63 {
            compressBufferedBlock()
            blockFill = 0
        } else {
            blockFill = fill + 1
        }
    }

    /// Absorbs `bytes`. Full blocks are compressed straight from `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var src = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count

        // Top up a partial block first.
        if blockFill > 0 {
            let take = min(64 - blockFill, remaining)
            let fill = blockFill
            Swift.withUnsafeMutableBytes(of: &block) { raw in
                raw.baseAddress!.advanced(by: fill).copyMemory(from: src, byteCount: take)
            }
            blockFill += take
            src += take
            remaining -= take
            if blockFill < 64 { return }
            compressBufferedBlock()
            blockFill = 0
        }

        // Whole blocks, read in place.
        if remaining >= 64 {
            let blocks = remaining / 64
            SHA256.compress(&state, src, blocks: blocks)
            blocksDone &+= UInt64(truncatingIfNeeded: blocks)
            src += blocks * 64
            remaining -= blocks * 64
        }

        // Keep the tail.
        if remaining > 0 {
            let tail = remaining
            Swift.withUnsafeMutableBytes(of: &block) { raw in
                raw.baseAddress!.copyMemory(from: src, byteCount: tail)
            }
            blockFill = tail
        }
    }

    /// Pads, returns the digest of everything absorbed, and resets the hasher to
    /// its initial state (so it can be reused for a new message).
    public mutating func finalize() -> Digest32 {
        let messageBits = (blocksDone &* 64 &+ UInt64(truncatingIfNeeded: blockFill)) &* 8
        update(byte: 0x80)
        while blockFill != 56 {
            update(byte: 0)
        }
        var shift: UInt64 = 56
        for _ in 0..<8 {
            update(byte: UInt8(truncatingIfNeeded: messageBits >> shift))
            shift &-= 8
        }
        // blockFill is 0 again here: the length completed the last block.
        var out = (
            state.0.bigEndian, state.1.bigEndian, state.2.bigEndian, state.3.bigEndian,
            state.4.bigEndian, state.5.bigEndian, state.6.bigEndian, state.7.bigEndian
        )
        let digest = Swift.withUnsafeBytes(of: &out) { raw in Digest32(bytes: raw) }
        self = SHA256()
        return digest
    }

    // MARK: - Compression

    private mutating func compressBufferedBlock() {
        var copy = block
        Swift.withUnsafeBytes(of: &copy) { raw in
            SHA256.compress(&state, raw.baseAddress!, blocks: 1)
        }
        blocksDone &+= 1
    }

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x &>> n) | (x &<< (32 &- n))
    }

    /// One SHA-256 round. Called with the eight working variables rotated by one
    /// position each round, so no variable has to be moved.
    @inline(__always)
    private static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32,
        _ kw: UInt32
    ) {
        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
        let ch = (e & f) ^ (~e & g)
        let t1 = h &+ s1 &+ ch &+ kw
        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        let maj = (a & b) | (c & (a | b))
        d = d &+ t1
        h = t1 &+ s0 &+ maj
    }

    /// Message-schedule word `i` (16...63), computed in a 16-word ring.
    @inline(__always)
    private static func schedule(_ w: UnsafeMutablePointer<UInt32>, _ i: Int) -> UInt32 {
        let x15 = w[(i &- 15) & 15]
        let x2 = w[(i &- 2) & 15]
        let s0 = rotr(x15, 7) ^ rotr(x15, 18) ^ (x15 &>> 3)
        let s1 = rotr(x2, 17) ^ rotr(x2, 19) ^ (x2 &>> 10)
        let v = w[i & 15] &+ s0 &+ w[(i &- 7) & 15] &+ s1
        w[i & 15] = v
        return v
    }

    /// Compresses `blocks` consecutive 64-byte blocks starting at `data`.
    private static func compress(
        _ state: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
        _ data: UnsafeRawPointer,
        blocks: Int
    ) {
        var ring: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                   UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafePointer(to: roundConstants) { kTuple in
            let k = UnsafeRawPointer(kTuple).assumingMemoryBound(to: UInt32.self)
            Swift.withUnsafeMutableBytes(of: &ring) { ringRaw in
                let w = ringRaw.baseAddress!.assumingMemoryBound(to: UInt32.self)
                var p = data
                for _ in 0..<blocks {
                    var a = state.0, b = state.1, c = state.2, d = state.3
                    var e = state.4, f = state.5, g = state.6, h = state.7

                    var i = 0
                    while i < 16 {
                        for j in 0..<8 {
                            w[i + j] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * (i + j), as: UInt32.self))
                        }
                        round(a, b, c, &d, e, f, g, &h, k[i] &+ w[i])
                        round(h, a, b, &c, d, e, f, &g, k[i + 1] &+ w[i + 1])
                        round(g, h, a, &b, c, d, e, &f, k[i + 2] &+ w[i + 2])
                        round(f, g, h, &a, b, c, d, &e, k[i + 3] &+ w[i + 3])
                        round(e, f, g, &h, a, b, c, &d, k[i + 4] &+ w[i + 4])
                        round(d, e, f, &g, h, a, b, &c, k[i + 5] &+ w[i + 5])
                        round(c, d, e, &f, g, h, a, &b, k[i + 6] &+ w[i + 6])
                        round(b, c, d, &e, f, g, h, &a, k[i + 7] &+ w[i + 7])
                        i += 8
                    }
                    while i < 64 {
                        round(a, b, c, &d, e, f, g, &h, k[i] &+ schedule(w, i))
                        round(h, a, b, &c, d, e, f, &g, k[i + 1] &+ schedule(w, i + 1))
                        round(g, h, a, &b, c, d, e, &f, k[i + 2] &+ schedule(w, i + 2))
                        round(f, g, h, &a, b, c, d, &e, k[i + 3] &+ schedule(w, i + 3))
                        round(e, f, g, &h, a, b, c, &d, k[i + 4] &+ schedule(w, i + 4))
                        round(d, e, f, &g, h, a, b, &c, k[i + 5] &+ schedule(w, i + 5))
                        round(c, d, e, &f, g, h, a, &b, k[i + 6] &+ schedule(w, i + 6))
                        round(b, c, d, &e, f, g, h, &a, k[i + 7] &+ schedule(w, i + 7))
                        i += 8
                    }

                    state.0 &+= a; state.1 &+= b; state.2 &+= c; state.3 &+= d
                    state.4 &+= e; state.5 &+= f; state.6 &+= g; state.7 &+= h
                    p += 64
                }
            }
        }
    }

    /// FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots
    /// of the first 64 primes.
    private static let roundConstants: (
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32
    ) = (
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2
    )
}
