// SHA-512 (FIPS 180-4 §6.4) for the device's Ed25519 verifier.
//
// Standard library only, no heap: the whole hasher state (8 chaining words, one
// 128-byte block buffer and two counters) lives inline in the value, about 208
// bytes. Builds unchanged with Embedded Swift.

/// A 64-byte digest (SHA-512 output), stored inline (no heap).
///
/// `withUnsafeBytes` hands out the 64 bytes in output order on any host byte order.
public struct Digest64: Equatable, Sendable {
    /// The 64 bytes in memory order (a homogeneous tuple is laid out contiguously).
    internal var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    internal init(storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)) {
        self.storage = storage
    }

    /// Number of bytes in a digest (always 64).
    public var count: Int { 64 }

    /// Calls `body` with a view of the 64 digest bytes, valid only during the call.
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        var copy = storage
        return try Swift.withUnsafeBytes(of: &copy) { (raw: UnsafeRawBufferPointer) throws(E) -> R in
            try body(raw)
        }
    }

    /// Byte `i` (0..<64) of the digest. Traps when out of range.
    public subscript(i: Int) -> UInt8 {
        precondition(i >= 0 && i < 64, "Digest64 index out of range")
        return withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> UInt8 in raw[i] }
    }

    public static func == (lhs: Digest64, rhs: Digest64) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
            && lhs.storage.2 == rhs.storage.2 && lhs.storage.3 == rhs.storage.3
            && lhs.storage.4 == rhs.storage.4 && lhs.storage.5 == rhs.storage.5
            && lhs.storage.6 == rhs.storage.6 && lhs.storage.7 == rhs.storage.7
    }
}

/// Incremental SHA-512.
///
/// ```
/// var h = SHA512()
/// h.update(chunk)          // any number of times, any chunk sizes
/// let d = h.finalize()     // the hasher is reset afterwards
/// ```
public struct SHA512: Sendable {
    private typealias Words8 = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    private typealias Words16 = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                 UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// Chaining value H0...H7.
    private var state: Words8
    /// Partial block (128 bytes), filled from the front.
    private var block: Words16
    /// Bytes currently held in `block` (0..<128).
    private var blockFill: Int
    /// Number of 128-byte blocks already compressed (messages stay far below 2^64 blocks).
    private var blocksDone: UInt64

    /// FIPS 180-4 §5.3.5: first 64 bits of the fractional parts of the square roots
    /// of the first 8 primes.
    private static let initialState: Words8 = (
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179
    )

    /// A fresh hasher.
    public init() {
        state = SHA512.initialState
        block = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        blockFill = 0
        blocksDone = 0
    }

    /// SHA-512 of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest64 {
        var hasher = SHA512()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Absorbs one byte (buffered; compresses when a block is full).
    public mutating func update(byte: UInt8) {
        let fill = blockFill
        Swift.withUnsafeMutableBytes(of: &block) { raw in
            raw[fill] = byte
        }
        if fill == 127 {
            compressBufferedBlock()
            blockFill = 0
        } else {
            blockFill = fill &+ 1
        }
    }

    /// Absorbs `bytes`. Full blocks are compressed straight from `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var src = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count

        // Top up a partial block first.
        if blockFill > 0 {
            let take = min(128 &- blockFill, remaining)
            let fill = blockFill
            Swift.withUnsafeMutableBytes(of: &block) { raw in
                raw.baseAddress!.advanced(by: fill).copyMemory(from: src, byteCount: take)
            }
            blockFill = fill &+ take
            src += take
            remaining &-= take
            if blockFill < 128 { return }
            compressBufferedBlock()
            blockFill = 0
        }

        // Whole blocks, read in place.
        while remaining >= 128 {
            SHA512.compress(&state, src)
            blocksDone &+= 1
            src += 128
            remaining &-= 128
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
    public mutating func finalize() -> Digest64 {
        // The length field is 128 bits; the high 64 bits hold the bits shifted out.
        let byteCount = blocksDone &* 128 &+ UInt64(truncatingIfNeeded: blockFill)
        let bitsLow = byteCount &<< 3
        let bitsHigh = blocksDone &>> 54
        // Padding: 0x80, zeros, then the length in the last 16 bytes of a block.
        let fill = blockFill
        Swift.withUnsafeMutableBytes(of: &block) { raw in
            raw[fill] = 0x80
            var i = fill &+ 1
            while i < 128 {
                raw[i] = 0
                i &+= 1
            }
        }
        if fill >= 112 {
            // No room for the length: it goes in one more block.
            compressBufferedBlock()
            block = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        }
        Swift.withUnsafeMutableBytes(of: &block) { raw in
            raw.storeBytes(of: bitsHigh.bigEndian, toByteOffset: 112, as: UInt64.self)
            raw.storeBytes(of: bitsLow.bigEndian, toByteOffset: 120, as: UInt64.self)
        }
        compressBufferedBlock()
        let digest = Digest64(storage: (
            state.0.bigEndian, state.1.bigEndian, state.2.bigEndian, state.3.bigEndian,
            state.4.bigEndian, state.5.bigEndian, state.6.bigEndian, state.7.bigEndian
        ))
        self = SHA512()
        return digest
    }

    // MARK: - Compression

    /// Compresses `block` in place. (Reading a copy of a buffer written through a
    /// pointer is what Swift 6.3.1 -O can miscompile; see Ed25519Verifier.swift.)
    private mutating func compressBufferedBlock() {
        var chaining = state
        Swift.withUnsafeBytes(of: &block) { raw in
            SHA512.compress(&chaining, raw.baseAddress!)
        }
        state = chaining
        blocksDone &+= 1
    }

    @inline(__always)
    private static func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 {
        (x &>> n) | (x &<< (64 &- n))
    }

    /// Compresses one 128-byte block at `data` (FIPS 180-4 §6.4.2), keeping the
    /// message schedule in a 16-word ring. Never inlined: one copy of the rounds.
    @inline(never)
    private static func compress(_ state: inout Words8, _ data: UnsafeRawPointer) {
        var ring: Words16 = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafePointer(to: roundConstants) { kTuple in
            let k = UnsafeRawPointer(kTuple).assumingMemoryBound(to: UInt64.self)
            Swift.withUnsafeMutableBytes(of: &ring) { ringRaw in
                let w = ringRaw.baseAddress!.assumingMemoryBound(to: UInt64.self)
                var a = state.0, b = state.1, c = state.2, d = state.3
                var e = state.4, f = state.5, g = state.6, h = state.7
                for t in 0..<80 {
                    let wt: UInt64
                    if t < 16 {
                        wt = UInt64(bigEndian: data.loadUnaligned(fromByteOffset: 8 &* t, as: UInt64.self))
                    } else {
                        let x15 = w[(t &- 15) & 15]
                        let x2 = w[(t &- 2) & 15]
                        let s0 = rotr(x15, 1) ^ rotr(x15, 8) ^ (x15 &>> 7)
                        let s1 = rotr(x2, 19) ^ rotr(x2, 61) ^ (x2 &>> 6)
                        wt = w[t & 15] &+ s0 &+ w[(t &- 7) & 15] &+ s1
                    }
                    w[t & 15] = wt
                    let bigS1 = rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ bigS1 &+ ch &+ k[t] &+ wt
                    let bigS0 = rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = bigS0 &+ maj
                    h = g
                    g = f
                    f = e
                    e = d &+ t1
                    d = c
                    c = b
                    b = a
                    a = t1 &+ t2
                }
                state.0 &+= a; state.1 &+= b; state.2 &+= c; state.3 &+= d
                state.4 &+= e; state.5 &+= f; state.6 &+= g; state.7 &+= h
            }
        }
    }

    /// FIPS 180-4 §4.2.3: first 64 bits of the fractional parts of the cube roots
    /// of the first 80 primes.
    private static let roundConstants: (
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
    ) = (
        0x428a_2f98_d728_ae22, 0x7137_4491_23ef_65cd, 0xb5c0_fbcf_ec4d_3b2f, 0xe9b5_dba5_8189_dbbc,
        0x3956_c25b_f348_b538, 0x59f1_11f1_b605_d019, 0x923f_82a4_af19_4f9b, 0xab1c_5ed5_da6d_8118,
        0xd807_aa98_a303_0242, 0x1283_5b01_4570_6fbe, 0x2431_85be_4ee4_b28c, 0x550c_7dc3_d5ff_b4e2,
        0x72be_5d74_f27b_896f, 0x80de_b1fe_3b16_96b1, 0x9bdc_06a7_25c7_1235, 0xc19b_f174_cf69_2694,
        0xe49b_69c1_9ef1_4ad2, 0xefbe_4786_384f_25e3, 0x0fc1_9dc6_8b8c_d5b5, 0x240c_a1cc_77ac_9c65,
        0x2de9_2c6f_592b_0275, 0x4a74_84aa_6ea6_e483, 0x5cb0_a9dc_bd41_fbd4, 0x76f9_88da_8311_53b5,
        0x983e_5152_ee66_dfab, 0xa831_c66d_2db4_3210, 0xb003_27c8_98fb_213f, 0xbf59_7fc7_beef_0ee4,
        0xc6e0_0bf3_3da8_8fc2, 0xd5a7_9147_930a_a725, 0x06ca_6351_e003_826f, 0x1429_2967_0a0e_6e70,
        0x27b7_0a85_46d2_2ffc, 0x2e1b_2138_5c26_c926, 0x4d2c_6dfc_5ac4_2aed, 0x5338_0d13_9d95_b3df,
        0x650a_7354_8baf_63de, 0x766a_0abb_3c77_b2a8, 0x81c2_c92e_47ed_aee6, 0x9272_2c85_1482_353b,
        0xa2bf_e8a1_4cf1_0364, 0xa81a_664b_bc42_3001, 0xc24b_8b70_d0f8_9791, 0xc76c_51a3_0654_be30,
        0xd192_e819_d6ef_5218, 0xd699_0624_5565_a910, 0xf40e_3585_5771_202a, 0x106a_a070_32bb_d1b8,
        0x19a4_c116_b8d2_d0c8, 0x1e37_6c08_5141_ab53, 0x2748_774c_df8e_eb99, 0x34b0_bcb5_e19b_48a8,
        0x391c_0cb3_c5c9_5a63, 0x4ed8_aa4a_e341_8acb, 0x5b9c_ca4f_7763_e373, 0x682e_6ff3_d6b2_b8a3,
        0x748f_82ee_5def_b2fc, 0x78a5_636f_4317_2f60, 0x84c8_7814_a1f0_ab72, 0x8cc7_0208_1a64_39ec,
        0x90be_fffa_2363_1e28, 0xa450_6ceb_de82_bde9, 0xbef9_a3f7_b2c6_7915, 0xc671_78f2_e372_532b,
        0xca27_3ece_ea26_619c, 0xd186_b8c7_21c0_c207, 0xeada_7dd6_cde0_eb1e, 0xf57d_4f7f_ee6e_d178,
        0x06f0_67aa_7217_6fba, 0x0a63_7dc5_a2c8_98a6, 0x113f_9804_bef9_0dae, 0x1b71_0b35_131c_471b,
        0x28db_77f5_2304_7d84, 0x32ca_ab7b_40c7_2493, 0x3c9e_be0a_15c9_bebc, 0x431d_67c4_9c10_0d4c,
        0x4cc5_d4be_cb3e_42b6, 0x597f_299c_fc65_7e2a, 0x5fcb_6fab_3ad6_faec, 0x6c44_198c_4a47_5817
    )
}
