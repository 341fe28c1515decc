import Foundation
import AdapterPack
import TestSupport

/// Test inputs: the committed models (read where `RepoPaths` finds them), and keys made once.
enum Fixtures {
    static func model(_ name: String) -> [UInt8] { RepoPaths.modelBytes(name) }

    static let ed25519Key: SigningKey = try! SigningKey.generate(.ed25519)
    static let otherKey: SigningKey = try! SigningKey.generate(.ed25519)
    static let p256Key: SigningKey = try! SigningKey.generate(.ecdsaP256SHA256)

    static var trusted: TrustedKeys { TrustedKeys([ed25519Key.verifyingKey, p256Key.verifyingKey]) }

    static let digitsVariants = ["full-ft", "head-ft", "lora"]
    static let tflmModels = RepoPaths.tflmModels

    /// A deterministic fine-tune-like change: nudges int8 weights of every
    /// other constant int8 tensor and flips one scale, with a fixed seed.
    static func perturbed(_ model: [UInt8], seed: UInt64) -> [UInt8] {
        var out = model
        var rng = TestRNG(seed: seed)
        let parsed = try! TFLiteModel(bytes: model)
        for tensor in parsed.subgraphs[0].tensors where tensor.type == .int8 {
            guard let range = tensor.dataRange else { continue }
            for i in range where rng.next() % 4 == 0 {
                out[i] = out[i] &+ UInt8(truncatingIfNeeded: Int(rng.next() % 5) - 2)
            }
            if let scales = tensor.quantization?.scaleRange, !scales.isEmpty {
                out[scales.lowerBound] ^= 0x01
            }
        }
        return out
    }
}

