import TensorIO

/// AdaLoRA (`peft.tuners.adalora`): SVD-style `lora_A (r, in)`, `lora_E (r, 1)`, `lora_B (out, r)` as bare
/// parameters at rank `init_r`, plus a `ranknum` that is never saved. A saved `rank_pattern` (boolean
/// masks) shrinks the saved tensors and, on load, the layers themselves.
public struct AdaLoRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .adalora }
  public var configClassName: String { "AdaLoraConfig" }
  public var modelClassName: String { "AdaLoraModel" }
  public var configFields: Set<String> {
    LoRATuner.fields.union([
      "target_r", "init_r", "tinit", "tfinal", "deltaT", "beta1", "beta2", "orth_reg_weight", "total_step",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("lora_dropout", .moduleDict), LayerAttribute("lora_A", .parameterDict),
      LayerAttribute("lora_B", .parameterDict), LayerAttribute("lora_embedding_A", .parameterDict),
      LayerAttribute("lora_embedding_B", .parameterDict), LayerAttribute("lora_magnitude_vector", .moduleDict),
      LayerAttribute("lora_E", .parameterDict), LayerAttribute("ranknum", .parameterDict),
    ]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if config.useDora == true { throw .valueError("PeftType.ADALORA does not support DoRA.") }
    if case .pattern? = config.targetModules, config.layersToTransform != nil {
      throw .valueError("`layers_to_transform` cannot be used when `target_modules` is a str.")
    }
    if config.layersPattern?.isEmpty == false && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified. ")
    }
    if (config.r ?? 8) != 8 {
      warnings.append(
        PythonWarning(
          message: "Note that `r` is not used in AdaLora and will be ignored.If you intended to set the initial rank, "
            + "use `init_r` instead."))
    }
    if (config.json["total_step"]?.intValue ?? 0) <= 0 {
      throw .valueError("AdaLoRA does not work when `total_step` is None, supply a value > 0.")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = config.initR ?? 12
    if r < 0 { throw .valueError("`r` should be a positive integer or 0, but the value passed is \(r)") }
    switch target.base {
    case .linear(let i, let o, _), .conv1D(let i, let o, _):
      if target.existingLayer == nil { TunerSupport.adjustFanInFanOut(target, config: &config, context: &context) }
      return LayerPlan(layerClassName: "SVDLinear", entries: Self.entries(in: i, out: o, rank: r))
    default:
      throw .valueError(
        "Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear` and `Conv1D` are supported.")
    }
  }

  static func entries(in i: Int, out o: Int, rank r: Int) -> [AdapterEntry] {
    [.parameter("lora_A", [r, i]), .parameter("lora_E", [r, 1]), .parameter("lora_B", [o, r]), .parameter("ranknum", [1])]
  }

  public var unsavedAttributes: [String] { ["ranknum"] }

  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    var result = defaultAdapterStateDict(request)
    result.remove(Set(result.keys.filter { $0.hasSuffix(".ranknum.\(request.adapterName)") }))
    for entry in request.config.rankPattern {
      guard let mask = entry.mask else { continue }
      let rank = mask.filter { $0 }.count
      let module = Self.moduleKey(entry.pattern, adapterName: request.adapterName)
      for layer in ["lora_E", "lora_A", "lora_B"] {
        let key = "base_model.model.\(module).\(layer).\(request.adapterName)"
        guard var e = result[key] else { continue }
        let axis = layer == "lora_B" ? 1 : 0
        if e.info.shape.count > axis, rank != e.info.shape[axis] { e.info.shape[axis] = rank }
        result[key] = e
      }
    }
    return result
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    let remapped = defaultRemap(checkpoint, request: request)
    for entry in request.config.rankPattern {
      let rank = entry.integer
      let module = Self.moduleKey(entry.pattern, adapterName: request.adapterName)
      try request.model.resizeAdaLoRA(module: module, adapterName: request.adapterName, rank: rank)
    }
    return remapped
  }

  /// The module a `rank_pattern` key names: its last component dropped, or the last two when the
  /// adapter name occurs anywhere in the key (PEFT's substring test).
  static func moduleKey(_ name: String, adapterName: String) -> String {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    let drop = name.contains(adapterName) ? 2 : 1
    return parts.dropLast(min(drop, parts.count)).joined(separator: ".")
  }
}

extension PeftModel {
  /// `resize_modules_by_rank_pattern` for one layer.
  mutating func resizeAdaLoRA(module: String, adapterName: String, rank: Int) throws(PythonError) {
    guard let node = tree.module(at: module, from: baseRoot) else {
      let last = module.split(separator: ".").last.map(String.init) ?? module
      throw PythonError(kind: "AttributeError", message: "Module has no attribute `\(last)`")
    }
    guard case .linear(let i, let o, _) = tree[innermostBase(node)].kind.asLinear else { return }
    for entry in AdaLoRATuner.entries(in: i, out: o, rank: rank) {
      guard entry.attribute != "ranknum", let dict = tree[node].child(entry.attribute) else { continue }
      addEntry(entry, adapterName: adapterName, to: dict)
    }
  }
}

extension ModuleKind {
  /// `Conv1D` seen as the linear layer it is.
  var asLinear: ModuleKind {
    if case .conv1D(let i, let o, let b) = self { return .linear(inFeatures: i, outFeatures: o, bias: b) }
    return self
  }
}
