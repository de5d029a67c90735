import TensorIO

/// Uni-LoRA (`peft.tuners.unilora`): every LoRA entry of every layer indexes one shared trainable vector,
/// `unilora_theta_d (theta_d_length,)` (default 256), a `ParameterDict` on the tuner model that each layer
/// also references. Per Linear or GPT-2 `Conv1D` layer, the indices `unilora_indices_A (r, in)`,
/// `unilora_indices_B (out, r)` (int64) and their scales `unilora_scales_A/B` (same shapes) are buffers,
/// persistent only with `save_indices` (default off: regenerated from `proj_seed`).
///
/// PEFT's `_get_adapter_state_dict` saves `base_model.unilora_theta_d` (not the per-layer references, which
/// its missing-key filter also leaves out) plus, with `save_indices`, the indices and scales. PEFT toggles
/// the persistence of a layer's index buffers for all its adapters at once, from the last adapter added;
/// Adaptest applies each adapter's own `save_indices` to its own buffers (they differ only when adapters
/// of one model disagree on it).
public struct UniLoRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .unilora }
  public var configClassName: String { "UniLoraConfig" }
  public var modelClassName: String { "UniLoraModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "proj_seed", "theta_d_length", "target_modules", "unilora_dropout", "fan_in_fan_out", "bias",
      "modules_to_save", "init_theta_d_bound", "init_weights", "save_indices", "layers_to_transform", "layers_pattern",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("unilora_dropout", .moduleDict), LayerAttribute("unilora_indices_A", .bufferDict(persistent: true)),
      LayerAttribute("unilora_indices_B", .bufferDict(persistent: true)),
      LayerAttribute("unilora_scales_A", .bufferDict(persistent: true)),
      LayerAttribute("unilora_scales_B", .bufferDict(persistent: true)),
      LayerAttribute("unilora_theta_d", .parameterDict, shared: "unilora_theta_d"),
    ]
  }

  public func modelAttributes(_ config: AdapterConfig) -> [LayerAttribute] {
    [LayerAttribute("unilora_theta_d", .parameterDict)]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    let r = config.r ?? 4
    if r <= 0 { throw .valueError("`r` should be a positive integer, got \(r).") }
    let length = try TunerSupport.int(config, "theta_d_length", default: 256)
    if length <= 0 { throw .valueError("`theta_d_length` should be a positive integer, got \(length).") }
    let dropout = try TunerSupport.double(config, "unilora_dropout", default: 0)
    if !(0...1).contains(dropout) {
      throw .valueError("`unilora_dropout` should be between 0.0 and 1.0, got \(pythonFloat(dropout)).")
    }
    let bound = try TunerSupport.double(config, "init_theta_d_bound", default: 0.02)
    if bound <= 0 { throw .valueError("`init_theta_d_bound` should be a positive float, got \(pythonFloat(bound)).") }
    let bias = config.bias ?? "none"
    if !["none", "all", "unilora_only"].contains(bias) {
      throw .valueError("`bias` should be 'none', 'all', or 'unilora_only', got \(bias).")
    }
    try TunerSupport.checkRegexTargets(config)
  }

  /// `str(float)`: Swift's shortest round-trip form agrees with Python's for these values (`0.5`, `2.0`).
  private func pythonFloat(_ value: Double) -> String { "\(value)" }

  public func modelLevelEntries(_ config: AdapterConfig, targets: [InjectionTarget], adapterName: String)
    throws(PythonError) -> [AdapterEntry]
  {
    [.parameter("unilora_theta_d", [try TunerSupport.int(config, "theta_d_length", default: 256)])]
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let (i, o) = try TunerSupport.linearOrConv1D(target, config: &config, context: &context)
    let r = config.r ?? 4
    if r <= 0 { throw .valueError("`r` \(r) should be a positive integer value") }
    var entries: [AdapterEntry] = []
    if try TunerSupport.bool(config, "save_indices", default: false) {
      entries = [
        AdapterEntry("unilora_indices_A", .buffer(TensorInfo(dtype: .i64, shape: [r, i]))),
        AdapterEntry("unilora_indices_B", .buffer(TensorInfo(dtype: .i64, shape: [o, r]))),
        AdapterEntry("unilora_scales_A", .buffer(TunerSupport.f32([r, i]))),
        AdapterEntry("unilora_scales_B", .buffer(TunerSupport.f32([o, r]))),
      ]
    }
    // A later adapter's vector joins the shared dict when its first layer is created.
    var modelEntries: [AdapterEntry] = []
    if !(target.sharedState["unilora_theta_d"] ?? []).contains(where: { $0.name == adapterName }) {
      modelEntries = [.parameter("unilora_theta_d", [try TunerSupport.int(config, "theta_d_length", default: 256)])]
    }
    return LayerPlan(layerClassName: "Linear", entries: entries, modelEntries: modelEntries)
  }

  /// `_get_adapter_state_dict`: the shared vector, the indices and scales with `save_indices`, learnable biases.
  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    let thetaKey = "base_model.unilora_theta_d.\(request.adapterName)"
    guard let theta = request.stateDict[thetaKey] else {
      throw .keyError("Expected UniLora parameter '\(thetaKey)' in the model state dict.")
    }
    var result = StateDict([theta])
    if try TunerSupport.bool(request.config, "save_indices", default: false) {
      for entry in request.stateDict.entries
      where (entry.key.contains("unilora_indices") || entry.key.contains("unilora_scales"))
        && entry.key.contains(".\(request.adapterName)")
      {
        result[entry.key] = entry
      }
    }
    for entry in learnableBiases(request) where !result.contains(entry.key) { result[entry.key] = entry }
    return result
  }
}
