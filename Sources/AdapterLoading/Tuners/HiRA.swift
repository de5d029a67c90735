import TensorIO

/// HiRA (`peft.tuners.hira`): a Hadamard product of the base weight with a low-rank update, so its
/// parameters are LoRA's shapes held as `ParameterDict`s (saved without `.weight`). `r` from
/// `rank_pattern` or `r` (default 32).
///
/// Linear and GPT-2 `Conv1D`: `hira_A (r, in)`, `hira_B (out, r)`; Embedding: `hira_embedding_A (r, num)`,
/// `hira_embedding_B (dim, r)`; Conv1d/2d/3d: `hira_A (r, in, *kernel)`, `hira_B (out, r, 1…)`. Anything
/// else is refused with PEFT's `ValueError`. Unlike LoRA, the `fan_in_fan_out` correction is passed to
/// each new layer without changing the config, so PEFT warns once per module.
public struct HiRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .hira }
  public var configClassName: String { "HiraConfig" }
  public var modelClassName: String { "HiraModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "target_modules", "exclude_modules", "hira_dropout", "fan_in_fan_out", "modules_to_save", "init_weights",
      "layers_to_transform", "layers_pattern", "rank_pattern",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("hira_dropout", .moduleDict), LayerAttribute("hira_A", .parameterDict),
      LayerAttribute("hira_B", .parameterDict), LayerAttribute("hira_embedding_A", .parameterDict),
      LayerAttribute("hira_embedding_B", .parameterDict),
    ]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    try TunerSupport.checkRegexTargets(config)
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = try TunerSupport.rank(config, key: target.key, default: config.r ?? 32)
    // `dispatch_default`: the class follows the innermost base layer; a new layer warns first.
    if target.existingLayer == nil { TunerSupport.warnFanInFanOut(target, config: config, context: &context) }
    switch target.base {
    case .linear(let i, let o, _), .conv1D(let i, let o, _):
      try TunerSupport.positiveRank(r)
      return LayerPlan(layerClassName: "Linear", entries: [.parameter("hira_A", [r, i]), .parameter("hira_B", [o, r])])
    case .embedding(let n, let d):
      try TunerSupport.positiveRank(r)
      return LayerPlan(
        layerClassName: "Embedding", entries: [.parameter("hira_embedding_A", [r, n]), .parameter("hira_embedding_B", [d, r])])
    case .conv(let d, let i, let o, let kernel, _) where (1...3).contains(d):
      try TunerSupport.positiveRank(r)
      return LayerPlan(
        layerClassName: "Conv\(d)d",
        entries: [.parameter("hira_A", [r, i] + kernel), .parameter("hira_B", [o, r] + Array(repeating: 1, count: d))])
    default:
      throw TunerSupport.unsupportedTarget(
        target.repr, supported: "`torch.nn.Linear`, `torch.nn.Embedding`, `torch.nn.Conv1d`, `torch.nn.Conv2d`, `torch.nn.Conv3d`, "
          + "`transformers.pytorch_utils.Conv1D`.", kind: "ValueError")
    }
  }
}
