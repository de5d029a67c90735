/// The size parameters a synthesized model is built from. Optional fields default per
/// architecture; a field an architecture does not have must stay `nil`.
public struct ModelDimensions: Sendable, Hashable {
  public var vocabSize: Int
  public var hiddenSize: Int
  public var intermediateSize: Int
  public var layers: Int
  public var attentionHeads: Int
  /// Grouped-query attention's key/value heads; `nil` means as many as ``attentionHeads``.
  public var keyValueHeads: Int?
  /// Per-head width; `nil` means `hiddenSize / attentionHeads`.
  public var headDim: Int?
  /// MoE: experts per layer.
  public var experts: Int?
  /// MoE: experts routed per token.
  public var expertsPerToken: Int?
  /// MoE: each expert's intermediate size (Qwen3-MoE `moe_intermediate_size`); `nil` means
  /// ``intermediateSize``.
  public var expertIntermediateSize: Int?
  /// Position-embedding rows for learned positions (GPT-2, BERT); the config value elsewhere.
  public var maxPositionEmbeddings: Int?

  public init(
    vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layers: Int, attentionHeads: Int,
    keyValueHeads: Int? = nil, headDim: Int? = nil, experts: Int? = nil, expertsPerToken: Int? = nil,
    expertIntermediateSize: Int? = nil, maxPositionEmbeddings: Int? = nil
  ) {
    self.vocabSize = vocabSize
    self.hiddenSize = hiddenSize
    self.intermediateSize = intermediateSize
    self.layers = layers
    self.attentionHeads = attentionHeads
    self.keyValueHeads = keyValueHeads
    self.headDim = headDim
    self.experts = experts
    self.expertsPerToken = expertsPerToken
    self.expertIntermediateSize = expertIntermediateSize
    self.maxPositionEmbeddings = maxPositionEmbeddings
  }

  /// The names of the dimensions as case files spell them.
  public enum Field: String, Sendable, Hashable, CaseIterable {
    case vocabSize = "vocab_size"
    case hiddenSize = "hidden_size"
    case intermediateSize = "intermediate_size"
    case layers = "num_layers"
    case attentionHeads = "num_heads"
    case keyValueHeads = "num_kv_heads"
    case headDim = "head_dim"
    case experts = "num_experts"
    case expertsPerToken = "experts_per_token"
    case expertIntermediateSize = "expert_intermediate_size"
    case maxPositionEmbeddings = "max_position_embeddings"
  }

  /// The value of an optional field (`nil` when unset); required fields are never `nil`.
  public subscript(field: Field) -> Int? {
    switch field {
    case .vocabSize: vocabSize
    case .hiddenSize: hiddenSize
    case .intermediateSize: intermediateSize
    case .layers: layers
    case .attentionHeads: attentionHeads
    case .keyValueHeads: keyValueHeads
    case .headDim: headDim
    case .experts: experts
    case .expertsPerToken: expertsPerToken
    case .expertIntermediateSize: expertIntermediateSize
    case .maxPositionEmbeddings: maxPositionEmbeddings
    }
  }
}

/// Dimensions with every default filled in and every constraint checked: what the parameter and
/// config builders work from.
public struct ResolvedDimensions: Sendable, Hashable {
  public var vocabSize: Int
  public var hiddenSize: Int
  public var intermediateSize: Int
  public var layers: Int
  public var attentionHeads: Int
  public var keyValueHeads: Int
  public var headDim: Int
  /// Whether `head_dim` was given rather than derived from the hidden size.
  public var headDimIsExplicit: Bool
  public var experts: Int
  public var expertsPerToken: Int
  public var expertIntermediateSize: Int
  public var maxPositionEmbeddings: Int

  /// `attentionHeads * headDim`: the width of the query projection.
  public var queryWidth: Int { attentionHeads * headDim }
  /// `keyValueHeads * headDim`: the width of the key and value projections.
  public var keyValueWidth: Int { keyValueHeads * headDim }
}
