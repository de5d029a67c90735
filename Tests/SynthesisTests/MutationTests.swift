import TensorIO
import Testing

@testable import Synthesis

@Suite struct MutationTests {
  func shapes(_ model: BaseModelSpec) throws -> [String: [Int]] {
    Dictionary(uniqueKeysWithValues: try model.describe().stateDict.map { ($0.name, $0.shape) })
  }

  @Test func vocabResizeMovesEmbeddingAndOutputRowsAndPads() throws {
    let model = try BaseModelSpec(family: .llama).applying([.resizeVocab(to: 131, padToMultipleOf: 8)])
    // ceil(131 / 8) · 8, as resize_token_embeddings(131, pad_to_multiple_of=8).
    #expect(model.dimensions.vocabSize == 136)
    let s = try shapes(model)
    #expect(s["model.embed_tokens.weight"] == [136, 16])
    #expect(s["lm_head.weight"] == [136, 16])
    #expect(try model.describe().config["vocab_size"] == .number("136"))
    let padded = try BaseModelSpec(family: .llama).applying([.resizeVocab(to: nil, padToMultipleOf: 96)])
    #expect(padded.dimensions.vocabSize == 192)
    let down = try BaseModelSpec(family: .llama).applying([.resizeVocab(to: 100, padToMultipleOf: nil)])
    #expect(try shapes(down)["lm_head.weight"] == [100, 16])
  }

  @Test func vocabResizeOfTiedModelsResizesTheSharedTensorAndBertBias() throws {
    let gemma = try BaseModelSpec(family: .gemma).applying([.resizeVocab(to: 200, padToMultipleOf: nil)]).describe()
    #expect(gemma.savedTensors.first?.shape == [200, 16])
    #expect(!gemma.savedTensors.contains { $0.name == "lm_head.weight" })
    let bert = try shapes(BaseModelSpec(family: .bert).applying([.resizeVocab(to: 70, padToMultipleOf: nil)]))
    #expect(bert["cls.predictions.bias"] == [70])
    #expect(bert["cls.predictions.decoder.weight"] == [70, 16])
  }

  @Test func widthDepthAndHeadsChangeEveryDependentShape() throws {
    let model = try BaseModelSpec(family: .llama).applying([
      .hiddenSize(32), .intermediateSize(48), .layerCount(3), .headCount(heads: 8, keyValueHeads: 4),
    ])
    let s = try shapes(model)
    // head_dim = 32 / 8 = 4; k/v width = 4 · 4.
    #expect(s["model.layers.2.self_attn.k_proj.weight"] == [16, 32])
    #expect(s["model.layers.2.mlp.down_proj.weight"] == [32, 48])
    #expect(s["model.layers.3.self_attn.q_proj.weight"] == nil)
    let config = try model.describe().config
    #expect(config["head_dim"] == .number("4"))
    #expect(config["num_hidden_layers"] == .number("3"))
  }

  @Test func invalidSizesAreErrorsNamingTheMutationField() {
    let llama = BaseModelSpec(family: .llama)
    #expect(
      throws: SynthesisError(
        field: "mutations[1].num_heads",
        .notDivisible(valueField: "hidden_size", value: 16, divisorField: "num_heads", divisor: 3))
    ) { try llama.applying([.layerCount(4), .headCount(heads: 3, keyValueHeads: 1)]) }
    #expect(
      throws: SynthesisError(
        field: "mutations[0].num_kv_heads",
        .notDivisible(valueField: "num_heads", value: 4, divisorField: "num_kv_heads", divisor: 3))
    ) { try llama.applying([.headCount(heads: 4, keyValueHeads: 3)]) }
    #expect(throws: SynthesisError(field: "mutations[0].num_layers", .tooSmall(0, minimum: 1))) {
      try llama.applying([.layerCount(0)])
    }
    #expect(throws: SynthesisError(field: "mutations[0].hidden_size", .tooSmall(-8, minimum: 1))) {
      try llama.applying([.hiddenSize(-8)])
    }
    #expect(throws: SynthesisError(field: "mutations[0].pad_to_multiple_of", .tooSmall(0, minimum: 1))) {
      try llama.applying([.resizeVocab(to: 100, padToMultipleOf: 0)])
    }
    #expect(throws: SynthesisError(field: "mutations[0].dtype", .unsupportedDType("I32"))) {
      try llama.applying([.dtype(.i32)])
    }
    #expect(throws: SynthesisError(field: "mutations[0].shards", .tooSmall(0, minimum: 1))) {
      try llama.applying([.shards(0)])
    }
    #expect(
      throws: SynthesisError(field: "mutations[0].tie_word_embeddings", .tyingFixed(architecture: "t5"))
    ) { try BaseModelSpec(family: .t5).applying([.tieWordEmbeddings(false)]) }
  }

  @Test func tyingDropsOrRestoresTheSavedHead() throws {
    let tied = try BaseModelSpec(family: .llama).applying([.tieWordEmbeddings(true)]).describe()
    #expect(tied.config["tie_word_embeddings"] == .bool(true))
    #expect(tied.tiedWeights.map(\.alias) == ["lm_head.weight"])
    let untied = try BaseModelSpec(family: .gpt2).applying([.tieWordEmbeddings(false)]).describe()
    #expect(untied.savedTensors.contains { $0.name == "lm_head.weight" })
  }

  @Test func renamesApplyWithWildcardsAndAreValidated() throws {
    let renamed = try BaseModelSpec(family: .llama).applying([
      .renameModule(ModuleRename(from: "model.layers.*.self_attn.q_proj", to: "model.layers.*.attention.query"))
    ]).describe()
    let names = renamed.savedTensors.map(\.name)
    #expect(names.contains("model.layers.1.attention.query.weight"))
    #expect(!names.contains { $0.hasSuffix("q_proj.weight") })
    let head = try BaseModelSpec(family: .gpt2).applying([
      .renameModule(ModuleRename(from: "transformer.wte", to: "transformer.tokens"))
    ]).describe()
    #expect(head.tiedWeights.map(\.source) == ["transformer.tokens.weight"])

    #expect(throws: SynthesisError(field: "mutations[0].from", .moduleNotFound("model.decoder"))) {
      try BaseModelSpec(family: .llama).applying([.renameModule(ModuleRename(from: "model.decoder", to: "x"))])
    }
    #expect(
      throws: SynthesisError(field: "mutations[0].to", .duplicateName("model.layers.0.self_attn.k_proj.weight"))
    ) {
      try BaseModelSpec(family: .llama).applying([
        .renameModule(ModuleRename(from: "model.layers.*.self_attn.q_proj", to: "model.layers.*.self_attn.k_proj"))
      ])
    }
  }

  @Test func architectureSwapKeepsDimensionsAndChangesNamingAndConfig() throws {
    let mistral = try BaseModelSpec(family: .llama).applying([.swapArchitecture(.mistral)]).describe()
    #expect(mistral.config["model_type"] == .string("mistral"))
    #expect(mistral.config["sliding_window"] == .number("4096"))
    #expect(try BaseModelSpec(family: .llama).describe().stateDict == mistral.stateDict)
    let qwen = try BaseModelSpec(family: .llama).applying([.swapArchitecture(.qwen2)]).describe()
    #expect(qwen.savedTensors.contains { $0.name == "model.layers.0.self_attn.q_proj.bias" })
    #expect(
      throws: SynthesisError(
        field: "mutations[0].architecture",
        .dimensionNotSupported(architecture: "gpt2", dimension: "num_kv_heads"))
    ) { try BaseModelSpec(family: .llama).applying([.swapArchitecture(.gpt2)]) }
  }

  @Test func dtypeAndShardsChangeOnlyWhatTheySay() throws {
    let base = try BaseModelSpec(family: .phi3).describe()
    let changed = try BaseModelSpec(family: .phi3).applying([.dtype(.bf16), .shards(3)]).describe()
    #expect(changed.config["dtype"] == .string("bfloat16"))
    #expect(changed.shardCount == 3)
    #expect(changed.savedTensors == base.savedTensors)
    #expect(changed.info(of: changed.savedTensors[0]).dtype == .bf16)
  }

  @Test func mutationsAreValuesAndLeaveTheOriginalAlone() throws {
    let original = BaseModelSpec(family: .llama)
    let copy = original
    _ = try original.applying([.hiddenSize(64), .tieWordEmbeddings(true)])
    #expect(original == copy)
  }
}
