import TensorIO

/// SHiRA (`peft.tuners.shira`): sparse high-rank adaptation on `nn.Linear`. Per layer
/// `shira_weight (r·(in+out),)` (`r` default 32, and `r·(in+out)` must not exceed `in·out`); the positions
/// of those weights, `shira_indices` (int32 `(2, r·(in+out))`), live in a plain dict, not the state dict:
/// PEFT's `_get_adapter_state_dict` adds them to the checkpoint as `<layer>.shira_indices` and its
/// `_remap_adapter_state_dict_for_load` pops them again before torch loads, so they are never missing
/// or unexpected keys.
public struct SHiRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .shira }
  public var configClassName: String { "ShiraConfig" }
  public var modelClassName: String { "ShiraModel" }
  public var configFields: Set<String> {
    commonConfigFields.union(["r", "mask_type", "random_seed", "target_modules", "fan_in_fan_out", "init_weights", "modules_to_save"])
  }
  public var layerAttributes: [LayerAttribute] { [LayerAttribute("shira_weight", .parameterDict)] }

  /// `TRANSFORMERS_MODELS_TO_SHIRA_TARGET_MODULES_MAPPING`: LoRA's (the `phi` difference is outside
  /// Adaptest's architectures).
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    guard case .linear(let i, let o, _) = target.base else {
      throw TunerSupport.unsupportedTarget(
        target.repr, supported: "`torch.nn.Linear`.")
    }
    if target.existingLayer == nil { TunerSupport.adjustFanInFanOut(target, config: &config, context: &context) }
    let r = config.r ?? 32
    try TunerSupport.positiveRank(r)
    let count = try Checked.product([r, i + o])
    let total = try Checked.product([i, o])
    if count > total {
      throw .valueError(
        "The set rank \(r) results in more shira params than the total number of params in the base layer \(total) and "
          + "this is not allowed.")
    }
    return LayerPlan(layerClassName: "Linear", entries: [.parameter("shira_weight", [count])])
  }

  /// The SHiRA layers' module paths, for the `shira_indices` keys.
  static func layerPaths(_ model: PeftModel) -> [String] {
    model.tree.namedModules().compactMap { name, node in
      model.tree[node].child("shira_weight") != nil && model.isTunerLayer(node) ? name : nil
    }
  }

  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    var result = defaultAdapterStateDict(request)
    // Only layers created with a mask have indices (`mask_type="random"`, the only built-in mask).
    guard (try TunerSupport.string(request.config, "mask_type", default: "random")) == "random" else { return result }
    for path in Self.layerPaths(request.model) {
      guard let weight = request.stateDict["\(path).shira_weight.\(request.adapterName)"] else { continue }
      let count = weight.info.shape.first ?? 0
      result["\(path).shira_indices.\(request.adapterName)"] = StateDict.Entry(
        key: "\(path).shira_indices.\(request.adapterName)", info: TensorInfo(dtype: .i32, shape: [2, count]))
    }
    return result
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    var remapped = defaultRemap(checkpoint, request: request)
    remapped.remove(Set(Self.layerPaths(request.model).map { "\($0).shira_indices" }))
    return remapped
  }
}
