import TensorIO

/// VeRA (`peft.tuners.vera`) and PVeRA (`peft.tuners.pvera`, its probabilistic variant, same structure):
/// per layer `vera_lambda_b (out,)` and `vera_lambda_d (r,)`; shared random projections `vera_A (r, max_in)`
/// and `vera_B (max_out, r)` on the tuner model, referenced by every layer. With `save_projection` they
/// are persistent buffers saved as `base_model.vera_A/B`; without, they are regenerated from
/// `projection_prng_key`. The filter prefix `vera_lambda_` keeps the per-layer references out of PEFT's
/// missing keys. PVeRA names everything `pvera_` and doubles `pvera_lambda_d` and `pvera_A`'s rows
/// (`2r`: means and log-variances).
public struct VeRATuner: Tuner {
  /// What differs between VeRA and PVeRA: names, the `2r` rows, and PEFT's wording.
  struct Flavor: Sendable {
    var peftType: PeftType
    /// `vera` / `pvera`: the attribute names' stem.
    var stem: String
    var configClassName: String
    var modelClassName: String
    /// How the method names itself in messages: the PRNG check, the adapter-shape checks, `_find_dim`.
    var prngName: String
    var methodName: String
    var configFields: Set<String>
    /// `lambda_d` and `A` hold `rowFactor · r` rows.
    var rowFactor: Int
    /// PEFT prints the mixed `save_projection` values as a sorted list (VeRA) or a set (PVeRA).
    var mixedSaveProjection: String
    /// `layers_pattern` needs `layers_to_transform` (PVeRA's `__post_init__`; VeRA has no such check).
    var checksLayersPattern: Bool
    /// The refusal of other layer types: VeRA raises `TypeError`, PVeRA `ValueError`.
    var refusal: @Sendable (String) -> PythonError
  }

  let flavor: Flavor
  public init() { flavor = Self.vera }
  init(_ flavor: Flavor) { self.flavor = flavor }

  /// PVeRA (`peft.tuners.pvera`).
  public static var pvera: VeRATuner { VeRATuner(Self.pveraFlavor) }

  static let vera = Flavor(
    peftType: .vera, stem: "vera", configClassName: "VeraConfig", modelClassName: "VeraModel", prngName: "Vera",
    methodName: "VeRA",
    configFields: commonConfigFields.union([
      "r", "target_modules", "projection_prng_key", "save_projection", "vera_dropout", "d_initial", "fan_in_fan_out",
      "bias", "modules_to_save", "init_weights", "layers_to_transform", "layers_pattern",
    ]), rowFactor: 1, mixedSaveProjection: "[False, True]", checksLayersPattern: false,
    refusal: { repr in
      .typeError(
        "Target module \(repr) is not supported. Currently, only `torch.nn.Linear` (optionally quantized) and "
          + "`transformers.pytorch_utils.Conv1D` are supported.")
    })

  static let pveraFlavor = Flavor(
    peftType: .pvera, stem: "pvera", configClassName: "PveraConfig", modelClassName: "PveraModel", prngName: "PVeRA",
    methodName: "PVeRA",
    configFields: commonConfigFields.union([
      "r", "target_modules", "projection_prng_key", "save_projection", "pvera_dropout", "d_initial", "fan_in_fan_out",
      "bias", "modules_to_save", "init_weights", "layers_to_transform", "layers_pattern", "sample_at_inference",
      "generator_seed",
    ]), rowFactor: 2, mixedSaveProjection: "{False, True}", checksLayersPattern: true,
    refusal: { repr in
      TunerSupport.unsupportedTarget(
        repr, supported: "`torch.nn.Linear`, `transformers.pytorch_utils.Conv1D`.", kind: "ValueError")
    })

  public var peftType: PeftType { flavor.peftType }
  public var configClassName: String { flavor.configClassName }
  public var modelClassName: String { flavor.modelClassName }
  public var configFields: Set<String> { flavor.configFields }
  private var a: String { "\(flavor.stem)_A" }
  private var b: String { "\(flavor.stem)_B" }

  public var layerAttributes: [LayerAttribute] {
    let stem = flavor.stem
    return [
      LayerAttribute("\(stem)_dropout", .moduleDict), LayerAttribute("\(stem)_lambda_b", .parameterDict),
      LayerAttribute("\(stem)_lambda_d", .parameterDict), LayerAttribute(a, .bufferDict(persistent: true), shared: a),
      LayerAttribute(b, .bufferDict(persistent: true), shared: b),
    ]
  }

  public func modelAttributes(_ config: AdapterConfig) -> [LayerAttribute] {
    let persistent = config.saveProjection ?? true
    return [LayerAttribute(a, .bufferDict(persistent: persistent)), LayerAttribute(b, .bufferDict(persistent: persistent))]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if flavor.checksLayersPattern && config.layersPattern?.isEmpty == false && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified. ")
    }
    if config.saveProjection == false {
      warnings.append(
        PythonWarning(
          message: "Specified to not save \(a) and \(b) within the state dictionary, instead they will be restored "
            + "using the PRNG key store in `config.projection_prng_key`. Consider setting `config.save_projection` "
            + "to `True` to guarantee restoring the checkpoint correctly on all system configurations."))
    }
  }

  public func checkNewAdapter(_ config: AdapterConfig, existing: [NamedAdapter]) throws(PythonError) {
    try TunerSupport.checkSharedProjections(
      config, existing: existing, prngName: flavor.prngName, methodName: flavor.methodName,
      mixedValues: flavor.mixedSaveProjection)
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
      throw .valueError(
        "No layers types compatible with \(flavor.methodName) were found. Please check `peft_config.target_modules`.")
    }
    let r = config.r ?? 256
    return [
      AdapterEntry(a, .buffer(TunerSupport.f32([flavor.rowFactor * r, largest.in]))),
      AdapterEntry(b, .buffer(TunerSupport.f32([largest.out, r]))),
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
      throw flavor.refusal(target.repr)
    }
    if target.existingLayer == nil { TunerSupport.adjustFanInFanOut(target, config: &config, context: &context) }
    try TunerSupport.positiveRank(r)
    var modelEntries: [AdapterEntry] = []
    let projectionA = target.sharedState[a] ?? []
    let projectionB = target.sharedState[b] ?? []
    if !projectionA.contains(where: { $0.name == adapterName }) {
      guard let a = projectionA.first?.info, let b = projectionB.first?.info, a.shape.count == 2, b.shape.count == 2 else {
        throw .valueError(
          "The `\(self.a)` and `\(self.b)` buffers are empty. This should not happen. Please report this issue.")
      }
      if a.shape[1] < i { throw .valueError(sizeError(self.a, a.shape[1], i)) }
      if b.shape[0] < o { throw .valueError(sizeError(self.b, b.shape[0], o)) }
      if a.shape[0] < r { throw .valueError(rankError(self.a, a.shape[0], r)) }
      if b.shape[1] < r { throw .valueError(rankError(self.b, b.shape[1], r)) }
      modelEntries = [AdapterEntry(self.a, .buffer(a)), AdapterEntry(self.b, .buffer(b))]
    }
    let stem = flavor.stem
    return LayerPlan(
      layerClassName: "Linear",
      entries: [.parameter("\(stem)_lambda_b", [o]), .parameter("\(stem)_lambda_d", [flavor.rowFactor * r])],
      modelEntries: modelEntries)
  }

  private func sizeError(_ name: String, _ have: Int, _ need: Int) -> String {
    "\(name) has a size of \(have) but \(need) or greater is required; this probably happened because an additional "
      + "\(flavor.methodName) adapter was added after the first one with incompatible shapes."
  }

  private func rankError(_ name: String, _ have: Int, _ need: Int) -> String {
    "\(name) has a size of \(have) but \(need) or greater is required; this probably happened because an additional "
      + "\(flavor.methodName) adapter with a lower rank was added after the first one; loading the adapters in reverse "
      + "order may solve this."
  }

  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    var result = defaultAdapterStateDict(request)
    result.remove(Set(result.keys.filter { $0.hasSubstring(".\(a).") || $0.hasSubstring(".\(b).") }))
    if request.config.saveProjection ?? true {
      let keyA = "base_model.\(a).\(request.adapterName)"
      let keyB = "base_model.\(b).\(request.adapterName)"
      guard let projectionA = request.stateDict[keyA] else {
        throw .valueError(
          "Model was initialised to not save \(a) and \(b) but config now specifies to save projection! Set "
            + "`config.save_projection` to `False`.")
      }
      result[keyA] = projectionA
      if let projectionB = request.stateDict[keyB] { result[keyB] = projectionB }
    }
    return result
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    let remapped = defaultRemap(checkpoint, request: request)
    let save = request.config.saveProjection ?? true
    if save && !remapped.contains("base_model.\(a).\(request.adapterName)") {
      throw .valueError("Specified to load \(a) and \(b) from state dictionary however they were not present!")
    } else if !save && remapped.contains("base_model.\(a)") {
      warnings.append(
        PythonWarning(
          message: "Specified to not load \(a) and \(b) from state dictionary however they are present in state "
            + "dictionary! Consider using them to ensure checkpoint loading is correct on all platforms using "
            + "`peft_config.save_projection = True`"))
    } else if !save {
      warnings.append(
        PythonWarning(
          message: "Specified to not load \(a) and \(b) from state dictionary. This means we will be relying on "
            + "PRNG initialisation to restore these projections using `config.projection_prng_key`, which may not be "
            + "accurate on all system configurations."))
    }
    return remapped
  }
}
