import AdapterFormat

/// A byte range of a model file with what it holds, used to pick the op that
/// describes its change best.
public struct ModelRegion: Equatable, Sendable {
    public enum Content: Equatable, Sendable {
        /// int8 (or uint8) weights: mod-256 differences.
        case int8Weights
        /// int32 values (biases): differences of integers.
        case int32Values
        /// float32 scales or int64 zero points: XOR of bit patterns, sent in the scales section.
        case quantization(TensorMapEntry.Role)
        /// Any other tensor data.
        case otherTensor
    }

    public var range: Range<Int>
    public var content: Content
    public var tensor: TFLiteTensor?

    /// The regions of a parsed model, sorted by offset, without overlaps.
    public static func regions(of model: TFLiteModel) -> [ModelRegion] {
        var list: [ModelRegion] = []
        for tensor in model.subgraphs.flatMap(\.tensors) {
            if let range = tensor.dataRange, !range.isEmpty {
                let content: Content
                switch tensor.type {
                case .int8, .uint8: content = .int8Weights
                case .int32 where range.count % 4 == 0: content = .int32Values
                default: content = .otherTensor
                }
                list.append(ModelRegion(range: range, content: content, tensor: tensor))
            }
            if let q = tensor.quantization {
                if let r = q.scaleRange, !r.isEmpty {
                    list.append(ModelRegion(range: r, content: .quantization(.scales), tensor: tensor))
                }
                if let r = q.zeroPointRange, !r.isEmpty {
                    list.append(ModelRegion(range: r, content: .quantization(.zeroPoints), tensor: tensor))
                }
            }
        }
        list.sort { $0.range.lowerBound < $1.range.lowerBound }
        // Shared buffers or shared quantization vectors: keep the first claim.
        var result: [ModelRegion] = []
        for region in list where result.last.map({ $0.range.upperBound <= region.range.lowerBound }) ?? true {
            result.append(region)
        }
        return result
    }

    /// The tensor-map entry describing this region.
    func mapEntry() -> TensorMapEntry {
        var shape: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        let dims = (tensor?.shape ?? []).prefix(4).map { UInt32(clamping: $0) }
        withUnsafeMutableBytes(of: &shape) { raw in
            for (i, d) in dims.enumerated() { raw.storeBytes(of: d, toByteOffset: i * 4, as: UInt32.self) }
        }
        let role: TensorMapEntry.Role
        switch content {
        case .int8Weights: role = .weights
        case .int32Values: role = .bias
        case .quantization(let r): role = r
        case .otherTensor: role = .other
        }
        let q = tensor?.quantization
        return TensorMapEntry(
            offset: UInt32(range.lowerBound), length: UInt32(range.count),
            elementType: tensor?.type.rawValue ?? 255, rank: UInt8(dims.count),
            quantizedDimension: (q?.isPerChannel ?? false) ? UInt8(clamping: q?.quantizedDimension ?? 255) : 255,
            role: role, tensorIndex: tensor.map { UInt32($0.index) } ?? 0xFFFF_FFFF, shape: shape)
    }
}
