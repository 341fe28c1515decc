import Foundation

/// The parts of a HuggingFace PEFT `adapter_config.json` that decide what a
/// LoRA adapter changes: rank, alpha (per module through `rank_pattern` and
/// `alpha_pattern`), rsLoRA scaling, the targeted modules and the weight
/// layout of the base layers. Settings this tool cannot turn into a low-rank
/// weight change (DoRA, trained biases, whole modules saved) are refused.
public struct PEFTConfig: Sendable, Equatable {
    /// `target_modules`: names matched at the end of a module path, or one
    /// regular expression matched against the whole path.
    public enum Targets: Sendable, Equatable {
        case names([String])
        case pattern(String)
        /// PEFT's `"all-linear"` shorthand.
        case allLinear
    }

    public var r: Int
    public var loraAlpha: Double
    public var useRSLoRA: Bool
    public var targets: Targets
    /// True when the base layers store their weight as in × out (GPT-2's
    /// Conv1D); the factors are still A: r × in and B: out × r.
    public var fanInFanOut: Bool
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]
    /// `base_model_name_or_path`: the model the adapter was trained on, when named.
    public var baseModel: String?

    public init(r: Int, loraAlpha: Double, useRSLoRA: Bool = false, targets: Targets = .allLinear,
                fanInFanOut: Bool = false, rankPattern: [String: Int] = [:], alphaPattern: [String: Double] = [:],
                baseModel: String? = nil) {
        self.r = r
        self.loraAlpha = loraAlpha
        self.useRSLoRA = useRSLoRA
        self.targets = targets
        self.fanInFanOut = fanInFanOut
        self.rankPattern = rankPattern
        self.alphaPattern = alphaPattern
        self.baseModel = baseModel
    }

    /// Reads and parses adapter_config.json at `path`; a file that cannot be read
    /// throws ``FileIOError`` (which says why), one that is wrong throws
    /// `PEFTError.configFile` naming `path`.
    public init(contentsOf path: String) throws {
        let data = Data(try FileIO.read(path, limit: .json))
        do {
            try self.init(json: data)
        } catch PEFTError.config(let why) {
            throw PEFTError.configFile(path: path, why)
        }
    }

    /// The largest rank a factor block can carry (its rank field is one byte).
    public static let maxRank = 255
    /// Larger scalings (α / r) than this saturate every weight; refused as a mistake.
    public static let maxAlpha = 1_000_000.0

    public init(json data: Data) throws {
        let object: [String: Any]
        switch JSONObject.parse(data) {
        case .success(let parsed): object = parsed
        case .failure(let error): throw PEFTError.config(error.reason)
        }
        func number(_ key: String) -> Double? {
            guard let n = object[key] as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
            return n.doubleValue
        }
        func flag(_ key: String) throws -> Bool {
            guard let value = object[key], !(value is NSNull) else { return false }
            guard let n = value as? NSNumber, String(cString: n.objCType) == "c" else {
                throw PEFTError.config("\(key) must be true or false")
            }
            return n.boolValue
        }
        if let type = object["peft_type"] as? String, type.uppercased() != "LORA" {
            throw PEFTError.config("peft_type is \(type); only LORA adapters can be built")
        }
        // Bounded before any conversion: a rank that does not fit an Int
        // (1e300) would trap; factor blocks store it in one byte anyway.
        guard let rank = number("r"), rank == rank.rounded(), rank >= 1, rank <= Double(Self.maxRank) else {
            throw PEFTError.config("r must be an integer in 1…\(Self.maxRank)")
        }
        r = Int(rank)
        loraAlpha = number("lora_alpha") ?? Double(r)
        guard loraAlpha.isFinite, loraAlpha.magnitude <= Self.maxAlpha else {
            throw PEFTError.config("lora_alpha must be a finite number of magnitude at most \(Int(Self.maxAlpha))")
        }
        useRSLoRA = try flag("use_rslora")
        fanInFanOut = try flag("fan_in_fan_out")
        if try flag("use_dora") {
            throw PEFTError.config("use_dora is true: DoRA rescales whole weight columns and is not a low-rank change")
        }
        if let bias = object["bias"] as? String, bias != "none" {
            throw PEFTError.config("bias is \"\(bias)\": trained biases are not supported (only \"none\")")
        }
        if let saved = object["modules_to_save"] as? [Any], !saved.isEmpty {
            throw PEFTError.config("modules_to_save is set: fully retrained modules cannot travel as LoRA factors (use `adapterpack diff`)")
        }
        switch object["target_modules"] {
        case let list as [Any]:
            targets = .names(list.compactMap { $0 as? String })
        case let text as String:
            targets = text == "all-linear" ? .allLinear : .pattern(text)
        default:
            targets = .allLinear
        }
        rankPattern = [:]
        for (key, value) in object["rank_pattern"] as? [String: Any] ?? [:] {
            guard let n = value as? NSNumber, n.doubleValue == n.doubleValue.rounded(), n.intValue >= 1 else {
                throw PEFTError.config("rank_pattern[\"\(key)\"] must be a positive integer")
            }
            rankPattern[key] = n.intValue
        }
        alphaPattern = [:]
        for (key, value) in object["alpha_pattern"] as? [String: Any] ?? [:] {
            guard let n = value as? NSNumber else { throw PEFTError.config("alpha_pattern[\"\(key)\"] must be a number") }
            alphaPattern[key] = n.doubleValue
        }
        baseModel = (object["base_model_name_or_path"] as? String).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether `module` (its path without `base_model.model.`) is targeted.
    public func targets(_ module: String) -> Bool {
        switch targets {
        case .allLinear: return true
        case .names(let names): return names.contains { module == $0 || module.hasSuffix("." + $0) }
        case .pattern(let pattern): return Self.fullMatch(pattern, module)
        }
    }

    /// The rank of `module`: `rank_pattern` first, else `r`.
    public func rank(for module: String) -> Int {
        Self.patternKey(rankPattern.keys, module).flatMap { rankPattern[$0] } ?? r
    }

    /// The alpha of `module`: `alpha_pattern` first, else `lora_alpha`.
    public func alpha(for module: String) -> Double {
        Self.patternKey(alphaPattern.keys, module).flatMap { alphaPattern[$0] } ?? loraAlpha
    }

    /// s in ΔW = s·B·A: alpha / r, or alpha / √r with rsLoRA.
    public func scaling(for module: String) -> Double {
        let rank = Double(rank(for: module))
        return alpha(for: module) / (useRSLoRA ? rank.squareRoot() : rank)
    }

    /// PEFT's rule: a pattern key applies when the module path is the key or
    /// ends with "." + key, the key read as a regular expression
    /// (`(.*\.)?(key)$`). An exact key wins; among several matching keys the
    /// longest does (so the choice does not depend on JSON key order).
    static func patternKey<Keys: Sequence>(_ keys: Keys, _ module: String) -> String? where Keys.Element == String {
        let list = Array(keys)
        if list.contains(module) { return module }
        let matching = list.filter { fullMatch("(.*\\.)?(\($0))", module) }
        return matching.max { ($0.count, $1) < ($1.count, $0) }
    }

    static func fullMatch(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
        let range = NSRange(text.startIndex ..< text.endIndex, in: text)
        return regex.firstMatch(in: text, range: range) != nil
    }
}

/// Why an adapter could not be read or used.
public enum PEFTError: Error, Equatable, CustomStringConvertible {
    case unreadable(String)
    case config(String)
    /// A config error in the file at `path`.
    case configFile(path: String, String)
    case tensors(String)
    case map(String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read \(path)"
        case .config(let why): return "adapter_config.json: \(why)"
        case .configFile(let path, let why): return "\(path): \(why)"
        case .tensors(let why): return "adapter_model.safetensors: \(why)"
        case .map(let why): return "tensor map: \(why)"
        }
    }
}
