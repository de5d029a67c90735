import TensorIO

/// RoAd (`peft.tuners.road`): 2-D rotations of output-feature pairs, on `nn.Linear` only. Per layer
/// `road_theta` and `road_alpha`, each `(out/2,)` for `variant` `road_1` (default), `(out,)` for `road_2`,
/// `(2·out,)` for `road_4`; `out` must be divisible by `group_size` (default 64).
public struct RoAdTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .road }
  public var configClassName: String { "RoadConfig" }
  public var modelClassName: String { "RoadModel" }
  public var configFields: Set<String> {
    commonConfigFields.union(["variant", "group_size", "init_weights", "target_modules", "modules_to_save"])
  }
  public var layerAttributes: [LayerAttribute] {
    [LayerAttribute("road_theta", .parameterDict), LayerAttribute("road_alpha", .parameterDict)]
  }
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    let variant = try TunerSupport.string(config, "variant", default: "road_1")
    if !["road_1", "road_2", "road_4"].contains(variant) {
      throw .valueError("Invalid variant \(variant) specified. Please choose from road_1, road_2 or road_4")
    }
    let groupSize = try TunerSupport.int(config, "group_size", default: 64)
    if groupSize <= 0 || groupSize % 2 != 0 {
      throw .valueError("The group_size must be divisible by 2 when using RoadLayer, but got \(groupSize).")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    guard case .linear(_, let o, _) = target.base else {
      throw TunerSupport.unsupportedTarget(
        target.repr, supported: "`torch.nn.Linear`.", kind: "ValueError")
    }
    let groupSize = try TunerSupport.int(config, "group_size", default: 64)
    if o % groupSize != 0 {
      throw .valueError(
        "The out_features of the base layer must be divisible by group_size (\(groupSize)) when using RoadLayer.")
    }
    let size: Int
    switch try TunerSupport.string(config, "variant", default: "road_1") {
    case "road_1": size = o / 2
    case "road_2": size = o
    default: size = try Checked.product([o, 2])
    }
    return LayerPlan(layerClassName: "Linear", entries: [.parameter("road_theta", [size]), .parameter("road_alpha", [size])])
  }
}
