import TensorIO

/// LoRA (`peft.tuners.lora`): `lora_A`/`lora_B` linear pairs on Linear, GPT-2 `Conv1D` and Conv layers;
/// `lora_embedding_A/B` parameters on embeddings; DoRA's `lora_magnitude_vector`; `lora_bias`; and
/// `ParamWrapper` layers for `target_parameters` (3-D MoE expert weights).
///
/// Shapes (`r` from `rank_pattern` or `r`): `lora_A.weight (r, in)`, `lora_B.weight (out, r)`
/// (+ `lora_B.bias (out,)`); embeddings `lora_embedding_A (r, num)`, `lora_embedding_B (dim, r)`;
/// DoRA `lora_magnitude_vector.weight (out,)` (saved without `.weight`); a 3-D parameter `(E, d1, d2)`
/// gives `lora_A.weight (r·E, d2)`, `lora_B.weight (d1, r·E)`.
public struct LoRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .lora }
  public var configClassName: String { "LoraConfig" }
  public var modelClassName: String { "LoraModel" }
  public var supportsTargetParameters: Bool { true }

  public var configFields: Set<String> { Self.fields }
  static let fields: Set<String> = commonConfigFields.union([
    "r", "target_modules", "exclude_modules", "lora_alpha", "lora_dropout", "fan_in_fan_out", "bias", "use_rslora",
    "modules_to_save", "init_lora_weights", "layers_to_transform", "layers_pattern", "rank_pattern", "alpha_pattern",
    "megatron_config", "megatron_core", "trainable_token_indices", "loftq_config", "eva_config", "corda_config",
    "lora_ga_config", "use_dora", "velora_config", "alora_invocation_tokens", "use_qalora", "qalora_group_size",
    "monteclora_config", "layer_replication", "runtime_config", "lora_bias", "target_parameters", "use_bdlora",
    "arrow_config", "kasa_config", "ensure_weight_tying",
  ])

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("lora_dropout", .moduleDict), LayerAttribute("lora_A", .moduleDict),
      LayerAttribute("lora_B", .moduleDict), LayerAttribute("lora_embedding_A", .parameterDict),
      LayerAttribute("lora_embedding_B", .parameterDict), LayerAttribute("lora_magnitude_vector", .moduleDict),
    ]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    try Self.validateLoraConfig(config)
  }

  static func validateLoraConfig(_ config: AdapterConfig) throws(PythonError) {
    if case .pattern? = config.targetModules {
      if config.layersToTransform != nil {
        throw .valueError("`layers_to_transform` cannot be used when `target_modules` is a str.")
      }
      if config.layersPattern != nil {
        throw .valueError("`layers_pattern` cannot be used when `target_modules` is a str.")
      }
    }
    if config.layersPattern?.isEmpty == false && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified. ")
    }
    if config.loraBias == true && config.useDora == true {
      throw .valueError("The argument lora_bias=True is not supported for DoRA, please pass use_dora=False")
    }
  }

  public func checkNewAdapter(_ config: AdapterConfig, existing: [NamedAdapter]) throws(PythonError) {
    let mine = Set(config.targetParameters ?? [])
    guard !mine.isEmpty else { return }
    for other in existing {
      let theirs = other.config.targetParameters ?? []
      if !theirs.isEmpty && Set(theirs) != mine {
        throw .valueError(
          "When using multiple adapters with `target_parameters`, all adapters must target the same set of "
            + "parameters, but got \(pythonListRepr(mine.sorted())) for the new adapter and "
            + "\(pythonListRepr(theirs.sorted())) for adapter '\(other.name)'.")
      }
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = try TunerSupport.rank(config, key: target.key, default: config.r ?? 8)
    let loraBias = config.loraBias ?? false
    let useDora = config.useDora ?? false
    if let parameter = target.parameterName {
      return try paramWrapperPlan(target, parameter: parameter, r: r, config: config)
    }
    let isNew = target.existingLayer == nil
    switch target.base {
    case .embedding(let n, let d):
      if loraBias { throw .valueError("lora_bias=True is not supported for Embedding.") }
      try TunerSupport.positiveRank(r)
      var entries: [AdapterEntry] = [.parameter("lora_embedding_A", [r, n]), .parameter("lora_embedding_B", [d, r])]
      if useDora { entries.append(.weightModule("lora_magnitude_vector", className: "DoraEmbeddingLayer", [d])) }
      return LayerPlan(layerClassName: "Embedding", entries: entries)
    case .conv(let dims, let inChannels, let out, let kernel, _):
      try TunerSupport.positiveRank(r)
      biasWarning(target, loraBias: loraBias, context: &context)
      let ones = Array(repeating: 1, count: dims)
      var bTensors = [ModuleTensor(name: "weight", info: TunerSupport.f32([out, r] + ones))]
      if loraBias { bTensors.append(ModuleTensor(name: "bias", info: TunerSupport.f32([out]))) }
      var entries: [AdapterEntry] = [
        .weightModule("lora_A", className: "Conv\(dims)d", [r, inChannels] + kernel),
        AdapterEntry("lora_B", .module(className: "Conv\(dims)d", tensors: bTensors)),
      ]
      if useDora {
        entries.append(.weightModule("lora_magnitude_vector", className: "DoraConv\(dims)dLayer", [1, out] + ones))
      }
      return LayerPlan(layerClassName: "Conv\(dims)d", entries: entries)
    case .linear(let i, let o, _), .conv1D(let i, let o, _):
      if isNew { TunerSupport.adjustFanInFanOut(target, config: &config, context: &context) }
      try TunerSupport.positiveRank(r)
      biasWarning(target, loraBias: loraBias, context: &context)
      var entries: [AdapterEntry] = [.linear("lora_A", in: i, out: r), .linear("lora_B", in: r, out: o, bias: loraBias)]
      if useDora { entries.append(.weightModule("lora_magnitude_vector", className: "DoraLinearLayer", [o])) }
      return LayerPlan(layerClassName: "Linear", entries: entries)
    default:
      throw TunerSupport.unsupportedTarget(
        target.repr, supported: "`torch.nn.Linear`, `torch.nn.Embedding`, `torch.nn.Conv1d`, `torch.nn.Conv2d`, `torch.nn.Conv3d`, "
          + "`transformers.pytorch_utils.Conv1D`, `torch.nn.MultiheadAttention.`.", kind: "ValueError")
    }
  }

  private func biasWarning(_ target: InjectionTarget, loraBias: Bool, context: inout InjectionContext) {
    guard loraBias, !target.baseTensors.contains(where: { $0.name == "bias" }) else { return }
    context.warn(
      "`lora_bias=True` was passed but the targeted layer of type \(target.baseClassName) has no bias. This means "
        + "that merging LoRA weights won't be possible.", category: "PeftWarning")
  }

  private func paramWrapperPlan(_ target: InjectionTarget, parameter: String, r: Int, config: AdapterConfig)
    throws(PythonError) -> LayerPlan
  {
    let name = "lora.ParamWrapper"
    if target.existingLayer == nil {
      if (config.json["lora_dropout"]?.doubleValue ?? 0) != 0 {
        throw .valueError("\(name) does not work with lora_dropout != 0.")
      }
      if config.fanInFanOut == true { throw .valueError("\(name) does not work with fan_in_fan_out.") }
      if config.loraBias == true { throw .valueError("\(name) does not work with lora_bias=True.") }
      if config.useDora == true { throw .valueError("\(name) does not work with use_dora=True.") }
    }
    guard let shape = target.parameterShape else {
      throw .valueError("\(name) could not find the parameter '\(parameter)'.")
    }
    let experts: Int
    var inFeatures: Int
    var outFeatures: Int
    switch shape.count {
    case 3: (experts, inFeatures, outFeatures) = (shape[0], shape[1], shape[2])
    case 2: (experts, inFeatures, outFeatures) = (1, shape[1], shape[0])
    default:
      throw .valueError(
        "\(name) was initialized with \(shape.count) dimensional Parameter, but only 2d and 3d are supported.")
    }
    try TunerSupport.positiveRank(r)
    if shape.count == 3 { swap(&inFeatures, &outFeatures) }
    let (rows, overflow) = r.multipliedReportingOverflow(by: experts)
    if overflow { throw .valueError("rank × experts overflows") }
    return LayerPlan(
      layerClassName: "ParamWrapper",
      entries: [.linear("lora_A", in: inFeatures, out: rows), .linear("lora_B", in: rows, out: outFeatures, bias: false)])
  }

  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    let result = defaultAdapterStateDict(request)
    guard request.config.useDora == true else { return result }
    let suffix = "lora_magnitude_vector.\(request.adapterName).weight"
    return StateDict(result.entries.map { entry in
      var e = entry
      if e.key.hasSuffix(suffix) { e.key = String(e.key.dropLast(".weight".count)) }
      return e
    })
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    let renamed = StateDict(checkpoint.entries.map { entry in
      var e = entry
      if e.key.hasSuffix("lora_magnitude_vector") { e.key += ".weight" }
      return e
    })
    return defaultRemap(renamed, request: request)
  }
}

/// Fields every PEFT config declares (`PeftConfig`).
let commonConfigFields: Set<String> = [
  "task_type", "peft_type", "auto_mapping", "peft_version", "base_model_name_or_path", "revision", "inference_mode",
]
