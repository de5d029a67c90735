/// The model families Adaptest can synthesize, named by their transformers `model_type`.
public enum ModelFamily: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  case llama
  case mistral
  case qwen2
  /// Tied embeddings by default; norms stored as offsets from one.
  case gemma
  /// `Conv1D` projections (transposed weights), fused `c_attn`, tied `wte`/`lm_head`.
  case gpt2
  /// Encoder-decoder; `shared` embedding tied to both stacks and `lm_head`.
  case t5
  /// Encoder only, saved as `BertForMaskedLM`.
  case bert
  /// Mixture of experts with fused 3-D expert parameters in memory, per-expert tensors on disk.
  case qwen3Moe = "qwen3_moe"
  /// Mixture of experts; the checkpoint keeps the original `block_sparse_moe.experts.N.w1/w2/w3` names.
  case mixtral
  /// Fused `qkv_proj` and `gate_up_proj`.
  case phi3

  /// The catalog entry.
  public var definition: ModelFamilyDefinition {
    switch self {
    case .llama: .llama
    case .mistral: .mistral
    case .qwen2: .qwen2
    case .gemma: .gemma
    case .gpt2: .gpt2
    case .t5: .t5
    case .bert: .bert
    case .qwen3Moe: .qwen3Moe
    case .mixtral: .mixtral
    case .phi3: .phi3
    }
  }

  /// Looks an architecture up by its `model_type`.
  /// - Throws: ``SynthesisError`` (at the empty field; callers add theirs) for unknown names.
  public static func named(_ name: String) throws(SynthesisError) -> ModelFamily {
    guard let family = ModelFamily(rawValue: name) else {
      throw SynthesisError(field: "", .unknownArchitecture(name, known: allCases.map(\.rawValue)))
    }
    return family
  }

  public var description: String { rawValue }
}
