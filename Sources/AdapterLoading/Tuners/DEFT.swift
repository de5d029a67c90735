import TensorIO

/// DEFT (`peft.tuners.deft`): a learned projection `deft_P (out, r')` and, unless `para=True` (PaRa),
/// an injection matrix `deft_R (r', in)`, with `r' = min(r, out)` (default `r` 8). Linear and GPT-2
/// `Conv1D` (which flip `fan_in_fan_out` in the config with PEFT's warning).
public struct DEFTTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .deft }
  public var configClassName: String { "DeftConfig" }
  public var modelClassName: String { "DeftModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "target_modules", "exclude_modules", "decomposition_method", "init_scale", "alpha", "para", "fan_in_fan_out",
      "deft_dropout", "init_weights", "layers_to_transform", "layers_pattern", "bias", "modules_to_save",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("deft_P", .parameterDict), LayerAttribute("deft_R", .parameterDict),
      LayerAttribute("deft_dropout", .moduleDict), LayerAttribute("_cached_merge_factor", .bufferDict(persistent: false)),
    ]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    let method = try TunerSupport.string(config, "decomposition_method", default: "relu")
    if method != "qr" && method != "relu" {
      throw .valueError("Unknown decomposition_method '\(method)', must be one of ['qr', 'relu'].")
    }
    try TunerSupport.checkRegexTargets(config)
    if config.layersPattern?.isEmpty == false && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified. ")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let (i, o): (Int, Int)
    switch target.base {
    case .linear(let a, let b, _), .conv1D(let a, let b, _): (i, o) = (a, b)
    default:
      throw .typeError(
        "Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear` and "
          + "`transformers.pytorch_utils.Conv1D` are supported.")
    }
    if target.existingLayer == nil { TunerSupport.adjustFanInFanOut(target, config: &config, context: &context) }
    let requested = config.r ?? 8
    try TunerSupport.positiveRank(requested)
    let r = min(requested, o)
    var entries: [AdapterEntry] = [.parameter("deft_P", [o, r])]
    if !(try TunerSupport.bool(config, "para", default: false)) { entries.append(.parameter("deft_R", [r, i])) }
    return LayerPlan(layerClassName: "DeftLinear", entries: entries)
  }
}
