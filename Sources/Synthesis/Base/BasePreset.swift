import TensorIO

/// Real-size base models shaped like published checkpoints (from their public `config.json`), for
/// performance runs; written sparse they cost no disk space.
public enum BasePreset: String, Sendable, Hashable, CaseIterable {
  /// Meta-Llama-3-8B: 32 layers, hidden 4096, GQA 32/8, vocab 128256, 291 tensors, 16 GB in BF16.
  case llama3_8B = "llama-3-8b"
  /// Meta-Llama-3-70B: 80 layers, hidden 8192, GQA 64/8, 723 tensors, 141 GB in BF16.
  case llama3_70B = "llama-3-70b"
  /// Qwen3-30B-A3B: 48 layers of 128 experts (8 routed), 18,867 tensors, 61 GB in BF16.
  case qwen3_30B_A3B = "qwen3-30b-a3b"

  /// The model.
  public var model: BaseModelSpec {
    switch self {
    case .llama3_8B:
      Self.llama3(hidden: 4096, intermediate: 14336, layers: 32, heads: 32)
    case .llama3_70B:
      Self.llama3(hidden: 8192, intermediate: 28672, layers: 80, heads: 64)
    case .qwen3_30B_A3B:
      {
        var model = BaseModelSpec(
          family: .qwen3Moe,
          dimensions: ModelDimensions(
            vocabSize: 151936, hiddenSize: 2048, intermediateSize: 6144, layers: 48, attentionHeads: 32,
            keyValueHeads: 4, headDim: 128, experts: 128, expertsPerToken: 8, expertIntermediateSize: 768,
            maxPositionEmbeddings: 40960),
          dtype: .bf16)
        model.specialTokens = [
          .init(key: "bos_token_id", id: 151643), .init(key: "eos_token_id", id: 151645),
          .init(key: "pad_token_id", id: nil),
        ]
        model.configOverrides["norm_topk_prob"] = .bool(true)
        model.configOverrides["rope_parameters"] = ConfigValue.rope(theta: "1000000.0")
        return model
      }()
    }
  }

  private static func llama3(hidden: Int, intermediate: Int, layers: Int, heads: Int) -> BaseModelSpec {
    var model = BaseModelSpec(
      family: .llama,
      dimensions: ModelDimensions(
        vocabSize: 128256, hiddenSize: hidden, intermediateSize: intermediate, layers: layers,
        attentionHeads: heads, keyValueHeads: 8, maxPositionEmbeddings: 8192),
      dtype: .bf16)
    model.specialTokens = [
      .init(key: "bos_token_id", id: 128000), .init(key: "eos_token_id", id: 128001),
      .init(key: "pad_token_id", id: nil),
    ]
    model.configOverrides["rms_norm_eps"] = ConfigValue.float("1e-05")
    model.configOverrides["rope_parameters"] = ConfigValue.rope(theta: "500000.0")
    return model
  }
}
