/// Why a TensorFlow Lite file was rejected.
///
/// Every case names the problem and, where one exists, the file offset at which it
/// was found, so a report can point at the offending bytes. `field` strings are paths
/// into the model such as `subgraphs[0].tensors[7].shape`.
public enum TFLiteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `needed` bytes were required at `offset`, but the file ends at `fileLength`.
    case truncated(offset: Int, needed: Int, fileLength: Int)
    /// The u32 root offset at byte 0 does not point at a table inside the file.
    case badRootOffset(offset: Int, fileLength: Int)
    /// Bytes 4..<8 are not the TFLite file identifier "TFL3".
    case missingIdentifier(found: [UInt8])
    /// An offset stored in `field` points outside the file (or at an impossible place).
    case offsetOutOfBounds(field: String, offset: Int)
    /// A table's vtable is malformed (odd or too-small size, or outside the file).
    case badVTable(field: String, offset: Int)
    /// A vector's declared element count cannot fit in the rest of the file.
    case vectorTooLong(field: String, count: Int, offset: Int)
    /// A string field is not valid UTF-8.
    case invalidUTF8(field: String, offset: Int)
    /// The file declares far more elements than its size allows without heavy aliasing
    /// (many tables sharing one huge vector); refused to bound time and memory.
    case decodeBudgetExceeded(field: String, offset: Int)
    /// A tensor refers to a buffer the model does not have.
    case badBufferIndex(subgraph: Int, tensor: Int, buffer: Int, bufferCount: Int)
    /// A tensor index (operator input/output, subgraph input/output) is out of range.
    case badTensorIndex(field: String, index: Int, tensorCount: Int)
    /// An operator refers to an operator code the model does not have.
    case badOpcodeIndex(subgraph: Int, operator: Int, opcodeIndex: Int, opcodeCount: Int)
    /// A buffer's large-model `offset`/`size` pair lies outside the file.
    case bufferOutOfBounds(buffer: Int, offset: UInt64, size: UInt64, fileLength: Int)
    /// A tensor's shape is invalid (a negative dimension, or an element count that overflows).
    case badShape(subgraph: Int, tensor: Int, shape: [Int32])
    /// A constant tensor's data length differs from product(shape) × element size.
    case dataShapeMismatch(subgraph: Int, tensor: Int, expectedBytes: Int, actualBytes: Int)
    /// A tensor's quantization parameters are inconsistent with its shape.
    case badQuantization(subgraph: Int, tensor: Int, reason: String)

    public var description: String {
        switch self {
        case let .truncated(offset, needed, fileLength):
            return "truncated: \(needed) bytes needed at offset \(offset), file has \(fileLength) bytes"
        case let .badRootOffset(offset, fileLength):
            return "root table offset \(offset) is outside the file (\(fileLength) bytes)"
        case let .missingIdentifier(found):
            let printable = found.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : "." }.joined()
            let hex = found.map { byte -> String in
                let s = String(byte, radix: 16)
                return s.count == 1 ? "0" + s : s
            }.joined(separator: " ")
            return "not a TFLite model: file identifier at offset 4 is \"\(printable)\" (\(hex)), expected \"TFL3\""
        case let .offsetOutOfBounds(field, offset):
            return "\(field): offset \(offset) is out of bounds"
        case let .badVTable(field, offset):
            return "\(field): malformed vtable at offset \(offset)"
        case let .vectorTooLong(field, count, offset):
            return "\(field): vector of \(count) elements at offset \(offset) does not fit in the file"
        case let .invalidUTF8(field, offset):
            return "\(field): string at offset \(offset) is not valid UTF-8"
        case let .decodeBudgetExceeded(field, offset):
            return "\(field): at offset \(offset) the model declares more elements than its size allows (aliased vectors?)"
        case let .badBufferIndex(subgraph, tensor, buffer, bufferCount):
            return "\(Self.tensorLabel(subgraph, tensor)): buffer index \(buffer) out of range (model has \(bufferCount) buffers)"
        case let .badTensorIndex(field, index, tensorCount):
            return "\(field): tensor index \(index) out of range (subgraph has \(tensorCount) tensors)"
        case let .badOpcodeIndex(subgraph, op, opcodeIndex, opcodeCount):
            let where_ = subgraph == 0 ? "operator \(op)" : "subgraph \(subgraph), operator \(op)"
            return "\(where_): opcode index \(opcodeIndex) out of range (model has \(opcodeCount) operator codes)"
        case let .bufferOutOfBounds(buffer, offset, size, fileLength):
            return "buffer \(buffer): data at offset \(offset) size \(size) lies outside the file (\(fileLength) bytes)"
        case let .badShape(subgraph, tensor, shape):
            return "\(Self.tensorLabel(subgraph, tensor)): invalid shape \(shape)"
        case let .dataShapeMismatch(subgraph, tensor, expectedBytes, actualBytes):
            return "\(Self.tensorLabel(subgraph, tensor)): data is \(actualBytes) bytes, shape and type need \(expectedBytes)"
        case let .badQuantization(subgraph, tensor, reason):
            return "\(Self.tensorLabel(subgraph, tensor)): \(reason)"
        }
    }

    private static func tensorLabel(_ subgraph: Int, _ tensor: Int) -> String {
        subgraph == 0 ? "tensor \(tensor)" : "subgraph \(subgraph), tensor \(tensor)"
    }
}
