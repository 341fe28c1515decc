import Foundation

/// The base-model tensors one LoRA module changes.
public struct LoRATarget: Sendable {
    public var module: LoRAModule
    /// int8 weights, out × in, quantized per output channel (or per tensor).
    public var weight: TFLiteTensor
    /// The layer's int32 bias, when it has one.
    public var bias: TFLiteTensor?
    /// How the tensor was chosen, for the build report.
    public var matchedBy: String
    /// Levels the factors are quantized to (8 bits: the exact default).
    public var bits = FactorBits.exact

    /// The float32 scale vectors a rescaled row changes: the weights', and the
    /// bias's when it has one scale per weight scale.
    var scaleVectors: [Range<Int>] {
        var vectors = [weight.quantization?.scaleRange].compactMap { $0 }
        if let bq = bias?.quantization, let range = bq.scaleRange, bq.scales.count == weight.quantization?.scales.count {
            vectors.append(range)
        }
        return vectors
    }
}

/// Finds the weight (and bias) tensor of the base model each module adapts:
/// from a `tensor_map.json` when given, else by the unique int8 constant of
/// shape [out, in]; refuses ambiguity instead of guessing.
public enum LoRATargetResolver {
    /// `mapName` is the map's path, for messages about the file itself.
    public static func resolve(_ modules: [LoRAModule], in model: TFLiteModel, map: Data?,
                               mapName: String = "tensor_map.json") throws -> [LoRATarget] {
        guard let graph = model.subgraphs.first else { throw PEFTError.map("the base model has no subgraph") }
        let entries = try map.map { try parseMap($0, name: mapName) } ?? [:]
        var targets: [LoRATarget] = []
        for module in modules {
            let weight: TFLiteTensor
            var biasIndex: Int?
            let how: String
            if map != nil {
                guard let entry = entries[PEFTAdapter.prefix + module.name] ?? entries[module.name] else {
                    throw PEFTError.map("no entry for module \(module.name) (keys: \(entries.keys.sorted().joined(separator: ", ")))")
                }
                guard graph.tensors.indices.contains(entry.index) else {
                    throw PEFTError.map("module \(module.name): tensor index \(entry.index) is not in subgraph 0 (\(graph.tensors.count) tensors)")
                }
                weight = graph.tensors[entry.index]
                if let name = entry.tensorName, name != weight.name {
                    throw PEFTError.map("module \(module.name): \(mapName) names tensor \(entry.index) '\(name)', the base model's "
                        + "tensor \(entry.index) is '\(weight.name)': the map was made for another model")
                }
                if let shape = entry.shape, shape != module.tfliteShape {
                    throw PEFTError.map("module \(module.name): map says shape \(shape), the adapter's \(module.layerKind) B·A is \(module.tfliteShape)")
                }
                let layout = module.kernel.isEmpty ? "out_in" : "ohwi"
                if let given = entry.layout, given != layout {
                    throw PEFTError.map("module \(module.name): layout \"\(given)\" is not supported for a \(module.layerKind) module "
                        + "(only \"\(layout)\": one output channel per row\(module.kernel.isEmpty ? "" : ", kernel height, width, input channels within it"))")
                }
                biasIndex = entry.biasIndex
                how = "tensor_map.json: tensor \(entry.index) '\(weight.name)'"
            } else {
                let shape = module.tfliteShape.map { Int32(clamping: $0) }
                let candidates = graph.tensors.filter { $0.type == .int8 && $0.isConstant && $0.shape == shape }
                guard let only = candidates.first else {
                    throw PEFTError.map("module \(module.name): no int8 constant tensor of shape \(shape) in the base model; give --map")
                }
                guard candidates.count == 1 else {
                    let list = candidates.map { "\($0.index) '\($0.name)'" }.joined(separator: ", ")
                    throw PEFTError.map("module \(module.name): shape \(shape) is ambiguous (tensors \(list)); give --map tensor_map.json")
                }
                weight = only
                how = "unique shape \(shape): tensor \(only.index) '\(only.name)'"
            }
            try checkOperator(weight, module, model: model, graph: graph)
            try checkWeight(weight, module)
            if biasIndex == nil {
                biasIndex = graph.operators.first { $0.inputs.count >= 3 && $0.inputs[1] == weight.index && $0.inputs[2] >= 0 }?.inputs[2]
            }
            var bias: TFLiteTensor?
            if let biasIndex {
                guard graph.tensors.indices.contains(biasIndex) else {
                    throw PEFTError.map("module \(module.name): bias index \(biasIndex) is not in subgraph 0")
                }
                bias = graph.tensors[biasIndex]
                try checkBias(bias!, module, perChannel: weight.quantization?.isPerChannel ?? false)
            }
            if let other = targets.first(where: { $0.weight.index == weight.index }) {
                throw PEFTError.map("modules \(other.module.name) and \(module.name) both map to tensor \(weight.index)")
            }
            targets.append(LoRATarget(module: module, weight: weight, bias: bias, matchedBy: how))
        }
        return targets
    }

    struct MapEntry {
        var index: Int
        /// The tensor's name in the model the map was made for ("tensor").
        var tensorName: String?
        var shape: [Int]?
        var layout: String?
        var biasIndex: Int?
    }

    static func parseMap(_ data: Data, name: String = "tensor_map.json") throws -> [String: MapEntry] {
        let object: [String: Any]
        switch JSONObject.parse(data) {
        case .success(let parsed): object = parsed
        case .failure(let error): throw PEFTError.map("\(name) \(error.reason)")
        }
        var result: [String: MapEntry] = [:]
        for (key, value) in object {
            guard let item = value as? [String: Any], let index = (item["index"] as? NSNumber)?.intValue else {
                throw PEFTError.map("\(name): entry \(key) has no integer \"index\"")
            }
            if let subgraph = (item["subgraph"] as? NSNumber)?.intValue, subgraph != 0 {
                throw PEFTError.map("\(name): entry \(key): subgraph \(subgraph) (only subgraph 0 is supported)")
            }
            result[key] = MapEntry(index: index, tensorName: item["tensor"] as? String, shape: (item["shape"] as? [NSNumber])?.map(\.intValue),
                                   layout: item["layout"] as? String, biasIndex: (item["bias_index"] as? NSNumber)?.intValue)
        }
        return result
    }

    /// TFLite builtin operator codes (schema.fbs `BuiltinOperator`).
    enum Builtin {
        static let conv2D: Int32 = 3, depthwiseConv2D: Int32 = 4, fullyConnected: Int32 = 9
    }

    /// The operators that read the weight tensor must be the layer type the
    /// factors are for: FULLY_CONNECTED for Linear, CONV_2D for Conv1d/Conv2d.
    /// A depthwise kernel (1 × kh × kw × channels) is refused by name: PEFT has no LoRA of that layout.
    static func checkOperator(_ t: TFLiteTensor, _ module: LoRAModule, model: TFLiteModel, graph: TFLiteSubgraph) throws {
        let name = "module \(module.name): tensor \(t.index) '\(t.name)'"
        let expected = module.kernel.isEmpty ? Builtin.fullyConnected : Builtin.conv2D
        for op in graph.operators where op.inputs.count >= 2 && op.inputs[1] == t.index {
            let code = model.builtinCode(of: op)
            if code == Builtin.depthwiseConv2D {
                throw PEFTError.map("\(name) is the kernel of a DEPTHWISE_CONV_2D: depthwise convolutions are not supported "
                    + "(LoRA adapts Linear, Conv1d and Conv2d layers only)")
            }
            guard code == expected else {
                let what = code == Builtin.conv2D ? "a CONV_2D" : code == Builtin.fullyConnected ? "a FULLY_CONNECTED"
                    : "builtin operator \(code.map(String.init) ?? "?")"
                throw PEFTError.map("\(name) is read by \(what) as its weights, "
                    + "not by the \(module.kernel.isEmpty ? "FULLY_CONNECTED" : "CONV_2D") a \(module.layerKind) module needs")
            }
        }
    }

    static func checkWeight(_ t: TFLiteTensor, _ module: LoRAModule) throws {
        let name = "module \(module.name): tensor \(t.index) '\(t.name)'"
        // A map entry that names a bias, an activation or a scale tensor: say so before its shape.
        guard t.type == .int8, t.isConstant else {
            throw PEFTError.map("\(name) is not an int8 weight tensor (\(t.type)\(t.isConstant ? "" : ", not a constant"), shape \(t.shape)): "
                + "the map must name the layer's int8 weights")
        }
        // Then the shape: on the wrong base model it is what differs.
        guard t.shape.map(Int.init) == module.tfliteShape else {
            throw PEFTError.map("\(name) has shape \(t.shape), the adapter's \(module.layerKind) B·A is \(module.tfliteShape)")
        }
        guard t.type == .int8, let range = t.dataRange, !t.isSparse else {
            throw PEFTError.map("\(name) is not a dense int8 constant (\(t.type)\(t.dataRange == nil ? ", no constant data" : t.isSparse ? ", sparse" : ""))")
        }
        guard range.count == module.outFeatures * module.inFeatures else {
            throw PEFTError.map("\(name) holds \(range.count) bytes of data, the adapter's B·A needs \(module.outFeatures * module.inFeatures)")
        }
        guard module.outFeatures <= Int(UInt16.max), module.inFeatures <= Int(UInt16.max) else {
            throw PEFTError.map("\(name): dimensions over 65535 are not supported")
        }
        guard let q = t.quantization, !q.hasDetails, q.scales.count == 1 || q.scales.count == module.outFeatures,
              q.scaleRange != nil else {
            throw PEFTError.map("\(name) needs per-tensor or per-output-channel float32 scales")
        }
        guard !q.isPerChannel || q.quantizedDimension == 0 else {
            throw PEFTError.map("\(name) is quantized along dimension \(q.quantizedDimension); only 0 (output channels) is supported")
        }
        guard q.zeroPoints.allSatisfy({ $0 == 0 }) else { throw PEFTError.map("\(name) has nonzero zero points (not symmetric int8)") }
        guard q.scales.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw PEFTError.map("\(name) has a scale that is not a positive number") }
    }

    static func checkBias(_ t: TFLiteTensor, _ module: LoRAModule, perChannel: Bool) throws {
        let name = "module \(module.name): bias tensor \(t.index) '\(t.name)'"
        guard t.type == .int32, let range = t.dataRange, range.count == 4 * module.outFeatures else {
            throw PEFTError.map("\(name) is not an int32 constant of \(module.outFeatures) values")
        }
        if let q = t.quantization, !q.scales.isEmpty {
            guard q.scales.count == 1 || q.scales.count == module.outFeatures, q.scaleRange != nil else {
                throw PEFTError.map("\(name) has \(q.scales.count) scales for \(module.outFeatures) channels")
            }
        }
    }
}
