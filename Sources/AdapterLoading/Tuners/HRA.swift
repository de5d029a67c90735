import TensorIO

/// HRA (`peft.tuners.hra`): Householder reflections, `hra_u (in, r)` on Linear, `(in·k·k, r)` on Conv2d.
public struct HRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .hra }
  public var configClassName: String { "HRAConfig" }
  public var modelClassName: String { "HRAModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "apply_GS", "target_modules", "exclude_modules", "init_weights", "layers_to_transform", "layers_pattern",
      "bias", "modules_to_save",
    ])
  }
  public var layerAttributes: [LayerAttribute] { [LayerAttribute("hra_u", .parameterDict)] }
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = config.r ?? 8
    switch target.base {
    case .linear(let i, _, _):
      try TunerSupport.positiveRank(r)
      return LayerPlan(layerClassName: "HRALinear", entries: [.parameter("hra_u", [i, r])])
    case .conv(2, let i, _, let k, _):
      try TunerSupport.positiveRank(r)
      return LayerPlan(layerClassName: "HRAConv2d", entries: [.parameter("hra_u", [try Checked.product([i] + k), r])])
    default:
      throw .typeError(
        "Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear` and `torch.nn.Conv2d` are "
          + "supported.")
    }
  }
}
