import AdapterFormat

/// Binary adaptive range encoder, the exact mirror of `RangeDecoder`
/// (Spec/FORMAT.md §4.4): carries propagate through a cached byte and a run
/// of pending 0xFF bytes; the flush writes the four bytes the decoder still
/// reads. The first byte such an encoder produces is always 0 and is not
/// written, so the decoder starts by reading four bytes of `code`.
struct RangeEncoder {
    private(set) var bytes: [UInt8] = []
    private var low: UInt64 = 0
    private var range: UInt32 = 0xFFFF_FFFF
    private var cache: UInt8 = 0
    private var pending = 1
    private var first = true

    mutating func encode(_ bit: UInt32, probability p: inout UInt16) {
        let bound = (range >> 12) &* UInt32(p)
        if bit == 0 {
            range = bound
            p &+= (4096 &- p) >> 5
        } else {
            low &+= UInt64(bound)
            range &-= bound
            p &-= p >> 5
        }
        normalize()
    }

    mutating func encodeEven(_ bit: UInt32) {
        let bound = (range >> 12) &* 2048
        if bit == 0 {
            range = bound
        } else {
            low &+= UInt64(bound)
            range &-= bound
        }
        normalize()
    }

    private mutating func normalize() {
        while range < 1 << 24 {
            range <<= 8
            shiftLow()
        }
    }

    private mutating func shiftLow() {
        if low < 0xFF00_0000 || low >= 1 << 32 {
            let carry = UInt8(truncatingIfNeeded: low >> 32)
            var byte = cache
            while pending > 0 {
                emit(byte &+ carry)
                byte = 0xFF
                pending -= 1
            }
            cache = UInt8(truncatingIfNeeded: low >> 24)
        }
        pending += 1
        low = (low & 0x00FF_FFFF) << 8
    }

    private mutating func emit(_ byte: UInt8) {
        if first {
            precondition(byte == 0, "range coder: first byte must be 0")
            first = false
            return
        }
        bytes.append(byte)
    }

    /// Flushes and returns the coded bytes.
    mutating func finish() -> [UInt8] {
        for _ in 0 ..< 5 { shiftLow() }
        return bytes
    }
}

/// Codes the values of one `coded` operation with the context model of
/// `CodedDeltaDecoder` (see `CodedDelta`).
public enum CodedDeltaEncoder {
    /// The coded bytes for `values` (bytes to add or xor) in `lanes` lanes.
    public static func encode<C: Collection>(_ values: C, mode: CodedDeltaMode) -> [UInt8] where C.Element == UInt8 {
        var coder = RangeEncoder()
        var tables = [[UInt16]](repeating: [UInt16](repeating: 2048, count: CodedDelta.contextsPerLane),
                                count: mode.lanes)
        var runs = [Int](repeating: 0, count: mode.lanes)
        for (i, value) in values.enumerated() {
            let lane = i & (mode.lanes - 1)
            if value == 0 {
                coder.encode(0, probability: &tables[lane][runs[lane]])
                runs[lane] = min(runs[lane] + 1, 2)
                continue
            }
            coder.encode(1, probability: &tables[lane][runs[lane]])
            runs[lane] = 0
            let signed = Int(Int8(bitPattern: value))
            coder.encode(signed < 0 ? 1 : 0, probability: &tables[lane][CodedDelta.signContext])
            let m = UInt32(abs(signed))
            let k = 31 - m.leadingZeroBitCount
            for i in 0 ..< 7 {
                let more: UInt32 = k > i ? 1 : 0
                coder.encode(more, probability: &tables[lane][CodedDelta.exponentContext + i])
                if more == 0 { break }
            }
            if k >= 1 {
                coder.encode((m >> (k - 1)) & 1, probability: &tables[lane][CodedDelta.mantissaContext + k])
                var bit = k - 2
                while bit >= 0 {
                    coder.encodeEven((m >> bit) & 1)
                    bit -= 1
                }
            }
        }
        return coder.finish()
    }

    /// The whole operation's encoded size in an op stream.
    public static func operationSize(offset: Int, values: [UInt8], mode: CodedDeltaMode) -> Int {
        var header: [UInt8] = [Opcode.coded.rawValue]
        let coded = encode(values, mode: mode)
        LEB128.append(offset, to: &header)
        LEB128.append(values.count, to: &header)
        LEB128.append(Int(mode.raw), to: &header)
        LEB128.append(coded.count, to: &header)
        return header.count + coded.count
    }
}
