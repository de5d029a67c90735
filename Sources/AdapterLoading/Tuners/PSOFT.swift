import TensorIO

/// PSOFT (`peft.tuners.psoft`), on `nn.Linear` only (anything else is refused with PEFT's `ValueError`). The
/// frozen low-rank factors come from an SVD of the base weight and live in non-persistent buffers (neither
/// saved nor loaded); what is trained and saved is the `r × r` transform `psoft_R.<name>` (an `OrthLayer`):
/// `weight (r·(r−1)/2,)` when `psoft_orth` (a skew-symmetric parametrisation), else `(r, r)`, then
/// `vector_b (r,)` with `psoft_mag_b` and `vector_a (r,)` with `psoft_mag_a`. `r` may not exceed
/// `min(in, out)`. Only shapes depend on the base, so a load is predicted from names and shapes alone.
public struct PSOFTTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .psoft }
  public var configClassName: String { "PsoftConfig" }
  public var modelClassName: String { "PsoftModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "target_modules", "exclude_modules", "psoft_alpha", "psoft_dropout", "fan_in_fan_out", "ab_svd_init",
      "psoft_svd", "psoft_svd_lowrank_niter", "random_seed", "psoft_orth", "psoft_mag_b", "psoft_mag_a",
      "use_cayley_neumann", "num_cayley_neumann_terms", "cayley_neumann_eps", "modules_to_save", "init_weights",
      "layers_to_transform", "layers_pattern",
    ])
  }
  public var layerAttributes: [LayerAttribute] {
    [LayerAttribute("psoft_dropout", .moduleDict), LayerAttribute("psoft_R", .moduleDict)]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? {
    PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType)
  }

  /// `PsoftConfig.__post_init__`.
  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    try TunerSupport.checkRegexTargets(config)
    if config.layersPattern != nil && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified. ")
    }
    let r = config.r ?? 32
    if r <= 0 { throw .valueError("`r` must be a positive integer; got \(r).") }
    let initMethod = try TunerSupport.string(config, "ab_svd_init", default: "psoft_init")
    if !["psoft_init", "pissa_init"].contains(initMethod) {
      throw .valueError("`ab_svd_init` must be one of ['pissa_init', 'psoft_init']; got \(pythonRepr(initMethod)).")
    }
    let svd = try TunerSupport.string(config, "psoft_svd", default: "full")
    if !["full", "lowrank"].contains(svd) {
      throw .valueError("`psoft_svd` must be one of ['full', 'lowrank']; got \(pythonRepr(svd)).")
    }
    let niter = try TunerSupport.int(config, "psoft_svd_lowrank_niter", default: 10)
    if svd != "lowrank" && niter != 10 {
      warnings.append(
        PythonWarning(
          message: "`psoft_svd_lowrank_niter` is only used when `psoft_svd='lowrank'`. Got psoft_svd=\(pythonRepr(svd)), "
            + "so psoft_svd_lowrank_niter=\(niter) will be ignored."))
    }
    let terms = try TunerSupport.int(config, "num_cayley_neumann_terms", default: 5)
    let eps = config.json["cayley_neumann_eps"].flatMap { $0.isNull ? nil : $0 }
    // The number as written in the config is how Python prints the float it parses.
    let epsText: String = if case .number(let text)? = eps { text } else { "" }
    if try TunerSupport.bool(config, "use_cayley_neumann", default: false) {
      if terms <= 0 { throw .valueError("`num_cayley_neumann_terms` must be a positive integer; got \(terms).") }
      if eps != nil {
        let value = try TunerSupport.double(config, "cayley_neumann_eps", default: 0)
        if !(value > 0 && value < 1) {
          throw .valueError("`cayley_neumann_eps` must be in (0, 1) when set; got \(epsText).")
        }
      }
    } else {
      if terms != 5 {
        warnings.append(
          PythonWarning(
            message: "`num_cayley_neumann_terms` is only used when `use_cayley_neumann=True`. Since "
              + "`use_cayley_neumann=False`, `num_cayley_neumann_terms=\(terms)` will be ignored."))
      }
      if eps != nil {
        warnings.append(
          PythonWarning(
            message: "`cayley_neumann_eps` is only used when `use_cayley_neumann=True`. Since `use_cayley_neumann=False`, "
              + "`cayley_neumann_eps=\(epsText)` will be ignored."))
      }
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    guard case .linear(let i, let o, _) = target.base else {
      throw .valueError("Target module \(target.repr) is not supported by minimal PSOFT. Only torch.nn.Linear is supported.")
    }
    if target.existingLayer == nil && config.fanInFanOut == true {
      context.warn("fan_in_fan_out=True is not compatible with `torch.nn.Linear`. Setting fan_in_fan_out=False.")
      config.fanInFanOut = false
    }
    let r = config.r ?? 32
    if r > min(i, o) {
      throw .valueError("`r` (\(r)) must be less than or equal to min(in_features, out_features) (\(i), \(o))")
    }
    if let dtype = target.baseTensors.first(where: { $0.name == "weight" })?.info.dtype, ![.f32, .f16, .bf16].contains(dtype) {
      throw .typeError("PSOFT init requires float32/float16/bfloat16. Re-quantize after init if needed.")
    }
    var tensors: [ModuleTensor] = []
    let orth = try TunerSupport.bool(config, "psoft_orth", default: true)
    tensors.append(ModuleTensor(name: "weight", info: TunerSupport.f32(orth ? [r * (r - 1) / 2] : [r, r])))
    if try TunerSupport.bool(config, "psoft_mag_b", default: true) {
      tensors.append(ModuleTensor(name: "vector_b", info: TunerSupport.f32([r])))
    }
    if try TunerSupport.bool(config, "psoft_mag_a", default: true) {
      tensors.append(ModuleTensor(name: "vector_a", info: TunerSupport.f32([r])))
    }
    return LayerPlan(layerClassName: "Linear", entries: [AdapterEntry("psoft_R", .module(className: "OrthLayer", tensors: tensors))])
  }
}
