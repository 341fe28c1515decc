import AdapterFormat
import AdapterLoader

// Human-readable names for the device's enums (the device itself has no
// string formatting), and the helpers of the error messages. The messages
// themselves are in ErrorMessages.swift, generated from the error
// declarations by Scripts/generate-errors.py.

extension SectionKind: CustomStringConvertible {
    public var description: String {
        switch self {
        case .metadata: return "metadata"
        case .tensorMap: return "tensor-map"
        case .layout: return "layout"
        case .scales: return "scales"
        case .payload: return "payload"
        case .undo: return "undo"
        case .factors: return "factors"
        case .signature: return "signature"
        }
    }
}

func kindName(_ raw: UInt16) -> String {
    SectionKind(rawValue: raw).map { "\($0) (kind \(raw))" } ?? "kind \(raw)"
}

extension LoaderFeature: CustomStringConvertible {
    /// The name `diff --without` takes.
    public var description: String {
        switch self {
        case .deflate: return "deflate"
        case .lora: return "lora"
        case .lowRank: return "low-rank"
        case .layout: return "layout"
        }
    }

    /// The compile condition's suffix: ADAPTERPACK_NO_<suffix>.
    public var conditionSuffix: String {
        switch self {
        case .deflate: return "DEFLATE"
        case .lora: return "LORA"
        case .lowRank: return "LOW_RANK"
        case .layout: return "LAYOUT"
        }
    }
}

/// The message of `LoaderError.notBuiltIn` (ErrorMessages.swift is generated
/// from LoaderError.swift; this one needs a choice): how to make a bundle the
/// loader can apply.
func notBuiltInMessage(_ feature: LoaderFeature) -> String {
    let fix = feature == .lora
        ? "LoRA operations come only from `adapterpack build`: ship a `diff` of the LoRA-merged model instead"
        : "make the bundle with `adapterpack diff --without \(feature)`"
    return "this loader was built without \(feature) support (ADAPTERPACK_NO_\(feature.conditionSuffix)); \(fix)"
}
