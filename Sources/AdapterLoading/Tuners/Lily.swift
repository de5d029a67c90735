import TensorIO

/// Lily (`peft.tuners.lily`): per `nn.Linear` layer `lily_A` (`Linear(in, r)`), `lily_B`
/// (`Linear(out, num_B·r)`) and `lily_router` (`Linear(r, num_B)`), `r` default 32, `num_B` default 2.
/// After injection PEFT shares `lily_A` across blocks of `stride_A` layers and `lily_B` across every layer
/// of the same target and shape; a shared module still appears under each layer's path in the state dict
/// (and is saved under each), with the same shapes, so the keys are those of independent layers.
public struct LilyTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .lily }
  public var configClassName: String { "LilyConfig" }
  public var modelClassName: String { "LilyModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "stride_A", "num_B", "scaling", "target_modules", "exclude_modules", "modules_to_save", "layers_to_transform",
      "layers_pattern", "init_weights",
    ])
  }
  public var layerAttributes: [LayerAttribute] {
    ["lily_A", "lily_B", "lily_router"].map { LayerAttribute($0, .moduleDict) }
  }
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if config.layersPattern?.isEmpty == false && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified.")
    }
    if try TunerSupport.int(config, "stride_A", default: 1) < 1 { throw .valueError("`stride_A` must be at least 1.") }
    if try TunerSupport.int(config, "num_B", default: 2) < 2 {
      throw .valueError("`num_B` must be at least 2 for the router to be trained.")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    guard case .linear(let i, let o, _) = target.base else {
      throw PythonError(
        kind: "NotImplementedError", message: "Lily does not support target modules of type \(target.typeRepr) yet.")
    }
    let r = config.r ?? 32
    let numB = try TunerSupport.int(config, "num_B", default: 2)
    try TunerSupport.positiveRank(r)
    let rowsB = try Checked.product([numB, r])
    return LayerPlan(
      layerClassName: "Linear",
      entries: [.linear("lily_A", in: i, out: r), .linear("lily_B", in: o, out: rowsB), .linear("lily_router", in: r, out: numB)])
  }
}
