import TensorIO
import Testing

@testable import Synthesis

/// The adapter tensors the catalog predicts for each reference variant, against what PEFT 0.21.2
/// saved for it (`Fixtures/peft-0.21.2-adapters.json`).
@Suite struct AdapterCatalogTests {
  @Test(arguments: AdapterConfigTests.variants.map(\.0))
  func savedTensorsMatchWhatPEFTSaved(variant: String) throws {
    let (_, family, spec) = try #require(AdapterConfigTests.variants.first { $0.0 == variant })
    let reference = try #require(AdapterConfigTests.reference[variant]?["tensors"]?.arrayValue)
    let expected = Set(
      reference.compactMap { item -> String? in
        guard let name = item["name"]?.stringValue, let shape = item["shape"]?.arrayValue, let dtype = item["dtype"]?.stringValue
        else { return nil }
        return "\(name) \(shape.compactMap(\.intValue)) \(dtype)"
      })
    let base = try BaseModelSpec(family: family).describe()
    let config = try AdapterConfigBuilder.config(spec, base: base)
    let tensors = try #require(try AdapterCatalog.savedTensors(config: config, base: base))
    let actual = Set(tensors.map { "\($0.name) \($0.shape) \($0.dtype.name)" })
    #expect(actual == expected, "only ours: \(actual.subtracting(expected).sorted()), only PEFT's: \(expected.subtracting(actual).sorted())")
  }

  @Test func modelKeysFollowPEFTNaming() throws {
    let base = try BaseModelSpec(family: .llama).describe()
    func keys(_ variant: String, name: String = "second") throws -> [String: String] {
      let spec = try #require(AdapterConfigTests.variants.first { $0.0 == variant }?.2)
      let tensors = try #require(
        try AdapterCatalog.savedTensors(config: AdapterConfigBuilder.config(spec, base: base), base: base, adapterName: name))
      return Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.modelKey(adapterName: name)) })
    }
    let p = "base_model.model.model."
    #expect(try keys("lora")["\(p)layers.0.self_attn.q_proj.lora_A.weight"] == "\(p)layers.0.self_attn.q_proj.lora_A.second.weight")
    #expect(try keys("vera")["\(p)layers.1.self_attn.v_proj.vera_lambda_d"] == "\(p)layers.1.self_attn.v_proj.vera_lambda_d.second")
    #expect(try keys("vera")["base_model.vera_A"] == "base_model.vera_A.second")
    // TinyLoRA saves its vectors without the adapter name; the model keeps them per adapter, then per group.
    #expect(try keys("tinylora")["base_model.tinylora_v.3"] == "base_model.tinylora_v.second.3")
    #expect(try keys("tinylora")["\(p)layers.1.self_attn.v_proj.tinylora_P"] == "\(p)layers.1.self_attn.v_proj.tinylora_P.second")
    // FRoD's shared tensors are keyed by category, then adapter.
    #expect(try keys("frod")["base_model.frod_V.self_attn_q_proj"] == "base_model.frod_V.self_attn_q_proj.second")
    #expect(try keys("frod")["base_model.frod_s_indices.self_attn_v_proj"] == "base_model.frod_s_indices.self_attn_v_proj.second")
    #expect(
      try keys("lora-modules-to-save")["base_model.model.lm_head.weight"]
        == "base_model.model.lm_head.modules_to_save.second.weight")
    #expect(
      try keys("lora-trainable-tokens")["\(p)embed_tokens.token_adapter.trainable_tokens_delta"]
        == "\(p)embed_tokens.token_adapter.trainable_tokens_delta.second")
    #expect(
      try keys("lora-dora")["\(p)layers.0.self_attn.q_proj.lora_magnitude_vector"]
        == "\(p)layers.0.self_attn.q_proj.lora_magnitude_vector.second.weight")
  }

  @Test func noMatchingTargetIsNil() throws {
    let base = try BaseModelSpec(family: .gpt2).describe()
    let config = try AdapterConfigBuilder.config(
      AdapterConfigSpec(peftType: "LORA", fields: JSONObject([("target_modules", .array([.string("q_proj")]))])), base: base)
    #expect(try AdapterCatalog.savedTensors(config: config, base: base) == nil)
  }
}
