import XCTest
@testable import AdapterPack

/// Adapter configs, factors and model scales with hostile values are refused
/// with a message, never converted into a trap (found by Tests/Fuzz).
final class HostileAdapterTests: XCTestCase {
    func config(_ json: String) -> Error? {
        do { _ = try PEFTConfig(json: Data(json.utf8)); return nil } catch { return error }
    }

    func testRankAndAlphaMustBeBounded() {
        for r in ["1e300", "256", "0", "-3", "2.5"] {
            let error = config(#"{"peft_type": "LORA", "r": \#(r), "target_modules": ["fc1"]}"#)
            XCTAssertTrue("\(error.map { "\($0)" } ?? "accepted")".contains("r must be an integer in 1…255"), "r = \(r): \(String(describing: error))")
        }
        let alpha = config(#"{"peft_type": "LORA", "r": 4, "lora_alpha": 1e308, "target_modules": ["fc1"]}"#)
        XCTAssertTrue("\(alpha.map { "\($0)" } ?? "accepted")".contains("lora_alpha must be a finite number"), String(describing: alpha))
        XCTAssertNil(config(#"{"peft_type": "LORA", "r": 255, "lora_alpha": 16, "target_modules": ["fc1"]}"#))
    }

    func module(a: Double = 0.5, b: Double = 0.25, scaling: Double = 1) -> LoRAModule {
        LoRAModule(name: "fc1", rank: 1, inFeatures: 2, outFeatures: 2, scaling: scaling, a: [a, -a], b: [b, b])
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "accepted" } catch { return "\(error)" }
    }

    func testScalesAndFactorsMustBeFinite() {
        for scale in [0.0, -1, .infinity, .nan] {
            let text = message { _ = try LoRAQuantizer.quantize(module(), weightScales: [scale, 0.01]) }
            XCTAssertTrue(text.contains("quantization scale 0 is"), "scale \(scale): \(text)")
        }
        XCTAssertTrue(message { _ = try LoRAQuantizer.quantize(module(a: .nan), weightScales: [0.01]) }.contains("not all finite"))
        XCTAssertTrue(message { _ = try LoRAQuantizer.quantize(module(scaling: .infinity), weightScales: [0.01]) }.contains("not all finite"))
        // Finite inputs whose product overflows: a message with the size, not a trap.
        let huge = message { _ = try LoRAQuantizer.quantize(module(a: 1e300, b: 1e300), weightScales: [1e-300]) }
        XCTAssertTrue(huge.contains("row 0"), huge)
        XCTAssertEqual(message { _ = try LoRAQuantizer.quantize(module(), weightScales: [0.01]) }, "accepted")
    }
}
