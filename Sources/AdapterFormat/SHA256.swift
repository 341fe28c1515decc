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

    /// Whether the digest starts with `bytes` (at most 32 of them).
    public func starts(with bytes: UnsafeRawBufferPointer) -> Bool {
        withUnsafeBytes { (own: UnsafeRawBufferPointer) -> Bool in
            guard bytes.count <= 32 else { return false }
            for i in 0 ..< bytes.count where own[i] != bytes[i] { return false }
            return true
        }
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

    /// A fresh hasher. (Not inlined: every inlined copy stored the eight
    /// initial words and cleared the block in place.)
    @inline(never)
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
        // 0x80, zeros up to 56 mod 64, then the bit length big-endian, written
        // straight into the block (one more block when the length does not fit).
        let fill = blockFill
        Swift.withUnsafeMutableBytes(of: &block) { raw in
            raw[fill] = 0x80
            for i in fill + 1 ..< 64 { raw[i] = 0 }
        }
        if fill >= 56 {
            compressBufferedBlock()
            block = (0, 0, 0, 0, 0, 0, 0, 0)
        }
        Swift.withUnsafeMutableBytes(of: &block) { raw in
            raw.storeBytes(of: messageBits.bigEndian, toByteOffset: 56, as: UInt64.self)
        }
        compressBufferedBlock()
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
    ///
    /// The 64 rounds are a plain loop (the working variables shift by one each
    /// round), not unrolled: the device loader is measured in bytes of code.
    private static func compress(
        _ state: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
        _ data: UnsafeRawPointer,
        blocks: Int
    ) {
        var ring: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                   UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &ring) { ringRaw in
            let w = ringRaw.baseAddress!.assumingMemoryBound(to: UInt32.self)
            var p = data
            for _ in 0..<blocks {
                var a = state.0, b = state.1, c = state.2, d = state.3
                var e = state.4, f = state.5, g = state.6, h = state.7
                var i = 0
                while i < 64 {
                    let wi: UInt32
                    if i < 16 {
                        wi = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                        w[i] = wi
                    } else {
                        wi = schedule(w, i)
                    }
                    let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ ch &+ roundConstant(i) &+ wi
                    let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                    let maj = (a & b) | (c & (a | b))
                    h = g; g = f; f = e; e = d &+ t1
                    d = c; c = b; b = a; a = t1 &+ s0 &+ maj
                    i += 1
                }
                state.0 &+= a; state.1 &+= b; state.2 &+= c; state.3 &+= d
                state.4 &+= e; state.5 &+= f; state.6 &+= g; state.7 &+= h
                p += 64
            }
        }
    }

    /// FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots
    /// of the first 64 primes; `i` in 0...63. A switch, which LLVM turns into a
    /// constant table in read-only data: a tuple constant was rebuilt on the
    /// stack, word by word, by every call of `compress` (640 bytes of code), and
    /// a global array needs runtime metadata.
    @inline(__always)
    private static func roundConstant(_ i: Int) -> UInt32 {
        switch i {
        case 0: return 0x428a_2f98
        case 1: return 0x7137_4491
        case 2: return 0xb5c0_fbcf
        case 3: return 0xe9b5_dba5
        case 4: return 0x3956_c25b
        case 5: return 0x59f1_11f1
        case 6: return 0x923f_82a4
        case 7: return 0xab1c_5ed5
        case 8: return 0xd807_aa98
        case 9: return 0x1283_5b01
        case 10: return 0x2431_85be
        case 11: return 0x550c_7dc3
        case 12: return 0x72be_5d74
        case 13: return 0x80de_b1fe
        case 14: return 0x9bdc_06a7
        case 15: return 0xc19b_f174
        case 16: return 0xe49b_69c1
        case 17: return 0xefbe_4786
        case 18: return 0x0fc1_9dc6
        case 19: return 0x240c_a1cc
        case 20: return 0x2de9_2c6f
        case 21: return 0x4a74_84aa
        case 22: return 0x5cb0_a9dc
        case 23: return 0x76f9_88da
        case 24: return 0x983e_5152
        case 25: return 0xa831_c66d
        case 26: return 0xb003_27c8
        case 27: return 0xbf59_7fc7
        case 28: return 0xc6e0_0bf3
        case 29: return 0xd5a7_9147
        case 30: return 0x06ca_6351
        case 31: return 0x1429_2967
        case 32: return 0x27b7_0a85
        case 33: return 0x2e1b_2138
        case 34: return 0x4d2c_6dfc
        case 35: return 0x5338_0d13
        case 36: return 0x650a_7354
        case 37: return 0x766a_0abb
        case 38: return 0x81c2_c92e
        case 39: return 0x9272_2c85
        case 40: return 0xa2bf_e8a1
        case 41: return 0xa81a_664b
        case 42: return 0xc24b_8b70
        case 43: return 0xc76c_51a3
        case 44: return 0xd192_e819
        case 45: return 0xd699_0624
        case 46: return 0xf40e_3585
        case 47: return 0x106a_a070
        case 48: return 0x19a4_c116
        case 49: return 0x1e37_6c08
        case 50: return 0x2748_774c
        case 51: return 0x34b0_bcb5
        case 52: return 0x391c_0cb3
        case 53: return 0x4ed8_aa4a
        case 54: return 0x5b9c_ca4f
        case 55: return 0x682e_6ff3
        case 56: return 0x748f_82ee
        case 57: return 0x78a5_636f
        case 58: return 0x84c8_7814
        case 59: return 0x8cc7_0208
        case 60: return 0x90be_fffa
        case 61: return 0xa450_6ceb
        case 62: return 0xbef9_a3f7
        default: return 0xc671_78f2
        }
    }
}
