import Foundation

/// Paths inside the repository (found from this file's place in it) and its
/// sibling `shared/` folder. Every test reads the committed models from their
/// one copy through here; none is copied into a test bundle.
public enum RepoPaths {
    /// The repository root: this file is Tests/TestSupport/RepoPaths.swift.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    public static var vectors: URL { root.appendingPathComponent("Spec/vectors") }
    public static var keys: URL { root.appendingPathComponent("Keys") }
    /// The digits models, LoRA adapter and eval data of the README's example.
    public static var digits: URL { root.appendingPathComponent("Examples/digits") }
    /// TFLM models only the tests and benchmarks use.
    public static var tflm: URL { root.appendingPathComponent("Tests/AdapterPackTests/Fixtures") }
    public static var shared: URL { root.deletingLastPathComponent().appendingPathComponent("shared") }

    /// The digits models (Examples/digits).
    public static let digitsModels = ["base", "full-ft", "head-ft", "lora"]
    /// The TFLM models. `hello_world_int8` is Spec/vectors/hello_world_base.tflite.
    public static let tflmModels = ["hello_world_int8", "micro_speech_quantized", "keyword_scrambled_8bit", "trained_lstm_int8"]

    /// Where the model `name` (without `.tflite`) is committed.
    public static func model(_ name: String) -> URL {
        if digitsModels.contains(name) { return digits.appendingPathComponent("\(name).tflite") }
        if name == "hello_world_int8" { return vectors.appendingPathComponent("hello_world_base.tflite") }
        return tflm.appendingPathComponent("\(name).tflite")
    }

    /// The bytes of the model `name`; traps when it is missing.
    public static func modelBytes(_ name: String) -> [UInt8] {
        guard let bytes = try? bytes(model(name)) else { fatalError("missing model \(model(name).path)") }
        return bytes
    }

    public static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
}
