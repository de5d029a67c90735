import TensorIO

/// The prompt-learning methods: no layers in the model; one prompt encoder per adapter, saved as a single
/// `prompt_embeddings` tensor and loaded into the encoder's embedding (PEFT's `BasePromptEncoder`).
///
/// Prompt tuning and p-tuning: `(num_virtual_tokens · num_transformer_submodules, token_dim)`; prefix
/// tuning: `(num_virtual_tokens, num_layers · 2 · token_dim)` (the projected prefix when
/// `prefix_projection`).
public struct PromptLearningTuner: Tuner {
  public let peftType: PeftType
  public let configClassName: String
  let extraFields: Set<String>

  init(_ type: PeftType, configClass: String, extraFields: Set<String>) {
    peftType = type
    configClassName = configClass
    self.extraFields = extraFields
  }

  public static let promptTuning = PromptLearningTuner(
    .promptTuning, configClass: "PromptTuningConfig",
    extraFields: ["prompt_tuning_init", "prompt_tuning_init_text", "tokenizer_name_or_path", "tokenizer_kwargs"])
  public static let prefixTuning = PromptLearningTuner(
    .prefixTuning, configClass: "PrefixTuningConfig", extraFields: ["init_weights", "encoder_hidden_size", "prefix_projection"])
  public static let pTuning = PromptLearningTuner(
    .pTuning, configClass: "PromptEncoderConfig",
    extraFields: ["encoder_reparameterization_type", "encoder_hidden_size", "encoder_num_layers", "encoder_dropout"])

  public var modelClassName: String { "PromptEncoder" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "num_virtual_tokens", "token_dim", "num_transformer_submodules", "num_attention_heads", "num_layers",
      "modules_to_save",
    ]).union(extraFields)
  }
  public var layerAttributes: [LayerAttribute] { [] }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    throw .valueError("Not supported")
  }

  public func promptEncoder(_ config: AdapterConfig) throws(PythonError) -> PromptEncoderPlan {
    let (virtualTokens, tokenDim) = try PromptLearningTuner.sizes(config)
    switch peftType {
    case .prefixTuning:
      guard let layers = config.numLayers else { throw PromptLearningTuner.noneOperand }
      return PromptEncoderPlan(
        className: "PrefixEncoder",
        embeddings: [.init("embedding", rows: virtualTokens, width: try Checked.product([layers, 2, tokenDim]))])
    default:
      let rows = try Checked.product([virtualTokens, config.numTransformerSubmodules ?? 1])
      return PromptEncoderPlan(
        className: peftType == .pTuning ? "PromptEncoder" : "PromptEmbedding",
        embeddings: [.init("embedding", rows: rows, width: tokenDim)])
    }
  }

  /// `num_virtual_tokens` and `token_dim` of a prepared config; Python multiplies `None` otherwise.
  static func sizes(_ config: AdapterConfig) throws(PythonError) -> (virtualTokens: Int, tokenDim: Int) {
    guard let virtualTokens = config.numVirtualTokens, let tokenDim = config.tokenDim else { throw noneOperand }
    return (virtualTokens, tokenDim)
  }

  static let noneOperand = PythonError.typeError("unsupported operand type(s) for *: 'NoneType' and 'int'")

  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    try Self.promptEmbeddings(request)
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    checkpoint
  }

  /// `get_peft_model_state_dict` for prompt learning: the encoder's embedding, saved as
  /// `prompt_embeddings` (what every method that keeps its prompt in `embedding` saves).
  static func promptEmbeddings(_ request: SaveRequest) throws(PythonError) -> StateDict {
    let key = "prompt_encoder.\(request.adapterName).embedding.weight"
    guard let entry = request.model.stateDict[key] else { throw .keyError(key) }
    return StateDict([.init(key: "prompt_embeddings", info: entry.info)])
  }
}
