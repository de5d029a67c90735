import TensorIO

/// What Adaptest knows about a transformers architecture: how its checkpoint names map to the model's
/// state dict, which weights are tied, which modules are embeddings or GPT-2 `Conv1D`s, and the order
/// in which its modules register children (which is the order of `state_dict()` and therefore of the
/// missing keys torch reports).
///
/// Known model types reproduce transformers 5.x exactly (see the recorded fixtures). Anything else
/// falls back to generic rules: conventional names get the conventional order (embeddings, layers,
/// attention before MLP, norms, head), other siblings are ordered naturally (numbers numerically,
/// names alphabetically), weight before bias.
public struct Architecture: Sendable, Hashable {
  /// `model_type` from `config.json`.
  public var modelType: String
  /// Whether the model type is one with recorded registration order and tie rules.
  public var isKnown: Bool
  /// The base model's attribute on head models (`model`, `transformer`, `bert`; `""` for T5).
  public var baseModelPrefix: String
  /// transformers' default of `tie_word_embeddings` when `config.json` omits it.
  public var defaultTieWordEmbeddings: Bool
  /// Names whose modules are `nn.Embedding`s.
  var embeddingNames: Set<String>
  /// Names whose modules are GPT-2 `Conv1D`s.
  var conv1DNames: Set<String>
  /// The registration order of children, by attribute name, for every parent.
  var childOrder: [String]
  /// Substring renames applied to checkpoint keys before anything else (transformers v5 conversions).
  var renames: [(from: String, to: String)]
  /// Per-expert checkpoint weights fused into 3-D parameters (transformers v5 MoE conversion).
  var expertFusion: ExpertFusion?
  /// Checkpoint key suffixes transformers ignores on load (old buffers).
  var ignoredSuffixes: [String]
  /// Prefix of module class names (`Llama` → `LlamaRMSNorm`).
  var classPrefix: String

  public static func == (lhs: Architecture, rhs: Architecture) -> Bool {
    lhs.modelType == rhs.modelType && lhs.isKnown == rhs.isKnown && lhs.baseModelPrefix == rhs.baseModelPrefix
  }
  public func hash(into hasher: inout Hasher) { hasher.combine(modelType) }

  /// The rank of an attribute name in registration order (`nil` if unknown).
  func rank(of name: String) -> Int? { Self.rankTables[modelType]?[name] ?? Self.genericRanks[name] }
}

/// transformers v5's fusion of per-expert MoE weights into 3-D parameters.
struct ExpertFusion: Hashable, Sendable {
  /// Per-expert names: `gate`, `up`, `down` (Mixtral: `w1`, `w3`, `w2`).
  var gate: String
  var up: String
  var down: String
}

extension Architecture {
  /// The architecture for a `model_type`, falling back to generic rules.
  public static func forModelType(_ modelType: String) -> Architecture {
    switch modelType {
    case "llama", "mistral", "qwen2", "qwen3", "phi3", "gemma", "gemma2", "gemma3_text":
      return decoder(modelType, tie: ["gemma", "gemma2", "gemma3_text"].contains(modelType))
    case "mixtral":
      var a = decoder(modelType, tie: false)
      a.renames = [(".block_sparse_moe.", ".mlp.")]
      a.expertFusion = ExpertFusion(gate: "w1", up: "w3", down: "w2")
      return a
    case "qwen2_moe", "qwen3_moe", "olmoe":
      var a = decoder(modelType, tie: false)
      a.expertFusion = ExpertFusion(gate: "gate_proj", up: "up_proj", down: "down_proj")
      return a
    case "gpt2":
      return Architecture(
        modelType: modelType, isKnown: true, baseModelPrefix: "transformer", defaultTieWordEmbeddings: true,
        embeddingNames: ["wte", "wpe"], conv1DNames: ["c_attn", "q_attn", "c_proj", "c_fc"],
        childOrder: [], renames: [], expertFusion: nil,
        ignoredSuffixes: [".attn.bias", ".attn.masked_bias", ".crossattention.bias", ".crossattention.masked_bias"],
        classPrefix: "GPT2")
    case "t5", "mt5", "umt5":
      return Architecture(
        modelType: modelType, isKnown: modelType == "t5", baseModelPrefix: "", defaultTieWordEmbeddings: true,
        embeddingNames: ["shared", "embed_tokens", "relative_attention_bias"], conv1DNames: [],
        childOrder: [], renames: [], expertFusion: nil,
        ignoredSuffixes: ["decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight"],
        classPrefix: "T5")
    case "bert", "roberta":
      return Architecture(
        modelType: modelType, isKnown: modelType == "bert", baseModelPrefix: modelType, defaultTieWordEmbeddings: true,
        embeddingNames: ["word_embeddings", "position_embeddings", "token_type_embeddings"], conv1DNames: [],
        childOrder: [], renames: [], expertFusion: nil, ignoredSuffixes: [".position_ids"],
        classPrefix: modelType == "bert" ? "Bert" : "Roberta")
    default:
      return Architecture(
        modelType: modelType, isKnown: false, baseModelPrefix: "model", defaultTieWordEmbeddings: true,
        embeddingNames: genericEmbeddingNames, conv1DNames: [], childOrder: [], renames: [], expertFusion: nil,
        ignoredSuffixes: ["rotary_emb.inv_freq"], classPrefix: "")
    }
  }

  private static func decoder(_ modelType: String, tie: Bool) -> Architecture {
    let prefixes = [
      "llama": "Llama", "mistral": "Mistral", "qwen2": "Qwen2", "qwen3": "Qwen3", "phi3": "Phi3", "gemma": "Gemma",
      "gemma2": "Gemma2", "gemma3_text": "Gemma3", "mixtral": "Mixtral", "qwen2_moe": "Qwen2Moe",
      "qwen3_moe": "Qwen3Moe", "olmoe": "Olmoe",
    ]
    return Architecture(
      modelType: modelType, isKnown: true, baseModelPrefix: "model", defaultTieWordEmbeddings: tie,
      embeddingNames: ["embed_tokens"], conv1DNames: [], childOrder: [], renames: [], expertFusion: nil,
      ignoredSuffixes: ["rotary_emb.inv_freq"], classPrefix: prefixes[modelType] ?? "")
  }

  static let genericEmbeddingNames: Set<String> = [
    "embed_tokens", "wte", "wpe", "word_embeddings", "position_embeddings", "token_type_embeddings", "shared",
    "embed_positions", "relative_attention_bias",
  ]

  /// The conventional registration order of common transformers attribute names. Siblings never
  /// disagree across the known architectures except where ``rankTables`` overrides it.
  static let genericOrder: [String] = [
    // model level
    "model", "transformer", "bert", "roberta", "shared", "embeddings", "encoder", "transform", "decoder",
    // embeddings
    "embed_tokens", "wte", "wpe", "word_embeddings", "position_embeddings", "token_type_embeddings",
    "drop", "layers", "h", "block", "layer",
    // attention
    "self_attn", "SelfAttention", "EncDecAttention", "attention", "ln_1", "attn", "ln_2", "crossattention",
    "ln_cross_attn", "q_proj", "k_proj", "v_proj", "o_proj", "qkv_proj", "q_norm", "k_norm", "c_attn", "q_attn",
    "self", "query", "key", "value", "q", "k", "v", "o", "relative_attention_bias",
    // feed-forward
    "DenseReluDense", "wi", "wi_0", "wi_1", "wo", "mlp", "block_sparse_moe", "gate", "experts", "shared_expert",
    "shared_expert_gate", "gate_proj", "up_proj", "gate_up_proj", "down_proj", "c_fc", "c_proj", "w1", "w2", "w3",
    "intermediate", "output", "dense", "LayerNorm", "layer_norm",
    // norms and the rest
    "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm",
    "norm", "ln_f", "final_layer_norm", "final_layernorm", "rotary_emb", "pooler", "cls", "predictions",
    "transform", "dropout", "act", "act_fn", "activation", "lm_head", "classifier", "score", "qa_outputs",
  ]

  static let genericRanks: [String: Int] = Dictionary(
    genericOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })

  /// Per-architecture exceptions to the generic order.
  static let rankTables: [String: [String: Int]] = [
    // Qwen-MoE blocks register the experts before the router; Mixtral the router first.
    "qwen3_moe": moved(["experts", "gate"], before: "shared_expert"),
    "qwen2_moe": moved(["experts", "gate"], before: "shared_expert"),
    "olmoe": moved(["experts", "gate"], before: "shared_expert"),
  ]

  private static func moved(_ names: [String], before anchor: String) -> [String: Int] {
    var order = genericOrder.filter { !names.contains($0) }
    let at = order.firstIndex(of: anchor) ?? order.endIndex
    order.insert(contentsOf: names, at: at)
    var result = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    for (k, v) in genericRanks where result[k] == nil { result[k] = v }
    return result
  }

  /// The order of a module's own tensors: `weight` before `bias`, fused expert projections in
  /// transformers' order, then the rest by name.
  static let tensorOrder: [String: Int] = [
    "weight": 0, "bias": 1, "gate_up_proj": 2, "gate_up_proj_bias": 3, "down_proj": 4, "down_proj_bias": 5,
  ]
}
