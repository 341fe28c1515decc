import AdapterFormat

/// Builds the decoded bytes of an op-stream section (Spec/FORMAT.md §4).
/// Every operation's header is written from its descriptor's fields; the
/// methods below add each operation's data.
public struct OpStreamWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var operationCount = 0

    public init() {}

    public var isEmpty: Bool { bytes.isEmpty }

    /// Opcode byte and the varint fields its descriptor lists; the caller appends the data.
    public mutating func header(_ op: Operation) {
        bytes.append(op.opcode.rawValue)
        switch op.opcode.descriptor.fields {
        case .offsetLength: varints(op.offset, op.length)
        case .sourceDestinationLength: varints(op.offset, op.destination, op.length)
        case .length: varints(op.length)
        case .offsetLengthBlock: varints(op.offset, op.length, op.destination)
        }
        operationCount += 1
    }

    /// `xor`, `add8` or `write` with their data bytes.
    public mutating func bytesOp(_ opcode: Opcode, offset: Int, data: ArraySlice<UInt8>) {
        precondition(opcode.descriptor.data == .bytes)
        header(Operation(opcode: opcode, offset: UInt32(offset), length: UInt32(data.count)))
        bytes.append(contentsOf: data)
    }

    /// `add32`: little-endian int32 values at `offset` += `deltas` (mod 2^32).
    public mutating func add32(offset: Int, deltas: [UInt32]) {
        header(Operation(opcode: .add32, offset: UInt32(offset), length: UInt32(deltas.count)))
        for delta in deltas {
            let signed = Int32(bitPattern: delta)
            varint(Int(UInt32(bitPattern: (signed << 1) ^ (signed >> 31))))
        }
    }

    /// `coded`: `values` range-coded (Spec/FORMAT.md §4.4), added to or xored into the bytes at `offset`.
    public mutating func coded(offset: Int, values: ArraySlice<UInt8>, mode: CodedDeltaMode) {
        let data = CodedDeltaEncoder.encode(values, mode: mode)
        header(Operation(opcode: .coded, offset: UInt32(offset), length: UInt32(values.count)))
        varint(Int(mode.raw))
        codedBlock(data)
    }

    /// `lowRankResidual` over `length` weight bytes at `offset`, predicted by
    /// the factor block at `block`, with its forward and inverse residuals (§4.5).
    public mutating func lowRankResidual(offset: Int, length: Int, block: Int, forward: [UInt8], inverse: [UInt8]) {
        header(Operation(opcode: .lowRankResidual, offset: UInt32(offset), destination: UInt32(block),
                         length: UInt32(length)))
        codedBlock(forward)
        codedBlock(inverse)
    }

    /// An operation without data (`move`, `setLength`, `loraWeights`, `loraBias`).
    public mutating func dataless(_ op: Operation) {
        precondition(op.opcode.descriptor.data == .none)
        header(op)
    }

    public mutating func move(from source: Int, to destination: Int, length: Int) {
        dataless(Operation(opcode: .move, offset: UInt32(source), destination: UInt32(destination), length: UInt32(length)))
    }

    public mutating func setLength(_ length: Int) {
        dataless(Operation(opcode: .setLength, offset: 0, length: UInt32(length)))
    }

    /// Another writer's operations, appended in order.
    public mutating func append(_ other: OpStreamWriter) {
        bytes += other.bytes
        operationCount += other.operationCount
    }

    /// Bytes taken as they are, counted as one operation (tests and tools that craft streams).
    public mutating func appendRaw(_ raw: [UInt8]) {
        bytes += raw
        operationCount += 1
    }

    /// A varint byte count and the bytes.
    private mutating func codedBlock(_ data: [UInt8]) {
        varint(data.count)
        bytes.append(contentsOf: data)
    }

    private mutating func varints(_ values: UInt32...) {
        for v in values { varint(Int(v)) }
    }

    private mutating func varint(_ value: Int) {
        LEB128.append(value, to: &bytes)
    }
}
