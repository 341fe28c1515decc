#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// The device decoders one at a time, on arbitrary bytes: each either
/// refuses with a `FormatError` or ends, within bounded work, never reading
/// or writing outside its buffers (exact-size allocations for the sanitizer).
enum DecoderChecks {
    /// Raw deflate; the first byte picks the history window (8 … 15 bits).
    static func inflate(_ input: [UInt8]) throws(InvariantViolation) {
        guard let first = input.first else { return }
        let bits = 8 + Int(first % 8)
        let workspace = UnsafeMutableRawBufferPointer.allocate(
            byteCount: Inflater<BufferInput>.workspaceSize(windowBits: bits), alignment: 8)
        defer { workspace.deallocate() }
        input.dropFirst().withUnsafeBytes { raw in
            var inflater = Inflater(input: BufferInput(raw), windowBits: bits, workspace: workspace)
            // A deflate stream expands at most about 1032:1; stop well past it.
            var produced = 0
            while produced <= raw.count * 1100 + 64, let _ = try? inflater.nextByte() { produced += 1 }
            _ = try? inflater.finish()
        }
    }

    /// A range-coded value block (§4.4): mode and length from the first bytes.
    static func codedValues(_ input: [UInt8]) throws(InvariantViolation) {
        guard input.count >= 3, let mode = CodedDeltaMode(raw: UInt32(input[0] % 8)) else { return }
        let length = Int(input[1]) << 4 | Int(input[2] & 0x0F)
        let tables = UnsafeMutableRawBufferPointer.allocate(byteCount: CodedDelta.bytesPerLane * mode.lanes, alignment: 8)
        defer { tables.deallocate() }
        input.dropFirst(3).withUnsafeBytes { raw in
            guard var values = try? CodedDeltaDecoder(input: BufferInput(raw), length: length, mode: mode,
                                                      tables: tables, section: SectionKind.payload.rawValue) else { return }
            var k = 0
            while k < length, (try? values.next()) != nil { k += 1 }
            if k == length { _ = try? values.finish() }
        }
    }

    /// An op stream of each section kind: every header read, every data skipped.
    static func opStream(_ input: [UInt8]) throws(InvariantViolation) {
        input.withUnsafeBytes { raw in
            for kind in SectionKind.allCases where kind.isOpStream {
                var reader = OpReader(input: BufferInput(raw), kind: kind)
                while let op = try? reader.next() {
                    guard op.opcode.isAllowed(in: kind), (try? reader.skipData(of: op)) != nil else { break }
                }
            }
        }
    }

    /// A chunk directory of a content section whose stored bytes are the input.
    static func chunkDirectory(_ input: [UInt8]) throws(InvariantViolation) {
        guard input.count >= 2 else { return }
        let decoded = UInt32(input[0]) << 8 | UInt32(input[1])
        let section = SectionEntry(kind: .payload, codec: input[0] & 1 == 0 ? .stored : .deflate(windowBits: 9),
                                   offset: 1_000, storedLength: UInt32(input.count - 2), decodedLength: decoded,
                                   digest: .zero)
        let violation: String? = input.dropFirst(2).withUnsafeBytes { raw in
            guard var reader = try? ChunkDirectoryReader(input: BufferInput(raw), section: section, segmentCount: 64) else {
                return nil
            }
            var previous: Int64 = -1
            var stored: UInt64 = 0
            while let chunk = try? reader.next() {
                stored += UInt64(chunk.storedLength)
                guard Int64(chunk.segment) > previous, chunk.segment < 64,
                      UInt64(chunk.offset) + UInt64(chunk.storedLength) <= 1_000 + UInt64(section.storedLength),
                      stored <= UInt64(section.storedLength) else {
                    return "directory reader accepted an invalid chunk \(chunk)"
                }
                previous = Int64(chunk.segment)
            }
            return nil
        }
        if let violation { throw InvariantViolation(description: violation) }
    }
}
