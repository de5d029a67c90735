import TensorIO

/// BEFT (`peft.tuners.beft`): a trainable bias offset, `beft_bias (1, out)`, on `nn.Linear` only; PEFT warns
/// for every base layer without a bias (the adapter cannot be merged into it).
public struct BEFTTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .beft }
  public var configClassName: String { "BeftConfig" }
  public var modelClassName: String { "BeftModel" }
  public var configFields: Set<String> { commonConfigFields.union(["target_modules", "modules_to_save", "init_weights"]) }
  public var layerAttributes: [LayerAttribute] { [LayerAttribute("beft_bias", .parameterDict)] }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? {
    PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType)
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    guard case .linear(_, let o, let bias) = target.base else {
      throw .typeError("Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear` is supported.")
    }
    if !bias {
      context.warn(
        "Detected that the base layer has no bias term. Note you cannot merge the BEFT adapter into the base layer.")
    }
    return LayerPlan(layerClassName: "Linear", entries: [.parameter("beft_bias", [1, o])])
  }
}
