import TensorIO

/// GraLoRA (`peft.tuners.gralora`): granular LoRA, `k = gralora_k` sub-blocks per dimension. Per layer
/// `gralora_A (k, in/k, r)` and `gralora_B (k, r, out/k)` (`ParameterDict`s; `r` is the config's, no
/// pattern), plus, with `hybrid_r > 0`, a plain LoRA pair `gralora_A_general` (`Linear(in, hybrid_r)`) and
/// `gralora_B_general` (`Linear(hybrid_r, out)`). Linear and GPT-2 `Conv1D`, which flip `fan_in_fan_out`
/// in the config with PEFT's warning.
public struct GraLoRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .gralora }
  public var configClassName: String { "GraloraConfig" }
  public var modelClassName: String { "GraloraModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "hybrid_r", "target_modules", "alpha", "gralora_dropout", "gralora_k", "fan_in_fan_out", "bias",
      "modules_to_save", "init_weights", "layers_to_transform", "layers_pattern",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("gralora_dropout", .moduleDict), LayerAttribute("gralora_A", .parameterDict),
      LayerAttribute("gralora_B", .parameterDict), LayerAttribute("gralora_A_general", .moduleDict),
      LayerAttribute("gralora_B_general", .moduleDict),
    ]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    let k = try TunerSupport.int(config, "gralora_k", default: 2)
    let r = config.r ?? 32
    if k <= 0 { throw .valueError("`gralora_k` should be a positive integer value but the value passed is \(k)") }
    if r % k != 0 { throw .valueError("r should be divisible by gralora_k, but got \(r) and \(k)") }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = config.r ?? 32
    let k = try TunerSupport.int(config, "gralora_k", default: 2)
    let hybrid = try TunerSupport.int(config, "hybrid_r", default: 0)
    let (i, o) = try TunerSupport.linearOrConv1D(target, config: &config, context: &context)
    try TunerSupport.positiveRank(r)
    if hybrid < 0 { throw .valueError("`hybrid_r` should be a non-negative integer value but the value passed is \(hybrid)") }
    if i % k != 0 { throw .valueError("in_features should be divisible by gralora_k, but got \(i) and \(k)") }
    if o % k != 0 { throw .valueError("out_features should be divisible by gralora_k, but got \(o) and \(k)") }
    var entries: [AdapterEntry] = [.parameter("gralora_A", [k, i / k, r]), .parameter("gralora_B", [k, r, o / k])]
    // Without the hybrid part the two general slots hold `nn.Identity` (no tensors).
    if hybrid > 0 {
      entries += [.linear("gralora_A_general", in: i, out: hybrid), .linear("gralora_B_general", in: hybrid, out: o)]
    }
    return LayerPlan(layerClassName: "Linear", entries: entries)
  }
}
