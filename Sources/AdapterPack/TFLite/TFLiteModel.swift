/// A parsed TensorFlow Lite model: its structure plus the file byte ranges of every
/// constant tensor's data and quantization vectors, so they can be diffed and patched
/// in place.
///
/// Parsing is bounds-checked throughout: any hostile or truncated input throws a
/// ``TFLiteError`` and never reads outside `bytes`. Beyond the flatbuffer layout it
/// also checks what later stages rely on: buffer, tensor and opcode indices are in
/// range; a constant tensor's data is exactly product(shape) × element size bytes
/// (when the element size is known and the tensor is not sparse); and per-channel
/// scales match the quantized dimension of constant tensors.
public struct TFLiteModel: Sendable, Equatable {
    /// Schema version (3 for every current file).
    public let version: UInt32
    /// Builtin operator code of each operator code entry: the larger of
    /// `deprecated_builtin_code` and `builtin_code`, as TFLite's `GetBuiltinCode` does.
    public let operatorCodes: [Int32]
    /// The subgraphs; the first is the main model.
    public let subgraphs: [TFLiteSubgraph]
    /// The model's buffers (entry 0 is conventionally the empty sentinel).
    public let buffers: [TFLiteBuffer]
    /// Length of the parsed file in bytes.
    public let fileLength: Int

    /// Parses a `.tflite` file.
    public init(bytes: [UInt8]) throws(TFLiteError) {
        var parser = TFLiteParser(bytes: bytes)
        self = try parser.parseModel()
    }

    /// Builds a model from parts (tests and synthetic models).
    init(version: UInt32 = 3, operatorCodes: [Int32], subgraphs: [TFLiteSubgraph],
         buffers: [TFLiteBuffer], fileLength: Int) {
        self.version = version
        self.operatorCodes = operatorCodes
        self.subgraphs = subgraphs
        self.buffers = buffers
        self.fileLength = fileLength
    }

    /// The builtin operator code of `op`, or nil when its opcode index is out of range.
    public func builtinCode(of op: TFLiteOperator) -> Int32? {
        operatorCodes.indices.contains(op.opcodeIndex) ? operatorCodes[op.opcodeIndex] : nil
    }
}

/// One subgraph: tensors, operators in execution order, and its inputs and outputs.
public struct TFLiteSubgraph: Sendable, Equatable {
    public let tensors: [TFLiteTensor]
    public let operators: [TFLiteOperator]
    /// Tensor indices of the subgraph's inputs.
    public let inputs: [Int]
    /// Tensor indices of the subgraph's outputs.
    public let outputs: [Int]
    /// The subgraph's name, if the file has one.
    public let name: String?

    public init(tensors: [TFLiteTensor], operators: [TFLiteOperator], inputs: [Int], outputs: [Int], name: String? = nil) {
        self.tensors = tensors
        self.operators = operators
        self.inputs = inputs
        self.outputs = outputs
        self.name = name
    }
}

/// One operator: which operator code it runs and which tensors it reads and writes.
public struct TFLiteOperator: Sendable, Equatable {
    /// Index into ``TFLiteModel/operatorCodes``.
    public let opcodeIndex: Int
    /// Input tensor indices; -1 marks an omitted optional input.
    public let inputs: [Int]
    /// Output tensor indices.
    public let outputs: [Int]

    public init(opcodeIndex: Int, inputs: [Int], outputs: [Int]) {
        self.opcodeIndex = opcodeIndex
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// One entry of the model's buffer table.
public struct TFLiteBuffer: Sendable, Equatable {
    /// Position in ``TFLiteModel/buffers``.
    public let index: Int
    /// File byte range of the buffer's data, nil when the buffer is empty.
    public let dataRange: Range<Int>?
    /// True when the data is located by the large-model `offset`/`size` fields
    /// (absolute file offset, valid when > 1) rather than by the `data` vector.
    public let usesOffsetField: Bool

    public init(index: Int, dataRange: Range<Int>?, usesOffsetField: Bool = false) {
        self.index = index
        self.dataRange = dataRange
        self.usesOffsetField = usesOffsetField
    }
}

/// One tensor of a subgraph.
public struct TFLiteTensor: Sendable, Equatable {
    /// Position in the subgraph's tensor list.
    public let index: Int
    /// The tensor's name (debugging only: re-exported models rename tensors).
    public let name: String
    public let type: TFLiteTensorType
    public let shape: [Int32]
    /// Index into ``TFLiteModel/buffers``; 0 (the empty sentinel) for non-constant tensors.
    public let bufferIndex: Int
    /// File byte range of the tensor's constant data, nil when its buffer is empty.
    public let dataRange: Range<Int>?
    /// Quantization parameters, nil when absent or empty.
    public let quantization: TFLiteQuantization?
    /// The schema's `is_variable`.
    public let isVariable: Bool
    /// True when the tensor has sparsity parameters (its data is then not dense).
    public let isSparse: Bool

    public init(index: Int, name: String, type: TFLiteTensorType, shape: [Int32], bufferIndex: Int,
                dataRange: Range<Int>?, quantization: TFLiteQuantization?,
                isVariable: Bool = false, isSparse: Bool = false) {
        self.index = index
        self.name = name
        self.type = type
        self.shape = shape
        self.bufferIndex = bufferIndex
        self.dataRange = dataRange
        self.quantization = quantization
        self.isVariable = isVariable
        self.isSparse = isSparse
    }

    /// Bytes per element, nil when not a fixed whole number of bytes (see ``TFLiteTensorType/elementSize``).
    public var elementSize: Int? { type.elementSize }

    /// product(shape) (1 for a scalar), nil if a dimension is negative or the product overflows.
    public var elementCount: Int? { Self.elementCount(of: shape) }

    /// elementCount × elementSize, nil when either is unknown.
    public var expectedByteCount: Int? {
        guard let n = elementCount, let size = elementSize else { return nil }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: size)
        return overflow ? nil : bytes
    }

    /// True when the tensor has constant data in the file (weights, biases, constants).
    public var isConstant: Bool { dataRange != nil }

    static func elementCount(of shape: [Int32]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: Int(d))
            guard !overflow else { return nil }
            n = p
        }
        return n
    }
}

/// Affine quantization parameters: real = scale × (q − zero_point).
public struct TFLiteQuantization: Sendable, Equatable {
    /// float32 scales: one (per tensor) or one per slice along ``quantizedDimension`` (per channel).
    public let scales: [Float]
    public let zeroPoints: [Int64]
    public let quantizedDimension: Int
    /// Optional `min`/`max` (for importing back into TensorFlow).
    public let min: [Float]
    public let max: [Float]
    /// File byte range of the scale vector's float32 elements (excluding the length prefix).
    public let scaleRange: Range<Int>?
    /// File byte range of the zero-point vector's int64 elements.
    public let zeroPointRange: Range<Int>?
    public let minRange: Range<Int>?
    public let maxRange: Range<Int>?
    /// True when a `QuantizationDetails` union (custom, blockwise, multi-axis) is present:
    /// the schema then says scales and zero points are to be ignored.
    public let hasDetails: Bool

    public init(scales: [Float], zeroPoints: [Int64], quantizedDimension: Int,
                min: [Float] = [], max: [Float] = [],
                scaleRange: Range<Int>? = nil, zeroPointRange: Range<Int>? = nil,
                minRange: Range<Int>? = nil, maxRange: Range<Int>? = nil, hasDetails: Bool = false) {
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.quantizedDimension = quantizedDimension
        self.min = min
        self.max = max
        self.scaleRange = scaleRange
        self.zeroPointRange = zeroPointRange
        self.minRange = minRange
        self.maxRange = maxRange
        self.hasDetails = hasDetails
    }

    /// True when there is more than one scale.
    public var isPerChannel: Bool { scales.count > 1 }

    /// Float fields compare bit for bit (so NaN scales equal themselves).
    public static func == (a: Self, b: Self) -> Bool {
        a.scales.map(\.bitPattern) == b.scales.map(\.bitPattern)
            && a.zeroPoints == b.zeroPoints
            && a.quantizedDimension == b.quantizedDimension
            && a.min.map(\.bitPattern) == b.min.map(\.bitPattern)
            && a.max.map(\.bitPattern) == b.max.map(\.bitPattern)
            && a.scaleRange == b.scaleRange && a.zeroPointRange == b.zeroPointRange
            && a.minRange == b.minRange && a.maxRange == b.maxRange
            && a.hasDetails == b.hasDetails
    }
}

/// A tensor element type, with the raw values of the TFLite schema's `TensorType`.
///
/// Values this version does not know stay representable as `.other(rawValue)`;
/// equality and hashing go by raw value, so `.other(9) == .int8`.
public enum TFLiteTensorType: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    case float32, float16, int32, uint8, int64, string, bool, int16, complex64, int8
    case float64, complex128, uint64, resource, variant, uint32, uint16, int4, bfloat16
    case int2, uint4, float8E4M3FN, float8E5M2
    case other(UInt8)

    private static let known: [TFLiteTensorType] = [
        .float32, .float16, .int32, .uint8, .int64, .string, .bool, .int16, .complex64, .int8,
        .float64, .complex128, .uint64, .resource, .variant, .uint32, .uint16, .int4, .bfloat16,
        .int2, .uint4, .float8E4M3FN, .float8E5M2,
    ]

    public init(rawValue: UInt8) {
        self = Int(rawValue) < Self.known.count ? Self.known[Int(rawValue)] : .other(rawValue)
    }

    public var rawValue: UInt8 {
        switch self {
        case .float32: 0
        case .float16: 1
        case .int32: 2
        case .uint8: 3
        case .int64: 4
        case .string: 5
        case .bool: 6
        case .int16: 7
        case .complex64: 8
        case .int8: 9
        case .float64: 10
        case .complex128: 11
        case .uint64: 12
        case .resource: 13
        case .variant: 14
        case .uint32: 15
        case .uint16: 16
        case .int4: 17
        case .bfloat16: 18
        case .int2: 19
        case .uint4: 20
        case .float8E4M3FN: 21
        case .float8E5M2: 22
        case .other(let raw): raw
        }
    }

    /// Bytes per element when elements are whole bytes of a fixed size; nil for
    /// strings, resources, variants, sub-byte (packed) types and unknown types.
    public var elementSize: Int? {
        switch self {
        case .bool, .uint8, .int8, .float8E4M3FN, .float8E5M2: 1
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .int64, .uint64, .float64, .complex64: 8
        case .complex128: 16
        case .string, .resource, .variant, .int4, .int2, .uint4, .other: nil
        }
    }

    /// The schema's name, e.g. `INT8`; unknown values print as `TYPE_<n>`.
    public var description: String {
        switch self {
        case .float32: "FLOAT32"
        case .float16: "FLOAT16"
        case .int32: "INT32"
        case .uint8: "UINT8"
        case .int64: "INT64"
        case .string: "STRING"
        case .bool: "BOOL"
        case .int16: "INT16"
        case .complex64: "COMPLEX64"
        case .int8: "INT8"
        case .float64: "FLOAT64"
        case .complex128: "COMPLEX128"
        case .uint64: "UINT64"
        case .resource: "RESOURCE"
        case .variant: "VARIANT"
        case .uint32: "UINT32"
        case .uint16: "UINT16"
        case .int4: "INT4"
        case .bfloat16: "BFLOAT16"
        case .int2: "INT2"
        case .uint4: "UINT4"
        case .float8E4M3FN: "FLOAT8_E4M3FN"
        case .float8E5M2: "FLOAT8_E5M2"
        case .other(let raw): "TYPE_\(raw)"
        }
    }

    public static func == (a: Self, b: Self) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

// MARK: - Parsing

/// Walks the TFLite schema over a ``FlatBufferReader``. Field numbers follow
/// `tflite-schema.fbs` (a union occupies two slots: its type, then its value).
private struct TFLiteParser {
    var r: FlatBufferReader

    init(bytes: [UInt8]) { r = FlatBufferReader(bytes: bytes) }

    private static let identifier: [UInt8] = Array("TFL3".utf8)

    private enum ModelField { static let version = 0, operatorCodes = 1, subgraphs = 2, buffers = 4 }
    private enum OperatorCodeField { static let deprecatedBuiltinCode = 0, builtinCode = 3 }
    private enum SubGraphField { static let tensors = 0, inputs = 1, outputs = 2, operators = 3, name = 4 }
    private enum OperatorField { static let opcodeIndex = 0, inputs = 1, outputs = 2 }
    private enum TensorField { static let shape = 0, type = 1, buffer = 2, name = 3, quantization = 4, isVariable = 5, sparsity = 6 }
    private enum QuantizationField { static let min = 0, max = 1, scale = 2, zeroPoint = 3, detailsType = 4, quantizedDimension = 6 }
    private enum BufferField { static let data = 0, offset = 1, size = 2 }

    mutating func parseModel() throws(TFLiteError) -> TFLiteModel {
        let length = r.count
        guard length >= 8 else { throw .truncated(offset: 0, needed: 8, fileLength: length) }
        let found = Array(r.bytes[4..<8])
        guard found == Self.identifier else { throw .missingIdentifier(found: found) }

        let model = try r.rootTable()
        let version = try r.scalar(model, ModelField.version, default: UInt32(0), field: "version")
        let operatorCodes = try parseOperatorCodes(model)
        let buffers = try parseBuffers(model)

        var subgraphs: [TFLiteSubgraph] = []
        if let v = try r.vector(model, ModelField.subgraphs, elementSize: 4, field: "subgraphs") {
            for s in 0..<v.count {
                let table = try r.table(in: v, s, field: "subgraphs[\(s)]")
                subgraphs.append(try parseSubgraph(table, s, buffers: buffers, opcodeCount: operatorCodes.count))
            }
        }
        return TFLiteModel(version: version, operatorCodes: operatorCodes, subgraphs: subgraphs,
                           buffers: buffers, fileLength: length)
    }

    private mutating func parseOperatorCodes(_ model: FlatBufferTable) throws(TFLiteError) -> [Int32] {
        guard let v = try r.vector(model, ModelField.operatorCodes, elementSize: 4, field: "operator_codes") else { return [] }
        var codes: [Int32] = []
        codes.reserveCapacity(v.count)
        for i in 0..<v.count {
            let t = try r.table(in: v, i, field: "operator_codes[\(i)]")
            let deprecated = try r.scalar(t, OperatorCodeField.deprecatedBuiltinCode, default: Int8(0),
                                          field: "operator_codes[\(i)].deprecated_builtin_code")
            let code = try r.scalar(t, OperatorCodeField.builtinCode, default: Int32(0),
                                    field: "operator_codes[\(i)].builtin_code")
            // Old files set only the byte field; new files set both (the byte saturates
            // at 127, PLACEHOLDER_FOR_GREATER_OP_CODES). The larger one is the real code.
            codes.append(Swift.max(Int32(deprecated), code))
        }
        return codes
    }

    private mutating func parseBuffers(_ model: FlatBufferTable) throws(TFLiteError) -> [TFLiteBuffer] {
        guard let v = try r.vector(model, ModelField.buffers, elementSize: 4, field: "buffers") else { return [] }
        let length = r.count
        var buffers: [TFLiteBuffer] = []
        buffers.reserveCapacity(v.count)
        for b in 0..<v.count {
            let t = try r.table(in: v, b, field: "buffers[\(b)]")
            let data = try r.vector(t, BufferField.data, elementSize: 1, field: "buffers[\(b)].data")
            let offset = try r.scalar(t, BufferField.offset, default: UInt64(0), field: "buffers[\(b)].offset")
            let size = try r.scalar(t, BufferField.size, default: UInt64(0), field: "buffers[\(b)].size")
            if let data, data.count > 0 {
                buffers.append(TFLiteBuffer(index: b, dataRange: data.byteRange))
            } else if offset > 1, size > 0 {
                guard offset <= UInt64(length), size <= UInt64(length) - offset else {
                    throw .bufferOutOfBounds(buffer: b, offset: offset, size: size, fileLength: length)
                }
                let start = Int(offset)
                buffers.append(TFLiteBuffer(index: b, dataRange: start..<(start + Int(size)), usesOffsetField: true))
            } else {
                buffers.append(TFLiteBuffer(index: b, dataRange: nil))
            }
        }
        return buffers
    }

    private mutating func parseSubgraph(_ table: FlatBufferTable, _ s: Int, buffers: [TFLiteBuffer],
                                        opcodeCount: Int) throws(TFLiteError) -> TFLiteSubgraph {
        var tensors: [TFLiteTensor] = []
        if let v = try r.vector(table, SubGraphField.tensors, elementSize: 4, field: "subgraphs[\(s)].tensors") {
            tensors.reserveCapacity(v.count)
            for i in 0..<v.count {
                let t = try r.table(in: v, i, field: "subgraphs[\(s)].tensors[\(i)]")
                tensors.append(try parseTensor(t, s, i, buffers: buffers))
            }
        }
        let tensorCount = tensors.count

        func checkIndices(_ indices: [Int32], allowOmitted: Bool,
                          _ field: @autoclosure () -> String) throws(TFLiteError) -> [Int] {
            var result: [Int] = []
            result.reserveCapacity(indices.count)
            for (k, raw) in indices.enumerated() {
                let index = Int(raw)
                guard (0..<tensorCount).contains(index) || (allowOmitted && index == -1) else {
                    throw .badTensorIndex(field: "\(field())[\(k)]", index: index, tensorCount: tensorCount)
                }
                result.append(index)
            }
            return result
        }

        let inputs = try checkIndices(
            r.integers(table, SubGraphField.inputs, as: Int32.self, field: "subgraphs[\(s)].inputs"),
            allowOmitted: false, "subgraphs[\(s)].inputs")
        let outputs = try checkIndices(
            r.integers(table, SubGraphField.outputs, as: Int32.self, field: "subgraphs[\(s)].outputs"),
            allowOmitted: false, "subgraphs[\(s)].outputs")

        var operators: [TFLiteOperator] = []
        if let v = try r.vector(table, SubGraphField.operators, elementSize: 4, field: "subgraphs[\(s)].operators") {
            operators.reserveCapacity(v.count)
            for k in 0..<v.count {
                let field = "subgraphs[\(s)].operators[\(k)]"
                let t = try r.table(in: v, k, field: field)
                let opcodeIndex = Int(try r.scalar(t, OperatorField.opcodeIndex, default: UInt32(0),
                                                   field: field + ".opcode_index"))
                guard opcodeIndex < opcodeCount else {
                    throw .badOpcodeIndex(subgraph: s, operator: k, opcodeIndex: opcodeIndex, opcodeCount: opcodeCount)
                }
                let ins = try checkIndices(
                    r.integers(t, OperatorField.inputs, as: Int32.self, field: field + ".inputs"),
                    allowOmitted: true, field + ".inputs")
                let outs = try checkIndices(
                    r.integers(t, OperatorField.outputs, as: Int32.self, field: field + ".outputs"),
                    allowOmitted: true, field + ".outputs")
                operators.append(TFLiteOperator(opcodeIndex: opcodeIndex, inputs: ins, outputs: outs))
            }
        }
        let name = try r.string(table, SubGraphField.name, field: "subgraphs[\(s)].name")
        return TFLiteSubgraph(tensors: tensors, operators: operators, inputs: inputs, outputs: outputs, name: name)
    }

    private mutating func parseTensor(_ t: FlatBufferTable, _ s: Int, _ i: Int,
                                      buffers: [TFLiteBuffer]) throws(TFLiteError) -> TFLiteTensor {
        func field(_ name: String) -> String { "subgraphs[\(s)].tensors[\(i)].\(name)" }

        let shape = try r.integers(t, TensorField.shape, as: Int32.self, field: field("shape"))
        let type = TFLiteTensorType(rawValue: try r.scalar(t, TensorField.type, default: UInt8(0), field: field("type")))
        let bufferIndex = Int(try r.scalar(t, TensorField.buffer, default: UInt32(0), field: field("buffer")))
        let name = try r.string(t, TensorField.name, field: field("name")) ?? ""
        let quantization = try r.subtable(t, TensorField.quantization, field: field("quantization"))
            .flatMap { (q) throws(TFLiteError) in try parseQuantization(q, field("quantization")) }
        let isVariable = try r.bool(t, TensorField.isVariable, default: false, field: field("is_variable"))
        let isSparse = try r.indirect(t, TensorField.sparsity, field: field("sparsity")) != nil

        let dataRange: Range<Int>?
        if bufferIndex < buffers.count {
            dataRange = buffers[bufferIndex].dataRange
        } else if bufferIndex == 0 {
            dataRange = nil   // no buffer table at all: nothing is constant
        } else {
            throw .badBufferIndex(subgraph: s, tensor: i, buffer: bufferIndex, bufferCount: buffers.count)
        }

        let tensor = TFLiteTensor(index: i, name: name, type: type, shape: shape, bufferIndex: bufferIndex,
                                  dataRange: dataRange, quantization: quantization,
                                  isVariable: isVariable, isSparse: isSparse)
        if let dataRange {
            try validateConstant(tensor, dataRange, s)
        }
        return tensor
    }

    /// Checks a constant tensor's data length and per-channel quantization against its shape.
    private func validateConstant(_ tensor: TFLiteTensor, _ dataRange: Range<Int>, _ s: Int) throws(TFLiteError) {
        let i = tensor.index
        guard tensor.elementCount != nil else {
            throw .badShape(subgraph: s, tensor: i, shape: tensor.shape)
        }
        if !tensor.isSparse, tensor.elementSize != nil {
            guard let expected = tensor.expectedByteCount else {
                throw .badShape(subgraph: s, tensor: i, shape: tensor.shape)
            }
            guard expected == dataRange.count else {
                throw .dataShapeMismatch(subgraph: s, tensor: i, expectedBytes: expected, actualBytes: dataRange.count)
            }
        }
        if let q = tensor.quantization, !q.hasDetails {
            if q.scales.count > 1 {
                // One scale per slice along quantized_dimension. Converters copy the weights'
                // dimension onto 1-D biases (person_detect: bias [8] with dimension 3), so a
                // tensor with exactly one element per scale is accepted whatever the dimension.
                let d = q.quantizedDimension
                let alongDimension = d >= 0 && d < tensor.shape.count && Int(tensor.shape[d]) == q.scales.count
                guard alongDimension || tensor.elementCount == q.scales.count else {
                    throw .badQuantization(subgraph: s, tensor: i, reason:
                        "\(q.scales.count) scales do not match quantized_dimension \(d) of shape \(tensor.shape)")
                }
            }
            guard q.zeroPoints.count <= 1 || q.zeroPoints.count == q.scales.count else {
                throw .badQuantization(subgraph: s, tensor: i, reason:
                    "\(q.zeroPoints.count) zero points for \(q.scales.count) scales")
            }
        }
    }

    private mutating func parseQuantization(_ q: FlatBufferTable,
                                            _ field: String) throws(TFLiteError) -> TFLiteQuantization? {
        let minV = try r.vector(q, QuantizationField.min, elementSize: 4, field: field + ".min")
        let maxV = try r.vector(q, QuantizationField.max, elementSize: 4, field: field + ".max")
        let scaleV = try r.vector(q, QuantizationField.scale, elementSize: 4, field: field + ".scale")
        let zeroV = try r.vector(q, QuantizationField.zeroPoint, elementSize: 8, field: field + ".zero_point")
        let detailsType = try r.scalar(q, QuantizationField.detailsType, default: UInt8(0), field: field + ".details_type")
        let dimension = try r.scalar(q, QuantizationField.quantizedDimension, default: Int32(0),
                                     field: field + ".quantized_dimension")

        let empty = (minV?.count ?? 0) == 0 && (maxV?.count ?? 0) == 0
            && (scaleV?.count ?? 0) == 0 && (zeroV?.count ?? 0) == 0
        if empty && detailsType == 0 { return nil }   // converters emit empty tables for float tensors

        return TFLiteQuantization(
            scales: try scaleV.map { (v) throws(TFLiteError) in try r.floats(v, field: field + ".scale") } ?? [],
            zeroPoints: try zeroV.map { (v) throws(TFLiteError) in try r.integers(v, as: Int64.self, field: field + ".zero_point") } ?? [],
            quantizedDimension: Int(dimension),
            min: try minV.map { (v) throws(TFLiteError) in try r.floats(v, field: field + ".min") } ?? [],
            max: try maxV.map { (v) throws(TFLiteError) in try r.floats(v, field: field + ".max") } ?? [],
            scaleRange: scaleV?.byteRange, zeroPointRange: zeroV?.byteRange,
            minRange: minV?.byteRange, maxRange: maxV?.byteRange,
            hasDetails: detailsType != 0)
    }
}
