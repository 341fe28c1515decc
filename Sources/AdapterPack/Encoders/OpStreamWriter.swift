import AdapterFormat

/// Builds the decoded bytes of an op-stream section (Spec/FORMAT.md §4).
public struct OpStreamWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var operationCount = 0

    public init() {}

    public var isEmpty: Bool { bytes.isEmpty }

    /// `xor`, `add8` or `write` with their data bytes.
    public mutating func bytesOp(_ opcode: Opcode, offset: Int, data: ArraySlice<UInt8>) {
        precondition(opcode == .xor || opcode == .add8 || opcode == .write)
        bytes.append(opcode.rawValue)
        varint(offset)
        varint(data.count)
        bytes.append(contentsOf: data)
        operationCount += 1
    }

    /// `add32`: little-endian int32 values at `offset` += `deltas` (mod 2^32).
    public mutating func add32(offset: Int, deltas: [UInt32]) {
        bytes.append(Opcode.add32.rawValue)
        varint(offset)
        varint(deltas.count)
        for delta in deltas {
            let signed = Int32(bitPattern: delta)
            varint(Int(UInt32(bitPattern: (signed << 1) ^ (signed >> 31))))
        }
        operationCount += 1
    }

    /// `coded`: `values` range-coded (Spec/FORMAT.md §4.4), added to or xored into the bytes at `offset`.
    public mutating func coded(offset: Int, values: ArraySlice<UInt8>, mode: CodedDeltaMode) {
        let data = CodedDeltaEncoder.encode(values, mode: mode)
        bytes.append(Opcode.coded.rawValue)
        varint(offset)
        varint(values.count)
        varint(Int(mode.raw))
        varint(data.count)
        bytes.append(contentsOf: data)
        operationCount += 1
    }

    /// Bytes taken as they are, counted as one operation (tests and tools that craft streams).
    public mutating func appendRaw(_ raw: [UInt8]) {
        bytes += raw
        operationCount += 1
    }

    public mutating func move(from source: Int, to destination: Int, length: Int) {
        bytes.append(Opcode.move.rawValue)
        varint(source)
        varint(destination)
        varint(length)
        operationCount += 1
    }

    public mutating func setLength(_ length: Int) {
        bytes.append(Opcode.setLength.rawValue)
        varint(length)
        operationCount += 1
    }

    private mutating func varint(_ value: Int) {
        LEB128.append(value, to: &bytes)
    }
}
