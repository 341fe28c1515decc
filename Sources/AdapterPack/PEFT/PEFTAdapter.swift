import Foundation

/// One adapted module: its low-rank factors in float (exact copies of the
/// file's values) and the scaling that turns them into a weight change.
public struct LoRAModule: Sendable, Equatable {
    /// Module path without `base_model.model.` (e.g. `fc1`, `model.layers.0.q_proj`).
    public var name: String
    public var rank: Int
    public var inFeatures: Int
    public var outFeatures: Int
    /// s in ΔW = s·B·A.
    public var scaling: Double
    /// A, rank × in, row-major. For a convolution, `in` = kh·kw·channels and
    /// each row of A is in TFLite's kernel order (h, w, channel): row o of ΔW
    /// is then output channel o of an OHWI kernel, as for a Dense layer.
    public var a: [Double]
    /// B, out × rank, row-major.
    public var b: [Double]
    /// A convolution's kernel height and width ([] for a Linear layer).
    public var kernel: [Int]

    public init(name: String, rank: Int, inFeatures: Int, outFeatures: Int, scaling: Double, a: [Double], b: [Double],
                kernel: [Int] = []) {
        precondition(a.count == rank * inFeatures && b.count == outFeatures * rank)
        self.name = name
        self.rank = rank
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.scaling = scaling
        self.a = a
        self.b = b
        self.kernel = kernel
    }

    /// Number of factor values, r·(in + out).
    public var factorCount: Int { rank * (inFeatures + outFeatures) }

    /// The shape of the int8 weight tensor this module changes, as TFLite
    /// stores it: [out, in] for Dense, [out, kh, kw, channels] (OHWI) for Conv2D.
    public var tfliteShape: [Int] {
        guard kernel.count == 2 else { return [outFeatures, inFeatures] }
        return [outFeatures, kernel[0], kernel[1], inFeatures / (kernel[0] * kernel[1])]
    }

    /// "Linear" or "Conv2d k×k", for messages.
    public var layerKind: String { kernel.count == 2 ? "Conv2d \(kernel[0])×\(kernel[1])" : "Linear" }
}

/// A PEFT LoRA adapter directory: `adapter_config.json` and
/// `adapter_model.safetensors` with `base_model.model.<module>.lora_A.weight`
/// (r × in) and `….lora_B.weight` (out × r) per module.
public struct PEFTAdapter: Sendable {
    public static let prefix = "base_model.model."

    public let config: PEFTConfig
    /// Modules sorted by name.
    public let modules: [LoRAModule]
    /// SHA-256 of the safetensors file (the adapter's identity in metadata).
    public let weightsSHA256: String

    public init(directory: String) throws {
        let dir = URL(fileURLWithPath: directory)
        let config = try PEFTConfig(contentsOf: dir.appendingPathComponent("adapter_config.json").path)
        let path = dir.appendingPathComponent("adapter_model.safetensors").path
        let weights: SafetensorsFile
        do {
            weights = try SafetensorsFile(contentsOf: path)
        } catch FileIOError.missing {
            throw PEFTError.unreadable(path + " (only safetensors adapters are read; convert adapter_model.bin first)")
        }
        try self.init(config: config, weights: weights)
    }

    public init(config: PEFTConfig, weights: SafetensorsFile) throws {
        self.config = config
        weightsSHA256 = sha256(weights.bytes).hex
        var factors: [String: (a: SafetensorsFile.Tensor?, b: SafetensorsFile.Tensor?)] = [:]
        for tensor in weights.tensors {
            guard let (module, which) = Self.parseKey(tensor.name) else {
                throw PEFTError.tensors("unexpected tensor '\(tensor.name)': only base_model.model.<module>.lora_A.weight and .lora_B.weight are supported (no embeddings, DoRA magnitudes or biases)")
            }
            if which == "A" { factors[module, default: (nil, nil)].a = tensor } else { factors[module, default: (nil, nil)].b = tensor }
        }
        guard !factors.isEmpty else { throw PEFTError.tensors("no LoRA tensors") }
        var modules: [LoRAModule] = []
        for (name, pair) in factors.sorted(by: { $0.key < $1.key }) {
            guard let a = pair.a, let b = pair.b else {
                throw PEFTError.tensors("module \(name) has lora_\(pair.a == nil ? "B" : "A") but not lora_\(pair.a == nil ? "A" : "B")")
            }
            guard config.targets(name) else {
                throw PEFTError.tensors("module \(name) has LoRA tensors but is not in target_modules")
            }
            let layer = try Self.layer(name, a: a.shape, b: b.shape)
            let rank = config.rank(for: name)
            guard a.shape[0] == rank, b.shape[1] == rank else {
                throw PEFTError.tensors("module \(name): lora_A \(a.shape) and lora_B \(b.shape) do not have the configured rank \(rank)")
            }
            guard rank <= 128 else { throw PEFTError.tensors("module \(name): rank \(rank) is over the format's limit of 128") }
            guard a.shape[1] > 0, b.shape[0] > 0 else { throw PEFTError.tensors("module \(name): empty factor") }
            let aValues = weights.values(a), bValues = weights.values(b)
            guard (aValues + bValues).allSatisfy({ $0.isFinite }) else {
                throw PEFTError.tensors("module \(name): factors contain NaN or infinity")
            }
            let columns = layer.channels * layer.kernel.reduce(1, *)
            modules.append(LoRAModule(name: name, rank: rank, inFeatures: columns, outFeatures: b.shape[0],
                                      scaling: config.scaling(for: name),
                                      a: Self.kernelOrder(aValues, rank: rank, channels: layer.channels, kernel: layer.kernel),
                                      b: bValues, kernel: layer.kernel.count == 2 ? layer.kernel : []))
        }
        self.modules = modules
    }

    /// The layer type the factor shapes say: Linear (lora_A r×in, lora_B
    /// out×r), Conv2d (lora_A r×in×kh×kw, lora_B out×r×1×1) or Conv1d
    /// (lora_A r×in×k, lora_B out×r×1; TFLite keeps it as a Conv2D of kernel
    /// 1×k). Returns the input channels and the kernel ([1, k] for Conv1d).
    static func layer(_ name: String, a: [Int], b: [Int]) throws -> (channels: Int, kernel: [Int]) {
        let shapes = "lora_A \(a) and lora_B \(b)"
        switch (a.count, b.count) {
        case (2, 2):
            return (a[1], [])
        case (4, 4):
            guard b[2] == 1, b[3] == 1 else {
                throw PEFTError.tensors("module \(name): \(shapes): lora_B of a Conv2d must be a 1×1 convolution (PEFT's layout)")
            }
            guard a[2] > 0, a[3] > 0 else { throw PEFTError.tensors("module \(name): \(shapes): empty kernel") }
            return (a[1], [a[2], a[3]])
        case (3, 3):
            guard b[2] == 1 else {
                throw PEFTError.tensors("module \(name): \(shapes): lora_B of a Conv1d must be a kernel-1 convolution (PEFT's layout)")
            }
            guard a[2] > 0 else { throw PEFTError.tensors("module \(name): \(shapes): empty kernel") }
            return (a[1], [1, a[2]])
        default:
            throw PEFTError.tensors("module \(name): \(shapes) are not the factors of a Linear, Conv1d or Conv2d layer "
                + "(only those layer types are supported; Conv3d and embeddings are not)")
        }
    }

    /// A of a convolution, r × channels × kh × kw (PyTorch's OIHW), as r rows
    /// in TFLite's kernel order (kh, kw, channels); a Linear A as it is.
    static func kernelOrder(_ a: [Double], rank: Int, channels: Int, kernel: [Int]) -> [Double] {
        guard kernel.count == 2 else { return a }
        let kh = kernel[0], kw = kernel[1], columns = channels * kh * kw
        var out = [Double](repeating: 0, count: a.count)
        for k in 0 ..< rank {
            for c in 0 ..< channels { for y in 0 ..< kh { for x in 0 ..< kw {
                out[k * columns + (y * kw + x) * channels + c] = a[k * columns + (c * kh + y) * kw + x]
            } } }
        }
        return out
    }

    /// (module, "A" | "B") from `base_model.model.<module>.lora_A.weight`
    /// (an adapter name before `.weight`, as PEFT keeps in memory, is accepted).
    static func parseKey(_ key: String) -> (String, String)? {
        guard key.hasPrefix(prefix), key.hasSuffix(".weight") else { return nil }
        var parts = key.dropFirst(prefix.count).dropLast(".weight".count).split(separator: ".", omittingEmptySubsequences: false)
        if parts.count >= 3, parts[parts.count - 2] == "lora_A" || parts[parts.count - 2] == "lora_B" { parts.removeLast() }
        guard parts.count >= 2, let last = parts.last, last == "lora_A" || last == "lora_B" else { return nil }
        let module = parts.dropLast().joined(separator: ".")
        guard !module.isEmpty else { return nil }
        return (module, last == "lora_A" ? "A" : "B")
    }
}
