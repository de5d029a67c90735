import Testing
import TensorIO

@testable import AdapterLoading

/// PEFT 0.21.2 passes a LoRA checkpoint through transformers 5's conversion on bases that have one
/// (Mixtral here). The expected lists were observed with real PEFT 0.21.2 + transformers 5.24.0 on the
/// same tiny Mixtral (`Fixtures/architectures/mixtral.json`), LoRA r=2 on q_proj/v_proj, loaded with
/// `from_pretrained` and then `load_adapter(…, adapter_name="other")`.
@Suite("transformers 5 checkpoint conversion")
struct TransformersConversionTests {
  static let targets = ["q_proj", "v_proj"]

  static func loadAsOther(_ checkpoint: StateDict, base name: String = "mixtral", profile: LoadProfile = .peft) throws
    -> LoadOutcome
  {
    let base = try Build.base(name)
    let config = try Build.lora(targets, r: 2)
    let first = Build.adapter(config, Build.loraCheckpoint(targets, r: 2))
    return Build.simulate(base, Build.adapter(config, checkpoint), name: "other", loaded: [("default", first)], profile: profile)
  }

  @Test("keys saved without base_model.model. load on Mixtral")
  func prefixRestored() throws {
    let stripped = Build.loraCheckpoint(Self.targets, r: 2).renamed { String($0.dropFirst("base_model.model.".count)) }
    let outcome = try Self.loadAsOther(stripped)
    #expect(outcome.error == nil)
    #expect(outcome.missingKeys == [])
    #expect(outcome.unexpectedKeys == [])
    // Without a conversion (Llama, or PEFT 0.13's profile) the same keys are unexpected.
    let llama = try Self.loadAsOther(stripped, base: "llama")
    #expect(llama.unexpectedKeys.count == stripped.count)
    let old = try Self.loadAsOther(stripped, profile: .peft013)
    #expect(old.unexpectedKeys.count == stripped.count)
  }

  @Test("the loading adapter's name kept in the keys is dropped")
  func adapterNameDropped() throws {
    let kept = Build.loraCheckpoint(Self.targets, r: 2).renamed { $0.replacing(".weight", with: ".other.weight") }
    let outcome = try Self.loadAsOther(kept)
    #expect(outcome.missingKeys == [])
    #expect(outcome.unexpectedKeys == [])
  }

  @Test("unknown LoRA keys come back prefixed, in transformers' natural order")
  func unknownKeysOrdered() throws {
    let extra = Build.loraCheckpoint(Self.targets, r: 2)
      .adding("model.zz.lora_A.weight", [2, 2]).adding("model.aa.lora_A.weight", [2, 2])
      .adding("model.layers.10.x.lora_B.weight", [1]).adding("model.layers.9.x.lora_B.weight", [1])
    let outcome = try Self.loadAsOther(extra)
    #expect(outcome.missingKeys == [])
    // The recommended profile names them as the file does.
    let recommended = try Self.loadAsOther(extra, profile: .recommended)
    #expect(
      recommended.unexpectedKeys == [
        "model.aa.lora_A.weight", "model.zz.lora_A.weight", "model.layers.9.x.lora_B.weight", "model.layers.10.x.lora_B.weight",
      ])
    #expect(
      outcome.unexpectedKeys == [
        "base_model.model.model.aa.lora_A.weight", "base_model.model.model.zz.lora_A.weight",
        "base_model.model.model.layers.9.x.lora_B.weight", "base_model.model.model.layers.10.x.lora_B.weight",
      ])
  }

  @Test("pre-v5 MoE names are renamed", arguments: ["model.layers.0.block_sparse_moe.gate.lora_A.weight", "base_model.model.model.layers.0.block_sparse_moe.gate.lora_A.weight"])
  func moeRenamed(_ key: String) throws {
    let state = StateDict([.init(key: key, info: TensorInfo(dtype: .f32, shape: [2, 16]))])
    let converted = TransformersConversion.convert(state, architecture: .resolve(modelType: "mixtral", modelClass: "MixtralForCausalLM"), adapterName: "default")
    #expect(converted.state.keys == ["base_model.model.model.layers.0.mlp.gate.lora_A.weight"])
    #expect(converted.originalNames == ["base_model.model.model.layers.0.mlp.gate.lora_A.weight": key])
  }

  /// Orders from Python's `sorted(keys, key=transformers.core_model_loading.dot_natural_key)`.
  @Test(
    "natural key order",
    arguments: [
      (["a.10", "a.9", "a.b", "a.09x"], ["a.9", "a.10", "a.09x", "a.b"]),
      (["shard_11", "shard_2", "shard", "shar"], ["shar", "shard", "shard_2", "shard_11"]),
      (["x.y.z", "x.y", "x", "x.1"], ["x", "x.1", "x.y", "x.y.z"]),
      (["b.100000000000000000000000", "b.99999999999999999999999"], ["b.99999999999999999999999", "b.100000000000000000000000"]),
      (["a..b", "a.", "a", "a.0", "a.b"], ["a", "a.0", "a.", "a..b", "a.b"]),
      (["x.07.y", "x.7.a", "x.6", "x.a7", "x.a07b"], ["x.6", "x.7.a", "x.07.y", "x.a7", "x.a07b"]),
      (["é.1", "e.2", "z.1"], ["e.2", "z.1", "é.1"]),
    ])
  func naturalOrder(_ keys: [String], _ sorted: [String]) {
    #expect(keys.sorted { NaturalKey.compare($0, $1) < 0 } == sorted)
  }
}
