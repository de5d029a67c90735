import TensorIO

/// CPT, context-aware prompt tuning (`peft.tuners.cpt`), causal LMs only. The config rebuilds itself on every
/// load (`CPTConfig.__post_init__`): `num_virtual_tokens = len(cpt_token_ids)` (`[0]` when absent), one
/// transformer submodule, and `token_dim`, `num_layers`, `num_attention_heads` cleared so they come from the
/// base again. The encoder (`CPTEmbedding`) holds `embedding` and `delta_embedding`, both
/// `(num_virtual_tokens, token_dim)`; only their sum is saved, as `prompt_embeddings`, and loading puts it
/// into `embedding` (the delta stays zero).
public struct CPTTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .cpt }
  public var configClassName: String { "CPTConfig" }
  public var modelClassName: String { "CPTEmbedding" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "num_virtual_tokens", "token_dim", "num_transformer_submodules", "num_attention_heads", "num_layers",
      "modules_to_save", "cpt_token_ids", "cpt_mask", "cpt_tokens_type_mask", "opt_weighted_loss_type",
      "opt_loss_decay_factor", "opt_projection_epsilon", "opt_projection_format_epsilon", "tokenizer_name_or_path",
    ])
  }
  public var layerAttributes: [LayerAttribute] { [] }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if config.taskType != "CAUSAL_LM" { throw .valueError("CPTConfig only supports task_type = CAUSAL_LM.") }
    let tokens = try Self.list(config, "cpt_token_ids")?.count ?? 1
    let mask = try Self.list(config, "cpt_mask")?.count ?? tokens
    let types = try Self.list(config, "cpt_tokens_type_mask")?.count ?? tokens
    if !(tokens == mask && mask == types) {
      throw .valueError("cpt_token_ids, cpt_mask and cpt_tokens_type_mask must have the same length.")
    }
  }

  /// A list field; `nil` when absent or null.
  static func list(_ config: AdapterConfig, _ field: String) throws(PythonError) -> [JSONValue]? {
    guard let json = config.json[field], !json.isNull else { return nil }
    guard let items = json.arrayValue else {
      throw .notSimulated(
        "\(config.source): `\(field)` is \(json.typeName), not a list; what PEFT's CPT code does with it is not modelled")
    }
    return items
  }

  /// `CPTConfig.__post_init__`'s overrides, which PEFT applies whenever it reads the config.
  public func prepareConfig(_ config: inout AdapterConfig, base: BaseModel) throws(PythonError) {
    config.numVirtualTokens = try Self.list(config, "cpt_token_ids")?.count ?? 1
    config.numTransformerSubmodules = 1
    config.tokenDim = nil
    config.numLayers = nil
    config.numAttentionHeads = nil
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    throw .valueError("Not supported")
  }

  public func promptEncoder(_ config: AdapterConfig) throws(PythonError) -> PromptEncoderPlan {
    let (virtualTokens, tokenDim) = try PromptLearningTuner.sizes(config)
    return PromptEncoderPlan(
      className: "CPTEmbedding",
      embeddings: [
        .init("embedding", rows: virtualTokens, width: tokenDim), .init("delta_embedding", rows: virtualTokens, width: tokenDim),
      ])
  }

  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    // What PEFT saves for CPT is the prompt embedding alone, as for the other prompt methods.
    try PromptLearningTuner.promptEmbeddings(request)
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    checkpoint
  }
}
