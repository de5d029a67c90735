import TensorIO

/// Poly (`peft.tuners.poly`): a router over skill-specific LoRA pieces, on `nn.Linear` only. Per layer
/// `poly_router` (a `PolyRouter` holding `module_logits (n_tasks, n_splits·n_skills)`), `poly_lora_A
/// (n_splits, n_skills, in/n_splits, r)` and `poly_lora_B (n_splits, n_skills, r, out/n_splits)` (defaults
/// `r` 8, `n_tasks` 1, `n_skills` 4, `n_splits` 1; `poly_type` must be `poly`).
public struct PolyTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .poly }
  public var configClassName: String { "PolyConfig" }
  public var modelClassName: String { "PolyModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "target_modules", "exclude_modules", "modules_to_save", "init_weights", "poly_type", "n_tasks", "n_skills",
      "n_splits",
    ])
  }
  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("poly_router", .moduleDict), LayerAttribute("poly_lora_A", .parameterDict),
      LayerAttribute("poly_lora_B", .parameterDict),
    ]
  }
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    guard case .linear(let i, let o, _) = target.base else {
      throw TunerSupport.unsupportedTarget(
        target.repr, supported: "`torch.nn.Linear`.")
    }
    let r = config.r ?? 8
    try TunerSupport.positiveRank(r)
    let tasks = try TunerSupport.int(config, "n_tasks", default: 1)
    let skills = try TunerSupport.int(config, "n_skills", default: 4)
    let splits = try TunerSupport.int(config, "n_splits", default: 1)
    // `in // n_splits` with Python's floor division; a zero or negative count is not modelled.
    guard tasks > 0, skills > 0, splits > 0 else {
      throw .notSimulated("Poly with n_tasks=\(tasks), n_skills=\(skills), n_splits=\(splits) is not modelled")
    }
    let polyType = try TunerSupport.string(config, "poly_type", default: "poly")
    if polyType != "poly" {
      throw .valueError(
        "Unsupported poly_type: \(polyType). Currently, only the following types are supported: `poly`.")
    }
    let logits = ModuleTensor(name: "module_logits", info: TunerSupport.f32([tasks, try Checked.product([splits, skills])]))
    return LayerPlan(
      layerClassName: "Linear",
      entries: [
        AdapterEntry("poly_router", .module(className: "PolyRouter", tensors: [logits])),
        .parameter("poly_lora_A", [splits, skills, i / splits, r]), .parameter("poly_lora_B", [splits, skills, r, o / splits]),
      ])
  }
}
