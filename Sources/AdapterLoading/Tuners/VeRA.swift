import TensorIO

/// VeRA (`peft.tuners.vera`): per layer `vera_lambda_b (out,)` and `vera_lambda_d (r,)`; shared random
/// projections `vera_A (r, max_in)` and `vera_B (max_out, r)` on the tuner model, referenced by every
/// layer. With `save_projection` they are persistent buffers saved as `base_model.vera_A/B`; without, they
/// are regenerated from `projection_prng_key`. The filter prefix `vera_lambda_` keeps the per-layer
/// references out of PEFT's missing keys.
public struct VeRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .vera }
  public var configClassName: String { "VeraConfig" }
  public var modelClassName: String { "VeraModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "target_modules", "projection_prng_key", "save_projection", "vera_dropout", "d_initial", "fan_in_fan_out",
      "bias", "modules_to_save", "init_weights", "layers_to_transform", "layers_pattern",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("vera_dropout", .moduleDict), LayerAttribute("vera_lambda_b", .parameterDict),
      LayerAttribute("vera_lambda_d", .parameterDict), LayerAttribute("vera_A", .bufferDict(persistent: true), shared: "vera_A"),
      LayerAttribute("vera_B", .bufferDict(persistent: true), shared: "vera_B"),
    ]
  }

  public func modelAttributes(_ config: AdapterConfig) -> [LayerAttribute] {
    let persistent = config.saveProjection ?? true
    return [LayerAttribute("vera_A", .bufferDict(persistent: persistent)), LayerAttribute("vera_B", .bufferDict(persistent: persistent))]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if config.saveProjection == false {
      warnings.append(
        PythonWarning(
          message: "Specified to not save vera_A and vera_B within the state dictionary, instead they will be restored "
            + "using the PRNG key store in `config.projection_prng_key`. Consider setting `config.save_projection` "
            + "to `True` to guarantee restoring the checkpoint correctly on all system configurations."))
    }
  }

  public func checkNewAdapter(_ config: AdapterConfig, existing: [NamedAdapter]) throws(PythonError) {
    let key = config.projectionPRNGKey ?? 0
    for other in existing where (other.config.projectionPRNGKey ?? 0) != key {
      throw .valueError(
        "Vera PRNG initialisation key must be the same for all adapters. Got config.projection_prng_key=\(key) but "
          + "previous config had \(other.config.projectionPRNGKey ?? 0).")
    }
    let values = Set((existing.map(\.config) + [config]).map { $0.saveProjection ?? true })
    if values.count > 1 {
      throw .valueError(
        "VeRA projection weights must be saved for all adapters or none, but got multiple different values: "
          + "[False, True]")
    }
  }

  /// `_find_dim` + `_init_vera_A_vera_B`: projections sized for the largest targeted linear layer.
  public func modelLevelEntries(_ config: AdapterConfig, targets: [InjectionTarget], adapterName: String)
    throws(PythonError) -> [AdapterEntry]
  {
    var largest: (out: Int, in: Int)? = nil
    for target in targets {
      switch target.base {
      case .linear(let i, let o, _), .conv1D(let i, let o, _):
        largest = largest.map { (max($0.out, o), max($0.in, i)) } ?? (o, i)
      default:
        break
      }
    }
    guard let largest else {
      throw .valueError("No layers types compatible with VeRA were found. Please check `peft_config.target_modules`.")
    }
    let r = config.r ?? 256
    return [
      AdapterEntry("vera_A", .buffer(TunerSupport.f32([r, largest.in]))),
      AdapterEntry("vera_B", .buffer(TunerSupport.f32([largest.out, r]))),
    ]
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = config.r ?? 256
    let (i, o): (Int, Int)
    switch target.base {
    case .linear(let a, let b, _), .conv1D(let a, let b, _): (i, o) = (a, b)
    default:
      throw .typeError(
        "Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear` (optionally quantized) and "
          + "`transformers.pytorch_utils.Conv1D` are supported.")
    }
    if target.existingLayer == nil { TunerSupport.adjustFanInFanOut(target, config: &config, context: &context) }
    try TunerSupport.positiveRank(r)
    var modelEntries: [AdapterEntry] = []
    let projectionA = target.sharedState["vera_A"] ?? []
    let projectionB = target.sharedState["vera_B"] ?? []
    if !projectionA.contains(where: { $0.name == adapterName }) {
      guard let a = projectionA.first?.info, let b = projectionB.first?.info, a.shape.count == 2, b.shape.count == 2 else {
        throw .valueError("The `vera_A` and `vera_B` buffers are empty. This should not happen. Please report this issue.")
      }
      if a.shape[1] < i { throw .valueError(Self.sizeError("vera_A", a.shape[1], i)) }
      if b.shape[0] < o { throw .valueError(Self.sizeError("vera_B", b.shape[0], o)) }
      if a.shape[0] < r { throw .valueError(Self.rankError("vera_A", a.shape[0], r)) }
      if b.shape[1] < r { throw .valueError(Self.rankError("vera_B", b.shape[1], r)) }
      modelEntries = [AdapterEntry("vera_A", .buffer(a)), AdapterEntry("vera_B", .buffer(b))]
    }
    return LayerPlan(
      layerClassName: "Linear", entries: [.parameter("vera_lambda_b", [o]), .parameter("vera_lambda_d", [r])],
      modelEntries: modelEntries)
  }

  private static func sizeError(_ name: String, _ have: Int, _ need: Int) -> String {
    "\(name) has a size of \(have) but \(need) or greater is required; this probably happened because an additional "
      + "VeRA adapter was added after the first one with incompatible shapes."
  }

  private static func rankError(_ name: String, _ have: Int, _ need: Int) -> String {
    "\(name) has a size of \(have) but \(need) or greater is required; this probably happened because an additional "
      + "VeRA adapter with a lower rank was added after the first one; loading the adapters in reverse order may "
      + "solve this."
  }

  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    var result = defaultAdapterStateDict(request)
    result.remove(Set(result.keys.filter { $0.contains(".vera_A.") || $0.contains(".vera_B.") }))
    if request.config.saveProjection ?? true {
      let keyA = "base_model.vera_A.\(request.adapterName)"
      let keyB = "base_model.vera_B.\(request.adapterName)"
      guard let a = request.stateDict[keyA] else {
        throw .valueError(
          "Model was initialised to not save vera_A and vera_B but config now specifies to save projection! Set "
            + "`config.save_projection` to `False`.")
      }
      result[keyA] = a
      if let b = request.stateDict[keyB] { result[keyB] = b }
    }
    return result
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    let remapped = defaultRemap(checkpoint, request: request)
    let save = request.config.saveProjection ?? true
    if save && !remapped.contains("base_model.vera_A.\(request.adapterName)") {
      throw .valueError("Specified to load vera_A and vera_B from state dictionary however they were not present!")
    } else if !save && remapped.contains("base_model.vera_A") {
      warnings.append(
        PythonWarning(
          message: "Specified to not load vera_A and vera_B from state dictionary however they are present in state "
            + "dictionary! Consider using them to ensure checkpoint loading is correct on all platforms using "
            + "`peft_config.save_projection = True`"))
    } else if !save {
      warnings.append(
        PythonWarning(
          message: "Specified to not load vera_A and vera_B from state dictionary. This means we will be relying on "
            + "PRNG initialisation to restore these projections using `config.projection_prng_key`, which may not be "
            + "accurate on all system configurations."))
    }
    return remapped
  }
}
