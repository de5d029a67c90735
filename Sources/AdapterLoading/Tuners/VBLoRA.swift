import TensorIO

/// VB-LoRA (`peft.tuners.vblora`): per layer `vblora_logits_A (r, in/L, N)` and `vblora_logits_B
/// (out/L, r, N)` over a shared vector bank `vblora_vector_bank (N, L)` on the tuner model (N =
/// `num_vectors`, L = `vector_length`). With `save_only_topk_weights` the logits are saved as
/// `…_topk_indices (…, k)` (smallest integer type for N) and `…_topk_weights (…, k-1)`.
public struct VBLoRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .vblora }
  public var configClassName: String { "VBLoRAConfig" }
  public var modelClassName: String { "VBLoRAModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "num_vectors", "vector_length", "topk", "target_modules", "exclude_modules", "save_only_topk_weights",
      "vblora_dropout", "fan_in_fan_out", "bias", "modules_to_save", "init_vector_bank_bound", "init_logits_std",
      "layers_to_transform", "layers_pattern",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("vblora_dropout", .moduleDict), LayerAttribute("vblora_logits_A", .parameterDict),
      LayerAttribute("vblora_logits_B", .parameterDict),
      LayerAttribute("vblora_vector_bank", .parameterDict, shared: "vblora_vector_bank"),
    ]
  }

  public func modelAttributes(_ config: AdapterConfig) -> [LayerAttribute] {
    [LayerAttribute("vblora_vector_bank", .parameterDict)]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  func numbers(_ config: AdapterConfig) -> (r: Int, vectors: Int, length: Int, topk: Int) {
    (config.r ?? 4, config.numVectors ?? 256, config.vectorLength ?? 256, config.topk ?? 2)
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let (r, vectors, length, topk) = numbers(config)
    let bank = AdapterEntry.parameter("vblora_vector_bank", [vectors, length])
    let (i, o) = try TunerSupport.linearOrConv1D(target, config: &config, context: &context)
    if r <= 0 { throw .valueError("`r` \(r) should be a positive integer value") }
    if topk <= 0 { throw .valueError("`topk` \(topk) should be a positive integer value") }
    guard length > 0, i % length == 0 else {
      throw .valueError("`in_features` \(i) must be divisible by `vector_length` \(length)")
    }
    guard o % length == 0 else { throw .valueError("`out_features` \(o) must be divisible by `vector_length` \(length)") }
    return LayerPlan(
      layerClassName: "Linear",
      entries: [.parameter("vblora_logits_A", [r, i / length, vectors]), .parameter("vblora_logits_B", [o / length, r, vectors])],
      modelEntries: [bank])
  }

  /// The dtype PEFT picks for saved top-k indices.
  static func indexType(_ vectors: Int) -> DType {
    if vectors < 1 << 8 { return .u8 }
    if vectors < 1 << 15 { return .i16 }
    if vectors < 1 << 31 { return .i32 }
    return .i64
  }

  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    let (_, vectors, _, topk) = numbers(request.config)
    var result = StateDict()
    for entry in request.stateDict.entries where entry.key.hasSubstring("vblora_logits") {
      if request.config.saveOnlyTopkWeights == true {
        let lead = Array(entry.info.shape.dropLast())
        result[entry.key + "_topk_indices"] = .init(
          key: entry.key + "_topk_indices", info: TensorInfo(dtype: Self.indexType(vectors), shape: lead + [topk]))
        result[entry.key + "_topk_weights"] = .init(
          key: entry.key + "_topk_weights", info: TensorInfo(dtype: entry.info.dtype, shape: lead + [topk - 1]))
      } else {
        result[entry.key] = entry
      }
    }
    let bank = "base_model.vblora_vector_bank.\(request.adapterName)"
    guard let bankEntry = request.stateDict[bank] else { throw .keyError(bank) }
    result[bank] = bankEntry
    for entry in learnableBiases(request) { result[entry.key] = entry }
    return result
  }

  public func checkpointKey(forModelKey key: String, adapterName: String) -> String {
    if key.contains("."), !key.hasSuffix("." + adapterName) {
      let (head, suffix) = splitKey(key)
      if suffix.hasPrefix(adapterName + "_") {
        return head + "_" + suffix.dropFirst(adapterName.count + 1)
      }
    }
    return removeAdapterName(from: key, adapterName: adapterName)
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    var state = checkpoint
    if request.config.saveOnlyTopkWeights == true {
      state = try Self.expandTopK(checkpoint, model: request.model, config: request.config, adapterName: request.adapterName)
    }
    return defaultRemap(state, request: request)
  }
}

extension VBLoRATuner {
  /// `save_only_topk_weights`: each `…_topk_indices`/`…_topk_weights` pair becomes the logits tensor it
  /// stands for (`[..., num_vectors]`); a pair missing its weights is PEFT's `KeyError`.
  static func expandTopK(_ checkpoint: StateDict, model: PeftModel, config: AdapterConfig, adapterName: String)
    throws(PythonError) -> StateDict
  {
    var state = checkpoint
    let vectors = model.sharedState()["vblora_vector_bank"]?
      .first { $0.name == adapterName }?.info.shape.first ?? VBLoRATuner().numbers(config).vectors
    for key in checkpoint.keys where key.hasSubstring("_topk_indices") {
      guard let indices = state[key] else { continue }
      let weightsKey = key.replacing("_topk_indices", with: "_topk_weights")
      guard state.contains(weightsKey) else { throw .keyError(weightsKey) }
      let original = key.replacing("_topk_indices", with: "")
      let shape = Array(indices.info.shape.dropLast()) + [vectors]
      state[original] = .init(key: original, info: TensorInfo(dtype: .f32, shape: shape))
      state[key] = nil
      state[weightsKey] = nil
    }
    return state
  }
}
