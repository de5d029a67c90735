import TensorIO

/// LN tuning (`peft.tuners.ln_tuning`): a full trainable copy of each targeted module (usually a norm)
/// per adapter, `ln_tuning_layers.<adapter>.<its tensors>`.
public struct LNTuningTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .lnTuning }
  public var configClassName: String { "LNTuningConfig" }
  public var modelClassName: String { "LNTuningModel" }
  public var configFields: Set<String> {
    commonConfigFields.union(["target_modules", "exclude_modules", "modules_to_save"])
  }
  public var layerAttributes: [LayerAttribute] { [LayerAttribute("ln_tuning_layers", .moduleDict)] }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? {
    PEFTModelDefaults.targetModules(.lnTuning, modelType: base.architecture.modelType)
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    if target.existingLayer == nil && target.base.inOutFeatures == nil {
      context.warn("Unsupported layer type '\(target.typeRepr)' encountered, proceed at your own risk.")
    }
    let copy = target.baseTensors.filter { !$0.isBuffer || $0.persistent }.map { tensor -> ModuleTensor in
      var t = tensor
      t.tiedTo = nil
      return t
    }
    return LayerPlan(
      layerClassName: "LNTuningLayer",
      entries: [AdapterEntry("ln_tuning_layers", .module(className: target.baseClassName, tensors: copy))])
  }
}
