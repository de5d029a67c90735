import TensorIO

/// RandLoRA (`peft.tuners.randlora`): full-rank updates from shared random bases. The tuner model holds
/// `randlora_A (r, 1, min_dim)` and `randlora_B (max_dim, n, r)`, `n = ⌈min_dim / r⌉`, where `(max_dim,
/// min_dim)` are the larger and smaller of the largest targeted `(out, in)` (`_find_dim`); drawn in
/// bfloat16 (float32 with `sparse`), they end in the base layers' dtype, as each layer moves the buffers it
/// references to its base weight (float32 here, like every new adapter tensor). Every layer references
/// them (so with `save_projection` they are saved under each layer's path as well as `base_model.`,
/// PEFT 0.21.2 having no save override for RandLoRA) and holds `randlora_lambda (r, n_l)` and
/// `randlora_gamma (n_l, min(in, out))`, `n_l = ⌈min(in, out) / r⌉`. Linear and GPT-2 `Conv1D`.
public struct RandLoRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .randlora }
  public var configClassName: String { "RandLoraConfig" }
  public var modelClassName: String { "RandLoraModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "target_modules", "projection_prng_key", "save_projection", "sparse", "very_sparse", "randlora_dropout",
      "fan_in_fan_out", "randlora_alpha", "bias", "modules_to_save", "init_weights", "layers_to_transform",
      "layers_pattern",
    ])
  }

  public var savesSharedReferences: Bool { true }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("randlora_dropout", .moduleDict), LayerAttribute("randlora_lambda", .parameterDict),
      LayerAttribute("randlora_gamma", .parameterDict),
      LayerAttribute("randlora_A", .bufferDict(persistent: true), shared: "randlora_A"),
      LayerAttribute("randlora_B", .bufferDict(persistent: true), shared: "randlora_B"),
    ]
  }

  public func modelAttributes(_ config: AdapterConfig) -> [LayerAttribute] {
    let persistent = config.saveProjection ?? true
    return [
      LayerAttribute("randlora_A", .bufferDict(persistent: persistent)),
      LayerAttribute("randlora_B", .bufferDict(persistent: persistent)),
    ]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if config.saveProjection == false {
      // PEFT's wording names the projections basis_A/basis_B.
      warnings.append(
        PythonWarning(
          message: "Specified to not save basis_A and basis_B within the state dictionary, instead they will be restored "
            + "using the PRNG key store in `config.projection_prng_key`. Consider setting `config.save_projection` "
            + "to `True` to guarantee restoring the checkpoint correctly on all system configurations."))
    }
  }

  public func checkNewAdapter(_ config: AdapterConfig, existing: [NamedAdapter]) throws(PythonError) {
    try TunerSupport.checkSharedProjections(
      config, existing: existing, prngName: "RandLora", methodName: "RandLora", mixedValues: "[False, True]")
  }

  private static func bases(_ minDim: Int, _ r: Int) -> Int { (minDim + r - 1) / r }

  /// `_find_dim` + `_init_randlora_A_randlora_B(_sparse)`.
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
      throw .valueError("No layers types compatible with RandLora were found. Please check `peft_config.target_modules`.")
    }
    let r = config.r ?? 32
    // `_init_randlora_A_randlora_B` divides by `r` before any layer checks it.
    if r == 0 { throw PythonError(kind: "ZeroDivisionError", message: "division by zero") }
    if r < 0 { throw .notSimulated("RandLoRA with a negative `r` (\(r)) is not modelled") }
    let (maxDim, minDim) = (max(largest.out, largest.in), min(largest.out, largest.in))
    return [
      AdapterEntry("randlora_A", .buffer(TunerSupport.f32([r, 1, minDim]))),
      AdapterEntry("randlora_B", .buffer(TunerSupport.f32([maxDim, Self.bases(minDim, r), r]))),
    ]
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = config.r ?? 32
    let (i, o): (Int, Int)
    switch target.base {
    case .linear(let a, let b, _), .conv1D(let a, let b, _): (i, o) = (a, b)
    default:
      throw TunerSupport.unsupportedTarget(
        target.repr, supported: "`torch.nn.Linear`, `transformers.pytorch_utils.Conv1D`.", kind: "ValueError")
    }
    if target.existingLayer == nil { TunerSupport.adjustFanInFanOut(target, config: &config, context: &context) }
    try TunerSupport.positiveRank(r)
    let (maxDim, minDim) = (max(i, o), min(i, o))
    let n = Self.bases(minDim, r)
    var modelEntries: [AdapterEntry] = []
    let projectionA = target.sharedState["randlora_A"] ?? []
    let projectionB = target.sharedState["randlora_B"] ?? []
    if !projectionA.contains(where: { $0.name == adapterName }) {
      guard let a = projectionA.first?.info, let b = projectionB.first?.info, a.shape.count == 3, b.shape.count == 3 else {
        throw .valueError(
          "The `randlora_A` and `randlora_B` buffers are empty. This should not happen. Please report this issue.")
      }
      let shapes = "this probably happened because an additional RandLora adapter was added after the first one with "
        + "incompatible shapes."
      let ranks = "this probably happened because an additional RandLora adapter with a lower rank was added after the "
        + "first one; loading the adapters in reverse order may solve this."
      if b.shape[0] < maxDim { throw .valueError("randlora_B has a size of \(b.shape[0]) but \(maxDim) or greater is required; \(shapes)") }
      // PEFT checks the last dimension but prints the second (always 1).
      if a.shape[2] < minDim { throw .valueError("randlora_A has a size of \(a.shape[1]) but \(minDim) or greater is required; \(shapes)") }
      if a.shape[0] < r { throw .valueError("randlora_A has a size of \(a.shape[0]) but \(r) or greater is required; \(ranks)") }
      if b.shape[2] < r { throw .valueError("randlora_B has a size of \(b.shape[2]) but \(r) or greater is required; \(ranks)") }
      modelEntries = [AdapterEntry("randlora_A", .buffer(a)), AdapterEntry("randlora_B", .buffer(b))]
    }
    return LayerPlan(
      layerClassName: "Linear",
      entries: [.parameter("randlora_lambda", [r, n]), .parameter("randlora_gamma", [n, minDim])],
      modelEntries: modelEntries)
  }
}
