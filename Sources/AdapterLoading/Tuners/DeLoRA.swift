import TensorIO

/// DeLoRA (`peft.tuners.delora`): decoupled low-rank adaptation on `nn.Linear` only. Per layer
/// `delora_A (r, in)`, `delora_B (out, r)`, `delora_lambda (1,)` and the base weight's column norms
/// captured at creation, `delora_w_norm (in,)`, a persistent buffer saved with the adapter. `r` from
/// `rank_pattern` or `r` (default 8).
public struct DeLoRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .delora }
  public var configClassName: String { "DeloraConfig" }
  public var modelClassName: String { "DeloraModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "delora_lambda", "module_dropout", "target_modules", "exclude_modules", "bias", "init_weights",
      "layers_to_transform", "layers_pattern", "rank_pattern", "lambda_pattern", "modules_to_save",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("delora_dropout", .moduleDict), LayerAttribute("delora_A", .parameterDict),
      LayerAttribute("delora_B", .parameterDict), LayerAttribute("delora_lambda", .parameterDict),
      LayerAttribute("delora_w_norm", .bufferDict(persistent: true)),
    ]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    try TunerSupport.checkRegexTargets(config, layersPattern: false)
    if config.layersPattern?.isEmpty == false && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified. ")
    }
    let r = config.r ?? 8
    if r <= 0 { throw .valueError("`r` must be a positive integer; got \(r).") }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = try TunerSupport.rank(config, key: target.key, default: config.r ?? 8)
    guard case .linear(let i, let o, _) = target.base else {
      throw .typeError("Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear` is supported.")
    }
    try TunerSupport.positiveRank(r)
    return LayerPlan(
      layerClassName: "DeloraLinear",
      entries: [
        .parameter("delora_A", [r, i]), .parameter("delora_B", [o, r]), .parameter("delora_lambda", [1]),
        AdapterEntry("delora_w_norm", .buffer(TunerSupport.f32([i]))),
      ])
  }
}
