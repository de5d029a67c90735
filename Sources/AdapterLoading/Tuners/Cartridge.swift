import TensorIO

/// Cartridge (`peft.tuners.cartridge`): a trained KV-cache prefix served like prefix tuning (the width is
/// `num_layers · 2 · token_dim`, `token_dim` sized for the key/value heads). The encoder
/// (`CartridgeEncoder`) registers `frozen_embedding (num_frozen_tokens, width)` (only when
/// `num_frozen_tokens > 0`) and `trainable_embedding (num_virtual_tokens − num_frozen_tokens, width)`
/// directly, with no `embedding` module; both are saved concatenated as `prompt_embeddings`, which
/// `load_prompt_embeddings` checks (two dimensions, `num_virtual_tokens` rows: else a `ValueError`) and
/// copies back in two slices (`Tensor.copy_`, which broadcasts a width of 1 and raises on any other width).
public struct CartridgeTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .cartridge }
  public var configClassName: String { "CartridgeConfig" }
  public var modelClassName: String { "CartridgeEncoder" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "num_virtual_tokens", "token_dim", "num_transformer_submodules", "num_attention_heads", "num_layers",
      "modules_to_save", "num_frozen_tokens",
    ])
  }
  public var layerAttributes: [LayerAttribute] { [] }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    let frozen = try TunerSupport.int(config, "num_frozen_tokens", default: 1)
    if frozen < 0 { throw .valueError("`num_frozen_tokens` must be >= 0, got \(frozen).") }
    if let virtualTokens = config.numVirtualTokens, frozen > virtualTokens {
      throw .valueError(
        "`num_frozen_tokens` must be <= `num_virtual_tokens`, got num_frozen_tokens=\(frozen) and "
          + "num_virtual_tokens=\(virtualTokens).")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    throw .valueError("Not supported")
  }

  public func promptEncoder(_ config: AdapterConfig) throws(PythonError) -> PromptEncoderPlan {
    let (virtualTokens, tokenDim) = try PromptLearningTuner.sizes(config)
    guard let layers = config.numLayers else { throw PromptLearningTuner.noneOperand }
    let width = try Checked.product([layers, 2, tokenDim])
    let frozen = try TunerSupport.int(config, "num_frozen_tokens", default: 1)
    var parameters: [ModuleTensor] = []
    if frozen > 0 { parameters.append(ModuleTensor(name: "frozen_embedding", info: TensorInfo(dtype: .f32, shape: [frozen, width]))) }
    parameters.append(
      ModuleTensor(name: "trainable_embedding", info: TensorInfo(dtype: .f32, shape: [virtualTokens - frozen, width])))
    return PromptEncoderPlan(className: "CartridgeEncoder", parameters: parameters, embeddings: [])
  }

  /// `get_prompt_embedding_to_save`: the frozen and trainable rows, concatenated.
  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    let prefix = "prompt_encoder.\(request.adapterName)."
    guard let trainable = request.model.stateDict[prefix + "trainable_embedding"] else {
      throw .keyError(prefix + "trainable_embedding")
    }
    let frozenRows = request.model.stateDict[prefix + "frozen_embedding"]?.info.shape.first ?? 0
    var info = trainable.info
    info.shape[0] += frozenRows
    return StateDict([.init(key: "prompt_embeddings", info: info)])
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    checkpoint
  }

  /// `CartridgeEncoder.load_prompt_embeddings`.
  public func loadPromptEncoder(_ checkpoint: StateDict, encoder: StateDict) throws(PromptEncoderLoadError) {
    guard let saved = checkpoint["prompt_embeddings"] else { throw PromptEncoderLoadError(.keyError("prompt_embeddings")) }
    guard let trainable = encoder["trainable_embedding"], trainable.info.shape.count == 2 else { return }
    let frozenRows = encoder["frozen_embedding"]?.info.shape.first ?? 0
    let rows = frozenRows + trainable.info.shape[0]
    let width = trainable.info.shape[1]
    let shape = saved.info.shape
    let mismatch = [Mismatch(key: saved.key, checkpointShape: shape, modelShape: [rows, width])]
    if shape.count != 2 || shape[0] != rows {
      throw PromptEncoderLoadError(
        .valueError("Invalid `prompt_embeddings` shape. Expected (\(rows), hidden), got \(pythonTupleRepr(shape))."),
        mismatches: mismatch)
    }
    if shape[1] != width && shape[1] != 1 {
      throw PromptEncoderLoadError(
        .runtimeError(
          "The size of tensor a (\(width)) must match the size of tensor b (\(shape[1])) at non-singleton dimension 1"),
        mismatches: mismatch)
    }
  }
}
