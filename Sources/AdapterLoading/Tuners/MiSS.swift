import TensorIO

/// MiSS (`peft.tuners.miss`, formerly Bone): `miss_block (r, out)`; with `init_weights="bat"`
/// `(out/r, r, r)`; with `"mini"` `(r, mini_r)`.
public struct MiSSTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .miss }
  public var configClassName: String { "MissConfig" }
  public var modelClassName: String { "MissModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "miss_dropout", "mini_r", "target_modules", "exclude_modules", "init_weights", "layers_to_transform",
      "layers_pattern", "bias", "modules_to_save",
    ])
  }
  public var layerAttributes: [LayerAttribute] {
    [LayerAttribute("miss_dropout", .moduleDict), LayerAttribute("miss_block", .parameterDict)]
  }
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = config.r ?? 64
    guard case .linear(let i, let o, _) = target.base else {
      throw .typeError(
        "Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear` is supported.")
    }
    try TunerSupport.positiveRank(r)
    if r > i { throw .valueError("`r` (\(r)) must be less than or equal to in_features (\(i))") }
    let shape: [Int]
    switch config.initWeights?.stringValue {
    case "bat"?:
      if i % r != 0 || o % r != 0 { throw .valueError("The weight matrix must be fully divisible into [r, r] blocks.") }
      shape = [o / r, r, r]
    case "mini"?:
      shape = [r, config.miniR ?? 1]
    default:
      shape = [r, o]
    }
    return LayerPlan(layerClassName: "MissLinear", entries: [.parameter("miss_block", shape)])
  }
}
