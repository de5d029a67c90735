import TensorIO
import Testing

@testable import Synthesis

@Suite struct CatalogTests {
  @Test(arguments: ModelFamily.allCases)
  func tinyModelsDescribeConsistently(family: ModelFamily) throws {
    let model = try BaseModelSpec(family: family).describe()
    let stateNames = model.stateDict.map(\.name)
    #expect(Set(stateNames).count == stateNames.count, "state-dict names are unique")
    let savedNames = model.savedTensors.map(\.name)
    #expect(Set(savedNames).count == savedNames.count, "saved names are unique")
    for (alias, source) in model.tiedWeights {
      #expect(stateNames.contains(source), "\(alias) is tied to a parameter of the model")
      #expect(!savedNames.contains(alias))
    }
    #expect(model.config["model_type"] == .string(family.rawValue))
    #expect(model.config["architectures"] == .array([.string(family.definition.modelClass)]))
    #expect(model.config["dtype"] == .string("float32"))
    #expect(model.config["transformers_version"] == .string("5.24.0"))
  }

  // Layer-0 state-dict order as transformers 5.24 registers the modules (observed with
  // `model.state_dict()` on tiny configs).
  @Test func llamaLayerOrderMatchesTransformers() throws {
    let names = try BaseModelSpec(family: .llama).describe().stateDict.map(\.name)
    #expect(
      Array(names.prefix(11)) == [
        "model.embed_tokens.weight",
        "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
        "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
        "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight",
        "model.layers.0.mlp.down_proj.weight", "model.layers.0.input_layernorm.weight",
        "model.layers.0.post_attention_layernorm.weight", "model.layers.1.self_attn.q_proj.weight",
      ])
    #expect(Array(names.suffix(2)) == ["model.norm.weight", "lm_head.weight"])
  }

  @Test func phi3RegistersOutputProjectionFirst() throws {
    let model = try BaseModelSpec(family: .phi3).describe()
    #expect(
      model.stateDict.prefix(5).map(\.description) == [
        "model.embed_tokens.weight [128, 16]",
        "model.layers.0.self_attn.o_proj.weight [16, 16]",
        // 4 query heads + 2·2 key/value heads of width 4.
        "model.layers.0.self_attn.qkv_proj.weight [32, 16]",
        "model.layers.0.mlp.gate_up_proj.weight [64, 16]",
        "model.layers.0.mlp.down_proj.weight [16, 32]",
      ])
  }

  @Test func gpt2UsesTransposedConv1DAndTiesTheHead() throws {
    let model = try BaseModelSpec(family: .gpt2).describe()
    let byName = Dictionary(uniqueKeysWithValues: model.stateDict.map { ($0.name, $0) })
    #expect(byName["transformer.h.0.attn.c_attn.weight"]?.shape == [16, 48])
    #expect(byName["transformer.h.0.attn.c_attn.weight"]?.module == .conv1D)
    #expect(byName["transformer.h.0.mlp.c_proj.weight"]?.shape == [64, 16])
    #expect(byName["transformer.wpe.weight"]?.shape == [64, 16])
    #expect(model.tiedWeights.map { [$0.alias, $0.source] } == [["lm_head.weight", "transformer.wte.weight"]])
    #expect(model.savedTensors.count == model.stateDict.count - 1)
  }

  @Test func t5TiesBothStacksAndTheHeadToShared() throws {
    let model = try BaseModelSpec(family: .t5).describe()
    #expect(
      model.tiedWeights.map { [$0.alias, $0.source] } == [
        ["encoder.embed_tokens.weight", "shared.weight"], ["decoder.embed_tokens.weight", "shared.weight"],
        ["lm_head.weight", "shared.weight"],
      ])
    let names = model.savedTensors.map(\.name)
    #expect(names.contains("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"))
    #expect(!names.contains("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"))
    #expect(names.contains("decoder.block.1.layer.1.EncDecAttention.q.weight"))
    #expect(names.contains("decoder.block.1.layer.2.DenseReluDense.wo.weight"))
    #expect(throws: SynthesisError(field: "tie_word_embeddings", .tyingFixed(architecture: "t5"))) {
      try BaseModelSpec(family: .t5, tieWordEmbeddings: false).describe()
    }
  }

  @Test func bertTiesDecoderWeightAndBias() throws {
    let tied = try BaseModelSpec(family: .bert).describe()
    #expect(
      tied.tiedWeights.map { [$0.alias, $0.source] } == [
        ["cls.predictions.decoder.weight", "bert.embeddings.word_embeddings.weight"],
        ["cls.predictions.decoder.bias", "cls.predictions.bias"],
      ])
    let untied = try BaseModelSpec(family: .bert, tieWordEmbeddings: false).describe()
    #expect(untied.tiedWeights.isEmpty)
    #expect(untied.savedTensors.count == tied.savedTensors.count + 2)
  }

  @Test func moeExpertsAreFusedInMemoryAndPerExpertOnDisk() throws {
    let qwen = try BaseModelSpec(family: .qwen3Moe).describe()
    let state = Dictionary(uniqueKeysWithValues: qwen.stateDict.map { ($0.name, $0.shape) })
    // (experts, 2 · moe_intermediate_size, hidden) and (experts, hidden, moe_intermediate_size).
    #expect(state["model.layers.0.mlp.experts.gate_up_proj"] == [4, 16, 16])
    #expect(state["model.layers.0.mlp.experts.down_proj"] == [4, 16, 8])
    let saved = Dictionary(uniqueKeysWithValues: qwen.savedTensors.map { ($0.name, $0.shape) })
    #expect(saved["model.layers.0.mlp.experts.3.gate_proj.weight"] == [8, 16])
    #expect(saved["model.layers.0.mlp.experts.3.down_proj.weight"] == [16, 8])
    #expect(saved["model.layers.0.mlp.experts.gate_up_proj"] == nil)

    let mixtral = try BaseModelSpec(family: .mixtral).describe()
    let names = mixtral.stateDict.map(\.name)
    #expect(names.firstIndex(of: "model.layers.0.mlp.gate.weight")! < names.firstIndex(of: "model.layers.0.mlp.experts.gate_up_proj")!)
    let mixtralSaved = Set(mixtral.savedTensors.map(\.name))
    #expect(mixtralSaved.contains("model.layers.1.block_sparse_moe.experts.0.w2.weight"))
    #expect(mixtralSaved.contains("model.layers.1.block_sparse_moe.gate.weight"))
  }

  @Test func unsupportedAndMissingDimensionsNameTheirField() {
    var gpt2 = BaseModelSpec(family: .gpt2)
    gpt2.dimensions.keyValueHeads = 2
    #expect(
      throws: SynthesisError(
        field: "dimensions.num_kv_heads", .dimensionNotSupported(architecture: "gpt2", dimension: "num_kv_heads"))
    ) { try gpt2.describe() }
    var moe = BaseModelSpec(family: .qwen3Moe)
    moe.dimensions.experts = nil
    #expect(
      throws: SynthesisError(
        field: "dimensions.num_experts", .dimensionRequired(architecture: "qwen3_moe", dimension: "num_experts"))
    ) { try moe.describe() }
    var huge = BaseModelSpec(family: .llama)
    huge.dimensions.vocabSize = Int.max / 2
    #expect(throws: SynthesisError(field: "dimensions", .sizeOverflow(tensor: "model.embed_tokens.weight"))) {
      try huge.describe()
    }
  }

  @Test func unknownArchitectureListsTheKnownOnes() {
    #expect(throws: SynthesisError.self) { try ModelFamily.named("falcon") }
    do {
      _ = try ModelFamily.named("falcon")
    } catch {
      #expect(error.description.contains("unknown architecture 'falcon'"))
      #expect(error.description.contains("qwen3_moe"))
    }
  }

  // Tensor and parameter counts of the published checkpoints.
  @Test(arguments: [
    (BasePreset.llama3_8B, 291, 8_030_261_248),
    (BasePreset.llama3_70B, 723, 70_553_706_496),
    (BasePreset.qwen3_30B_A3B, 18_867, 30_532_122_624),
  ])
  func presetsHaveThePublishedTensorAndParameterCounts(preset: BasePreset, tensors: Int, parameters: Int) throws {
    let model = try preset.model.describe()
    #expect(model.savedTensors.count == tensors)
    let count = try model.savedTensors.reduce(0) { $0 + (try model.info(of: $1).elementCount()) }
    #expect(count == parameters)
    #expect(model.config["dtype"] == .string("bfloat16"))
  }
}
