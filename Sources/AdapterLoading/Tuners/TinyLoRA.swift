import TensorIO

/// TinyLoRA (`peft.tuners.tinylora`), on `nn.Linear`, GPT-2's `Conv1D` and `nn.Embedding`. Each targeted
/// layer keeps a truncated SVD of its frozen weight in persistent buffers, `tinylora_A (r', in)` and
/// `tinylora_B (out, r')` with `r' = min(r, in, out)` (for an embedding `(r', dim)` and `(rows, r')`), in the
/// weight's dtype, and a fixed projection `tinylora_P (u, r', r')`: persistent on a Linear only with
/// `save_projection`, always on an embedding (PEFT toggles it in the Linear's `update_layer` only).
///
/// What is trained are vectors `(u,)` in one `ParameterDict` per adapter on the tuner model,
/// `base_model.tinylora_v.<adapter>.<group>`, which every layer also references. The targeted modules, in
/// `named_modules` order, are split into `max(1, round(n · (1 − weight_tying)))` groups (Python's
/// `round`), one vector each. PEFT saves the vectors as `base_model.tinylora_v.<group>` and the per-layer
/// buffers under their layer's keys (the projections only with `save_projection`); the load puts the
/// adapter name back into the vectors' keys and warns where projections are expected but absent, or the
/// reverse. A targeted module of another type is not in PEFT's index of targets: a `KeyError` naming it.
public struct TinyLoRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .tinylora }
  public var configClassName: String { "TinyLoraConfig" }
  public var modelClassName: String { "TinyLoraModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "u", "weight_tying", "projection_seed", "save_projection", "init_v_bound", "target_modules",
      "tinylora_dropout", "fan_in_fan_out", "bias", "modules_to_save", "init_weights", "layers_to_transform",
      "layers_pattern",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("tinylora_dropout", .moduleDict), LayerAttribute("tinylora_A", .bufferDict(persistent: true)),
      LayerAttribute("tinylora_B", .bufferDict(persistent: true)),
      LayerAttribute("tinylora_P", .bufferDict(persistent: true)),
      // Assigned in `update_layer`, so registered after the buffer dicts.
      LayerAttribute("tinylora_v", .moduleDict, shared: "tinylora_v"),
    ]
  }

  public func modelAttributes(_ config: AdapterConfig) -> [LayerAttribute] { [LayerAttribute("tinylora_v", .moduleDict)] }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? {
    PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType)
  }

  /// `TinyLoraConfig.__post_init__`.
  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if config.layersPattern != nil && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified.")
    }
    if !(try TunerSupport.bool(config, "save_projection", default: true)) {
      warnings.append(
        PythonWarning(
          message: "Specified to not save projection tensors P within the state dictionary. They will be restored "
            + "using the PRNG key stored in `config.projection_seed`. Consider setting `config.save_projection` "
            + "to `True` to guarantee restoring the checkpoint correctly on all system configurations."))
    }
    let r = config.r ?? 2
    if r <= 0 { throw .valueError("`r` should be a positive integer value but the value passed is \(r)") }
    let u = try TunerSupport.int(config, "u", default: 64)
    if u <= 0 { throw .valueError("`u` should be a positive integer value but the value passed is \(u)") }
    let tying = try TunerSupport.double(config, "weight_tying", default: 0)
    if !(0...1).contains(tying) {
      // The number as written in the config is how Python prints what it parses.
      let text: String = if case .number(let t)? = config.json["weight_tying"] { t } else { "\(tying)" }
      throw .valueError("`weight_tying` should be a float between 0.0 and 1.0 but the value passed is \(text)")
    }
  }

  /// `_check_new_adapter_config`: every adapter saves its projections, or none does.
  public func checkNewAdapter(_ config: AdapterConfig, existing: [NamedAdapter]) throws(PythonError) {
    var values: Set<Bool> = []
    for adapter in existing + [NamedAdapter(name: "", config: config)] {
      values.insert(try TunerSupport.bool(adapter.config, "save_projection", default: true))
    }
    if values.count > 1 {
      throw .typeError(
        "TinyLoRA projection tensors must be saved for all adapters or none, but got multiple different values: "
          + "[False, True]")
    }
  }

  /// `_create_and_replace` and the layer's `update_layer`: the group vectors come with the adapter's first
  /// targeted module.
  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = config.r ?? 2
    let u = try TunerSupport.int(config, "u", default: 64)
    let weightDType = target.baseTensors.first { $0.name == "weight" }?.info.dtype ?? .f32
    let className: String
    let a: [Int], b: [Int]
    let projectionSaved: Bool
    switch target.base {
    case .linear(let i, let o, _), .conv1D(let i, let o, _):
      let rank = min(r, i, o)
      (className, a, b) = ("Linear", [rank, i], [o, rank])
      projectionSaved = try TunerSupport.bool(config, "save_projection", default: true)
    case .embedding(let rows, let dim):
      let rank = min(r, rows, dim)
      (className, a, b) = ("Embedding", [rank, dim], [rows, rank])
      projectionSaved = true
    default:
      // `_build_target_key_mapping` indexes only the supported layer types.
      throw .keyError(target.key)
    }
    var modelEntries: [AdapterEntry] = []
    if context.targetModuleNames.first == target.key {
      let groups = try Self.groupCount(config, targets: context.targetModuleNames.count)
      let vectors = (0..<groups).map { ModuleTensor(name: String($0), info: TunerSupport.f32([u])) }
      modelEntries = [AdapterEntry("tinylora_v", .module(className: "ParameterDict", tensors: vectors))]
    }
    if target.existingLayer == nil, className == "Linear" {
      TunerSupport.adjustFanInFanOut(target, config: &config, context: &context)
    }
    var entries: [AdapterEntry] = [
      AdapterEntry("tinylora_A", .buffer(TensorInfo(dtype: weightDType, shape: a))),
      AdapterEntry("tinylora_B", .buffer(TensorInfo(dtype: weightDType, shape: b))),
    ]
    // A projection that is not persistent is in no state dict: neither saved nor expected.
    if projectionSaved {
      entries.append(AdapterEntry("tinylora_P", .buffer(TunerSupport.f32([u, a[0], a[0]]))))
    }
    return LayerPlan(layerClassName: className, entries: entries, modelEntries: modelEntries)
  }

  /// `max(1, round(n · (1 − weight_tying)))`, with Python's round-half-to-even.
  static func groupCount(_ config: AdapterConfig, targets: Int) throws(PythonError) -> Int {
    let tying = try TunerSupport.double(config, "weight_tying", default: 0)
    return max(1, Int((Double(targets) * (1 - tying)).rounded(.toNearestOrEven)))
  }

  /// `_get_adapter_state_dict`: the layers' `tinylora_*` entries except the vector references and the
  /// projections, the adapter's vectors without its name, the projections with `save_projection`, biases.
  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    var result = StateDict([])
    for entry in request.stateDict.entries
    where entry.key.containsText("tinylora_") && !entry.key.containsText(".tinylora_v.") && !entry.key.containsText(".tinylora_P.") {
      result[entry.key] = entry
    }
    let vectorPrefix = "base_model.tinylora_v.\(request.adapterName)."
    for entry in request.stateDict.entries where entry.key.hasPrefix(vectorPrefix) {
      var renamed = entry
      renamed.key = "base_model.tinylora_v." + entry.key.dropFirst(vectorPrefix.count)
      result[renamed.key] = renamed
    }
    if try TunerSupport.bool(request.config, "save_projection", default: true) {
      for entry in request.stateDict.entries
      where entry.key.containsText(".tinylora_P.") && entry.key.containsText(request.adapterName) {
        result[entry.key] = entry
      }
    }
    for entry in learnableBiases(request) where !result.contains(entry.key) { result[entry.key] = entry }
    return result
  }

  /// `_remap_adapter_state_dict_for_load`: the vectors get the adapter name back (after the other keys),
  /// then the warnings about projections present or absent.
  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    let adapterName = request.adapterName
    let result = remapSharing(checkpoint, request: request) { key in
      key.containsText(".tinylora_v.") ? key.replacingText(".tinylora_v.", with: ".tinylora_v.\(adapterName).") : nil
    }
    let hasProjection = result.entries.contains { $0.key.containsText(".tinylora_P.") }
    let saveProjection = try TunerSupport.bool(request.config, "save_projection", default: true)
    if saveProjection && !hasProjection {
      warnings.append(
        PythonWarning(
          message: "Specified to load tinylora_P from state dictionary however it was not present! "
            + "Projection tensors will be regenerated from the projection_seed."))
    } else if !saveProjection && hasProjection {
      warnings.append(
        PythonWarning(
          message: "Specified to not load tinylora_P from state dictionary however they are present in state"
            + " dictionary! Consider using them to ensure checkpoint loading is correct on all platforms using"
            + " `peft_config.save_projection = True`"))
    } else if !saveProjection {
      warnings.append(
        PythonWarning(
          message: "Specified to not load tinylora_P from state dictionary. This means we will be relying on"
            + " PRNG initialisation to restore these projections using `config.projection_seed`, which may"
            + " not be accurate on all system configurations."))
    }
    return result
  }
}
