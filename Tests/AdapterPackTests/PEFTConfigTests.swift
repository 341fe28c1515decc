import XCTest
@testable import AdapterPack
import TestSupport

/// adapter_config.json: ranks, alphas, patterns, rsLoRA and refusals.
final class PEFTConfigTests: XCTestCase {
    func config(_ json: String) throws -> PEFTConfig { try PEFTConfig(json: Data(json.utf8)) }

    func testCorpusConfig() throws {
        let path = RepoPaths.root.appendingPathComponent("Examples/digits/lora-adapter/adapter_config.json").path
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("shared corpus not present") }
        let c = try PEFTConfig(contentsOf: path)
        XCTAssertEqual(c.r, 4)
        XCTAssertEqual(c.scaling(for: "fc1"), 2)
        XCTAssertTrue(c.targets("fc1"))
        XCTAssertFalse(c.targets("conv1"))
    }

    func testPatternsAndRSLoRA() throws {
        let c = try config("""
        {"peft_type": "LORA", "r": 8, "lora_alpha": 16, "use_rslora": true, "fan_in_fan_out": true,
         "target_modules": ["q_proj", "v_proj"],
         "rank_pattern": {"layers.0.self_attn.q_proj": 4, "v_proj": 2, "layers\\\\.[0-9]+\\\\.mlp": 16},
         "alpha_pattern": {"v_proj": 4}}
        """)
        XCTAssertTrue(c.fanInFanOut)
        XCTAssertEqual(c.rank(for: "model.layers.0.self_attn.q_proj"), 4)       // suffix key
        XCTAssertEqual(c.rank(for: "model.layers.1.self_attn.q_proj"), 8)       // default r
        XCTAssertEqual(c.rank(for: "model.layers.3.self_attn.v_proj"), 2)
        XCTAssertEqual(c.rank(for: "model.layers.7.mlp"), 16)                   // regular expression key
        XCTAssertEqual(c.alpha(for: "model.layers.3.self_attn.v_proj"), 4)
        XCTAssertEqual(c.scaling(for: "model.layers.1.self_attn.q_proj"), 16 / 8.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(c.scaling(for: "model.layers.3.self_attn.v_proj"), 4 / 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertTrue(c.targets("model.layers.3.self_attn.v_proj"))
        XCTAssertFalse(c.targets("model.layers.3.self_attn.k_proj"))
        XCTAssertFalse(c.targets("model.layers.3.self_attn.xq_proj"))
        let regex = try config(#"{"r": 2, "lora_alpha": 2, "target_modules": ".*\\.(fc1|fc2)"}"#)
        XCTAssertTrue(regex.targets("net.fc2"))
        XCTAssertFalse(regex.targets("fc2"))
        XCTAssertEqual(regex.scaling(for: "net.fc2"), 1)
        // The longest of several matching pattern keys wins, whatever the JSON order.
        XCTAssertEqual(PEFTConfig.patternKey(["proj", "q_proj", "self_attn.q_proj"], "m.self_attn.q_proj"), "self_attn.q_proj")
    }

    func testRefusals() {
        func message(_ json: String) -> String {
            do { _ = try config(json); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(#"{"peft_type": "IA3", "r": 4}"#).contains("only LORA"))
        XCTAssertTrue(message(#"{"r": 0}"#).contains("r must be an integer in 1…255"))
        XCTAssertTrue(message(#"{"r": 4, "use_dora": true}"#).contains("DoRA"))
        XCTAssertTrue(message(#"{"r": 4, "bias": "all"}"#).contains("trained biases"))
        XCTAssertTrue(message(#"{"r": 4, "modules_to_save": ["classifier"]}"#).contains("modules_to_save"))
        XCTAssertTrue(message(#"{"r": 4, "rank_pattern": {"x": 1.5}}"#).contains("rank_pattern"))
        XCTAssertTrue(message("[]").contains("not a JSON object"))
    }

    func testAdapterTensorsAreChecked() throws {
        let config = try self.config(#"{"r": 2, "lora_alpha": 4, "target_modules": ["fc"]}"#)
        func adapter(_ header: String, _ data: Int) -> String {
            do { _ = try PEFTAdapter(config: config, weights: try SafetensorsFile(bytes: SafetensorsTests.file(header, data: data))); return "" }
            catch { return "\(error)" }
        }
        let good = #"{"base_model.model.fc.lora_A.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"#
            + #""base_model.model.fc.lora_B.weight":{"dtype":"F32","shape":[5,2],"data_offsets":[24,64]}}"#
        XCTAssertEqual(adapter(good, 64), "")
        XCTAssertTrue(adapter(#"{"base_model.model.fc.lora_A.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#, 24)
            .contains("has lora_A but not lora_B"))
        XCTAssertTrue(adapter(#"{"base_model.model.emb.lora_embedding_A":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#, 24)
            .contains("unexpected tensor"))
        let wrongRank = good.replacingOccurrences(of: "[2,3]", with: "[1,6]")
        XCTAssertTrue(adapter(wrongRank, 64).contains("configured rank 2"))
        let other = good.replacingOccurrences(of: ".fc.", with: ".head.")
        XCTAssertTrue(adapter(other, 64).contains("not in target_modules"))
        XCTAssertEqual(PEFTAdapter.parseKey("base_model.model.a.b.lora_B.default.weight")?.0, "a.b")
        XCTAssertNil(PEFTAdapter.parseKey("base_model.model.lora_A.weight"))
    }
}
