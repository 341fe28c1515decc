import AdapterFormat

/// Content operations grouped by aligned model segment (Spec/FORMAT.md §5.1).
/// Operations that cross a segment boundary are split, so every segment's
/// chunk decodes and applies on its own.
public struct SegmentedOps: Sendable {
    public let segmentSize: Int
    /// Whether the section may be deflated later: then plain operations are
    /// preferred to `coded` ones that deflate would beat.
    public var deflate = true
    /// Op stream per segment index, ascending.
    public private(set) var segments: [Int: OpStreamWriter] = [:]

    public init(segmentSize: Int) {
        precondition(segmentSize >= 256 && segmentSize & (segmentSize - 1) == 0)
        self.segmentSize = segmentSize
    }

    public var isEmpty: Bool { segments.isEmpty }
    public var operationCount: Int { segments.values.reduce(0) { $0 + $1.operationCount } }
    public var decodedLength: Int { segments.values.reduce(0) { $0 + $1.bytes.count } }

    /// `xor`, `add8` or `write`, split at segment boundaries.
    public mutating func bytesOp(_ opcode: Opcode, offset: Int, data: ArraySlice<UInt8>) {
        var start = offset
        var rest = data
        while !rest.isEmpty {
            let segment = start / segmentSize
            let room = (segment + 1) * segmentSize - start
            let part = rest.prefix(room)
            segments[segment, default: OpStreamWriter()].bytesOp(opcode, offset: start, data: part)
            start += part.count
            rest = rest.dropFirst(part.count)
        }
    }

    /// Values to add (mod 256) or xor, split at segment boundaries; each piece
    /// goes as a `coded` operation or as plain `add8`/`xor`, whichever is
    /// smaller (plain also when deflate of the plain bytes beats the coding).
    public mutating func smallestBytes(xor: Bool, offset: Int, values: ArraySlice<UInt8>, laneBits: Int = 0) {
        var start = offset
        var rest = values
        let mode = CodedDeltaMode(xor: xor, laneBits: laneBits)
        while !rest.isEmpty {
            let segment = start / segmentSize
            let part = rest.prefix((segment + 1) * segmentSize - start)
            var plain = OpStreamWriter()
            plain.bytesOp(xor ? .xor : .add8, offset: start, data: part)
            var coded = OpStreamWriter()
            coded.coded(offset: start, values: part, mode: mode)
            let deflated = deflate && part.count > 64 ? Deflate.compress(plain.bytes, windowBits: 9).count : plain.bytes.count
            if coded.bytes.count < min(plain.bytes.count, deflated) {
                segments[segment, default: OpStreamWriter()].coded(offset: start, values: part, mode: mode)
            } else {
                segments[segment, default: OpStreamWriter()].bytesOp(xor ? .xor : .add8, offset: start, data: part)
            }
            start += part.count
            rest = rest.dropFirst(part.count)
        }
    }

    /// Operations written elsewhere (`lowRankResidual`), appended to `segment`'s
    /// stream; the caller keeps them inside the segment.
    public mutating func append(segment: Int, _ ops: OpStreamWriter) {
        segments[segment, default: OpStreamWriter()].append(ops)
    }

    /// Bytes taken as they are into `segment`'s stream (tests that craft streams).
    public mutating func appendRaw(segment: Int, _ raw: [UInt8]) {
        segments[segment, default: OpStreamWriter()].appendRaw(raw)
    }

    /// A dataless operation over a factor block (`loraWeights`, `loraBias`)
    /// covering `range`, split at segment boundaries; its length counts the
    /// descriptor's units (bytes or int32 values).
    public mutating func blockOp(_ opcode: Opcode, range: Range<Int>, block: Int) throws(BundleBuildError) {
        let unit = Int(opcode.descriptor.unitBytes)
        var start = range.lowerBound
        while start < range.upperBound {
            let segment = start / segmentSize
            let end = min(range.upperBound, (segment + 1) * segmentSize)
            guard (end - start) % unit == 0 else { throw .straddlingValues(range: range, segmentSize: segmentSize) }
            segments[segment, default: OpStreamWriter()].dataless(
                Operation(opcode: opcode, offset: UInt32(start), destination: UInt32(block), length: UInt32((end - start) / unit)))
            start = end
        }
    }

    /// `add32` on 4-aligned values (which never straddle a segment boundary).
    public mutating func add32(offset: Int, deltas: [UInt32]) {
        precondition(offset % 4 == 0, "add32 needs 4-aligned values")
        var index = 0
        while index < deltas.count {
            let start = offset + index * 4
            let segment = start / segmentSize
            let count = min(deltas.count - index, ((segment + 1) * segmentSize - start) / 4)
            segments[segment, default: OpStreamWriter()].add32(offset: start, deltas: Array(deltas[index ..< index + count]))
            index += count
        }
    }
}

/// Unsigned LEB128 numbers, as every varint of the format.
public enum LEB128 {
    public static func append(_ value: Int, to bytes: inout [UInt8]) {
        precondition(value >= 0 && value <= Int(UInt32.max))
        var v = UInt32(value)
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
}
