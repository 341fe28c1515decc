import Foundation
#if canImport(AdapterPack)
import AdapterPack
#endif

/// The host readers of files that come from training pipelines: each either
/// refuses with its typed error or returns a model whose ranges lie inside
/// the file.
enum HostParserChecks {
    static func tflite(_ input: [UInt8]) throws(InvariantViolation) {
        guard let model = try? TFLiteModel(bytes: input) else { return }
        // Every byte range the reader hands out must lie inside the file.
        for tensor in model.subgraphs.flatMap(\.tensors) {
            if let range = tensor.dataRange, range.lowerBound < 0 || range.upperBound > input.count {
                throw InvariantViolation(description: "tensor \(tensor.index) data \(range) outside the file")
            }
            if let range = tensor.quantization?.scaleRange, range.lowerBound < 0 || range.upperBound > input.count {
                throw InvariantViolation(description: "tensor \(tensor.index) scales \(range) outside the file")
            }
        }
    }

    static func safetensors(_ input: [UInt8]) throws(InvariantViolation) {
        _ = try? SafetensorsFile(bytes: input)
    }

    static func peftConfig(_ input: [UInt8]) throws(InvariantViolation) {
        _ = try? PEFTConfig(json: Data(input))
    }
}
