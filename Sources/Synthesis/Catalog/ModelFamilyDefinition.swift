import TensorIO

/// What the catalog knows about one architecture: its transformers classes, which dimensions it
/// has, the parameters `save_pretrained` writes in state-dict (module registration) order, and the
/// fields of the `config.json` transformers writes for it.
public struct ModelFamilyDefinition: Sendable {
  public let family: ModelFamily
  /// The config's `model_type`.
  public var modelType: String { family.rawValue }
  /// The model class in `architectures` (`LlamaForCausalLM`).
  public let modelClass: String
  /// The transformers auto class that builds it (`AutoModelForCausalLM`).
  public let autoClass: String
  /// transformers' default for `tie_word_embeddings`.
  public let defaultTieWordEmbeddings: Bool
  /// transformers ties the embeddings whatever the config says (T5 in transformers 5).
  public let tyingIsFixed: Bool
  /// transformers 5 has a checkpoint conversion mapping for the model type (the MoE families), and
  /// PEFT passes a LoRA checkpoint through it when loading: the conversion writes every `.lora_` key
  /// back with `base_model.model.` in front, so keys saved without that prefix load anyway.
  public let convertsLoRACheckpoints: Bool
  /// Optional dimensions the architecture has (beyond vocab, hidden, intermediate, layers, heads).
  public let optionalDimensions: Set<ModelDimensions.Field>
  /// Optional dimensions it cannot do without (`num_experts` for a MoE family).
  public let requiredDimensions: Set<ModelDimensions.Field>
  /// `max_position_embeddings` (or `n_positions`) when not given.
  public let defaultMaxPositionEmbeddings: Int
  /// Special-token fields the config carries, with transformers' defaults (`nil` = JSON null).
  public let specialTokenDefaults: [(key: String, value: Int?)]
  /// A small shape for tests: every dimension the architecture has, a few KiB of weights.
  public let tinyDimensions: ModelDimensions
  /// The config fields computed from the dimensions (the others are transformers' defaults).
  public let configDimensionKeys: [String]
  /// The state dict in registration order, with how each parameter is saved.
  let layout: @Sendable (_ dims: ResolvedDimensions, _ tieWordEmbeddings: Bool) -> [LayoutEntry]
  /// The architecture-specific config fields (the common ones are added by ``BaseModelSpec``).
  let configFields: @Sendable (_ dims: ResolvedDimensions) -> JSONObject

  init(
    family: ModelFamily, modelClass: String, autoClass: String, defaultTieWordEmbeddings: Bool,
    tyingIsFixed: Bool = false, convertsLoRACheckpoints: Bool = false, optionalDimensions: Set<ModelDimensions.Field>,
    requiredDimensions: Set<ModelDimensions.Field> = [], defaultMaxPositionEmbeddings: Int,
    specialTokenDefaults: [(key: String, value: Int?)], tinyDimensions: ModelDimensions,
    configDimensionKeys: [String], layout: @escaping @Sendable (ResolvedDimensions, Bool) -> [LayoutEntry],
    configFields: @escaping @Sendable (ResolvedDimensions) -> JSONObject
  ) {
    self.family = family
    self.modelClass = modelClass
    self.autoClass = autoClass
    self.defaultTieWordEmbeddings = defaultTieWordEmbeddings
    self.tyingIsFixed = tyingIsFixed
    self.convertsLoRACheckpoints = convertsLoRACheckpoints
    self.optionalDimensions = optionalDimensions
    self.requiredDimensions = requiredDimensions
    self.defaultMaxPositionEmbeddings = defaultMaxPositionEmbeddings
    self.specialTokenDefaults = specialTokenDefaults
    self.tinyDimensions = tinyDimensions
    self.configDimensionKeys = configDimensionKeys
    self.layout = layout
    self.configFields = configFields
  }

  /// Fills in defaults and checks every constraint transformers would trip over.
  /// - Throws: ``SynthesisError`` naming the dimension at fault (`num_heads`, `hidden_size`, …).
  public func resolve(_ dims: ModelDimensions) throws(SynthesisError) -> ResolvedDimensions {
    typealias F = ModelDimensions.Field
    for field in F.allCases where dims[field] != nil {
      let core: Set<F> = [.vocabSize, .hiddenSize, .intermediateSize, .layers, .attentionHeads]
      guard core.contains(field) || optionalDimensions.contains(field) else {
        throw SynthesisError(
          field: field.rawValue, .dimensionNotSupported(architecture: modelType, dimension: field.rawValue))
      }
      if let value = dims[field], value < 1 {
        throw SynthesisError(field: field.rawValue, .tooSmall(value, minimum: 1))
      }
    }
    for field in requiredDimensions where dims[field] == nil {
      throw SynthesisError(field: field.rawValue, .dimensionRequired(architecture: modelType, dimension: field.rawValue))
    }
    let heads = dims.attentionHeads
    let kvHeads = dims.keyValueHeads ?? heads
    guard heads % kvHeads == 0 else {
      throw SynthesisError(
        field: F.keyValueHeads.rawValue,
        .notDivisible(valueField: "num_heads", value: heads, divisorField: "num_kv_heads", divisor: kvHeads))
    }
    let headDim: Int
    if let explicit = dims.headDim {
      headDim = explicit
    } else {
      guard dims.hiddenSize % heads == 0 else {
        throw SynthesisError(
          field: F.hiddenSize.rawValue, .notDivisible(valueField: "hidden_size", value: dims.hiddenSize, divisorField: "num_heads", divisor: heads))
      }
      headDim = dims.hiddenSize / heads
    }
    let experts = dims.experts ?? 0
    let perToken = dims.expertsPerToken ?? min(2, experts)
    if experts > 0, perToken > experts {
      throw SynthesisError(
        field: F.expertsPerToken.rawValue,
        .invalidValue("\(perToken) experts per token, but only num_experts = \(experts)"))
    }
    return ResolvedDimensions(
      vocabSize: dims.vocabSize, hiddenSize: dims.hiddenSize, intermediateSize: dims.intermediateSize,
      layers: dims.layers, attentionHeads: heads, keyValueHeads: kvHeads, headDim: headDim,
      headDimIsExplicit: dims.headDim != nil, experts: experts,
      expertsPerToken: perToken, expertIntermediateSize: dims.expertIntermediateSize ?? dims.intermediateSize,
      maxPositionEmbeddings: dims.maxPositionEmbeddings ?? defaultMaxPositionEmbeddings)
  }
}
