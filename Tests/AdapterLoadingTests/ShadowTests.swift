import TensorIO
import TestSupport
import Testing

@testable import AdapterLoading

/// ShadowPEFT's answers beyond the recorded cases (`peft-ground-truth`, replayed by `GroundTruthTests`): the
/// recorded mirror adapter with its config edited, into the recorded bases. Where the mirror cannot be
/// derived from the loading base's own layers the answer is "cannot tell", naming why.
@Suite("Shadow mirror backbone")
struct ShadowTests {
  static func edited(_ fields: [String: JSONValue], adapter: String = "adapters/shadow") throws -> AdapterSource {
    var source = try GroundTruth.adapter(adapter)
    var json = source.config.json
    for (key, value) in fields { json[key] = value }
    source.config = try AdapterConfig(json: json, source: "\(adapter)/adapter_config.json")
    return source
  }

  static let pythonMissing = ReferencePython.path == nil

  /// The generated `ShadowMirrorTable.swift` is exactly what its recorder records from the pinned PEFT and
  /// transformers (a few minutes: every model type the architecture sweep builds).
  @Test(.disabled(if: pythonMissing, "ADAPTEST_PYTHON is not set: no Python with PEFT to record from"))
  func committedMirrorTableEqualsPEFT() throws {
    let run = try ReferencePython.checkGeneratedTable(
      recorder: "record_shadow_mirrors.py", table: "AdapterLoading/Tuners/ShadowMirrorTable.swift")
    #expect(run.status == 0, "\(run.errors)")
    #expect(ShadowTuner.mirrorTableVersions == (peft: "0.21.2", transformers: "5.24.0"))
  }

  /// The decoder families of the synthesis catalog: PEFT's mirror of fewer layers keeps the base's first
  /// layers, of more repeats the base's layer. Qwen3-MoE too: at its default config (`decoder_sparse_step`
  /// 1, no `mlp_only_layers`) every layer is the same sparse block; a base set otherwise has unlike layers,
  /// which ``deeperThanUnlikeLayers`` covers.
  /// Their backbones all take `inputs_embeds`, so PEFT drops an `embed_tokens` to share the base's; GPT-2's
  /// backbone has none (`wte`, `wpe` stay).
  @Test("the catalog's decoder families are recorded mirror-exact", arguments: [
    ("llama", "LlamaModel"), ("mistral", "MistralModel"), ("qwen2", "Qwen2Model"), ("gemma", "GemmaModel"),
    ("gpt2", "GPT2Model"), ("phi3", "Phi3Model"), ("mixtral", "MixtralModel"), ("qwen3_moe", "Qwen3MoeModel"),
  ])
  func catalogFamilies(_ modelType: String, _ backbone: String) throws {
    let record = try #require(ShadowTuner.mirrorTable[modelType]?[backbone])
    #expect(
      record
        == ShadowTuner.MirrorRecord(
          sameDepth: nil, firstLayers: nil, repeatsLayers: nil, dropsEmbeddings: modelType != "gpt2"))
    #expect(ShadowTuner.mirrorRefusals[modelType] == nil)
  }

  /// PEFT finds no decoder stack in encoder-only and T5-style models: recorded as its refusal.
  @Test("PEFT's refusals are recorded with its error", arguments: ["bert", "t5"])
  func refusals(_ modelType: String) {
    #expect(ShadowTuner.mirrorTable[modelType] == nil)
    #expect(ShadowTuner.mirrorRefusals[modelType]?.hasPrefix("AttributeError: Unable to automatically find a `nn.ModuleList` of decoder layers") == true)
  }

  @Test("overrides equal to the base's own sizes change nothing")
  func overridesEqualToBase() throws {
    let base = try GroundTruth.base("bases/llama-v128")
    let plain = LoadSimulator.simulate(base: base, adapter: try GroundTruth.adapter("adapters/shadow"), profile: .peft)
    #expect(plain.status == .clean)
    let same = try Self.edited([
      "shadow_hidden_size": .number("16"), "shadow_intermediate_size": .number("32"),
      "shadow_num_attention_heads": .number("4"),
    ])
    let outcome = LoadSimulator.simulate(base: base, adapter: same, profile: .peft)
    #expect(outcome.status == .clean)
    #expect(outcome.stateDict?.keys == plain.stateDict?.keys)
  }

  @Test("what the base's layers do not determine is cannot tell, with why", arguments: [
    ("shadow_hidden_size", JSONValue.number("8"), "`shadow_hidden_size` 8 where the base has 16"),
    ("shadow_intermediate_size", .number("64"), "`shadow_intermediate_size` 64 where the base has 32"),
    ("shadow_model", .string("org/backbone"), "`shadow_model` is 'org/backbone'"),
  ])
  func cannotTell(_ field: String, _ value: JSONValue, _ why: String) throws {
    let base = try GroundTruth.base("bases/llama-v128")
    for context in [
      LoadContext(adapterName: "default", call: .fromPretrained),
      LoadContext(adapterName: "other", call: .loadAdapter, loaded: [LoadedAdapter(name: "default", source: try GroundTruth.adapter("adapters/shadow"))]),
    ] {
      let outcome = LoadSimulator.simulate(base: base, adapter: try Self.edited([field: value]), context: context, profile: .peft)
      #expect(outcome.status == .cannotTell)
      #expect(outcome.unknown?.contains(why) == true, "\(outcome.unknown ?? "a prediction")")
    }
  }

  @Test("a mirror as deep as the base is the base's backbone, whatever the architecture")
  func fullDepth() throws {
    let base = try GroundTruth.base("bases/llama-l3")
    let outcome = LoadSimulator.simulate(
      base: base, adapter: try Self.edited(["shadow_num_hidden_layers": .number("3")], adapter: "adapters/shadow-l3"),
      profile: .peft)
    // The checkpoint holds one backbone layer; a three-layer mirror misses the other two.
    let missing = outcome.rawMissingKeys ?? []
    #expect(missing.contains("base_model.shadow_backbone.default.layers.2.mlp.down_proj.weight"))
    #expect(!missing.contains("base_model.shadow_backbone.default.embed_tokens.weight"), "the embeddings are shared")
  }

  /// Llama's decoder layer does not depend on its index: a mirror deeper than the base repeats it.
  @Test("a mirror deeper than a uniform base repeats the base's layer")
  func deeperThanBase() throws {
    let base = try GroundTruth.base("bases/llama-v128")
    let outcome = LoadSimulator.simulate(
      base: base, adapter: try Self.edited(["shadow_num_hidden_layers": .number("4")]), profile: .peft)
    #expect(outcome.status != .cannotTell)
    let backbone = (outcome.stateDict?.entries ?? []).filter { $0.key.hasPrefix("base_model.shadow_backbone.default.") }
    let layerKeys = { (i: Int) in
      backbone.filter { $0.key.contains(".layers.\(i).") }.map { ($0.key.replacing(".layers.\(i).", with: ".layers.N."), $0.info.shape) }
    }
    #expect(layerKeys(3).map(\.0) == layerKeys(0).map(\.0) && layerKeys(3).map(\.1) == layerKeys(0).map(\.1))
    #expect(backbone.last?.key == "base_model.shadow_backbone.default.norm.weight", "the extra layers precede the final norm")
  }

  /// The recording is of each model type's default config; a base whose own layers differ (here Llama with
  /// a wider MLP in layer 1) leaves the layer a deeper mirror adds open.
  @Test("a mirror deeper than a base whose layers differ is cannot tell")
  func deeperThanUnlikeLayers() throws {
    let record = try Fixtures.object("architectures/llama.json")
    let config = try #require(record["config"]?.objectValue)
    let tensors = try #require(record["saved_tensors"]).tensorList().map { name, info in
      var info = info
      if name == "model.layers.1.mlp.up_proj.weight" { info.shape = [48, 16] }
      return (name, info)
    }
    let base = try BaseModel(config: config, weights: try table(tensors), source: "llama-unlike")
    let adapter = try Self.edited(["shadow_num_hidden_layers": .number("3")])
    let deeper = LoadSimulator.simulate(base: base, adapter: adapter, profile: .peft)
    #expect(deeper.status == .cannotTell)
    #expect(deeper.unknown?.contains("the base's own layers are not all alike") == true, "\(deeper.unknown ?? "a prediction")")
    let shallower = LoadSimulator.simulate(base: base, adapter: try Self.edited([:]), profile: .peft)
    #expect(shallower.status != .cannotTell, "a shallower mirror keeps the base's first layers, whatever the others")
  }

  @Test("an explicit shadow_model with mirror-only overrides is PEFT's ValueError")
  func explicitModelWithOverrides() throws {
    let base = try GroundTruth.base("bases/llama-v128")
    let adapter = try Self.edited(["shadow_model": .string("org/backbone"), "shadow_hidden_size": .number("8")])
    let outcome = LoadSimulator.simulate(base: base, adapter: adapter, profile: .peft)
    #expect(outcome.error == .valueError(
      "Explicit `shadow_model` checkpoints define their architecture; unset these mirror-only overrides: shadow_hidden_size."))
  }

  /// `nn.Linear(d, u)` with `u < 0` (torch 2.13's message for `nn.Linear(16, -3)`).
  @Test("a negative update_hidden_size is torch's RuntimeError")
  func negativeUpdateWidth() throws {
    let base = try GroundTruth.base("bases/llama-v128")
    let outcome = LoadSimulator.simulate(
      base: base, adapter: try Self.edited(["update_hidden_size": .number("-3")]), profile: .peft)
    #expect(outcome.error == .runtimeError("Trying to create tensor with negative dimension -3: [-3, 16]"))
  }

  @Test("saved keys keep `default` in the middle; other adapter names map onto it")
  func checkpointKeys() {
    let tuner = ShadowTuner()
    #expect(tuner.checkpointKey(forModelKey: "base_model.shadow_backbone.other.layers.0.mlp.up_proj.weight", adapterName: "other")
      == "base_model.shadow_backbone.default.layers.0.mlp.up_proj.weight")
    #expect(tuner.checkpointKey(forModelKey: "base_model.model.model.layers.1.shadow_update_gate.other.2.bias", adapterName: "other")
      == "base_model.model.model.layers.1.shadow_update_gate.default.2.bias")
  }
}
