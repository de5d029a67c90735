import TensorIO

/// FRoD (`peft.tuners.frod`), on `nn.Linear` and GPT-2's `Conv1D`. Targets are grouped by category, the
/// last two components of their name (`self_attn_q_proj`; only the last after a layer number; BERT's
/// `attention.output.dense` is `attention_output`). Per category the tuner model holds, for each adapter, a
/// shared basis `frod_V.<category> (in, in)` in the weight's dtype (from an SVD or QR of the category's stacked
/// weights) and a sparse pattern: int64 `frod_s_indices.<category> (2, nnz)` and `frod_s_size.<category> (2,)`,
/// `nnz = min(int(in · in · sparse_rate), in · (in − 1))`, at least 1 when `sparse_rate > 0`. All three are
/// persistent only with `save_projection` (on by default), set when the category's dict is created.
///
/// Each targeted layer trains `frod_lambda_l (in,)` and `frod_lambda_s_values (nnz,)` in the weight's dtype;
/// its `frod_U` is an unsaved buffer and its references to the shared dicts are not registered modules.
/// PEFT saves the shared tensors without the adapter name and puts it back on load, where a checkpoint
/// without any of them is its `ValueError` unless `save_projection` is off. A targeted module of another type
/// has a category the shared dicts lack: PEFT's `KeyError` naming the category. A config whose targets hold
/// no Linear or `Conv1D` is its `ValueError` before any module is touched.
public struct FRoDTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .frod }
  public var configClassName: String { "FrodConfig" }
  public var modelClassName: String { "FrodModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "target_modules", "projection_prng_key", "save_projection", "frod_dropout", "fan_in_fan_out", "bias",
      "modules_to_save", "init_weights", "layers_to_transform", "layers_pattern", "sparse_rate",
      "regularization_alpha", "progressbar", "runtime_offload_base_weight",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("frod_dropout", .moduleDict), LayerAttribute("frod_lambda_l", .parameterDict),
      LayerAttribute("frod_lambda_s_values", .parameterDict), LayerAttribute("frod_U", .bufferDict(persistent: false)),
    ]
  }

  static let sharedAttributes = ["frod_V", "frod_s_indices", "frod_s_size"]

  public func modelAttributes(_ config: AdapterConfig) -> [LayerAttribute] {
    Self.sharedAttributes.map { LayerAttribute($0, .moduleDict) }
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? {
    PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType)
  }

  /// `FrodConfig.__post_init__`.
  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if config.layersPattern != nil && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified. ")
    }
    let rate = try TunerSupport.double(config, "sparse_rate", default: 0.01)
    if rate < 0 || rate > 1 {
      // The number as written in the config is how Python prints what it parses.
      let text: String = if case .number(let t)? = config.json["sparse_rate"] { t } else { "\(rate)" }
      throw .valueError("`sparse_rate` should be between 0 and 1, got \(text).")
    }
  }

  /// `_check_new_adapter_config`: one projection key, and projections saved and base weights offloaded
  /// by every adapter or by none.
  public func checkNewAdapter(_ config: AdapterConfig, existing: [NamedAdapter]) throws(PythonError) {
    let key = try TunerSupport.int(config, "projection_prng_key", default: 0)
    for other in existing {
      let otherKey = try TunerSupport.int(other.config, "projection_prng_key", default: 0)
      if otherKey != key {
        throw .valueError(
          "FRoD projection initialization key must be the same for all adapters. Got "
            + "config.projection_prng_key=\(key) but previous config had \(otherKey).")
      }
    }
    for (field, what, fallback) in [
      ("save_projection", "FRoD projection weights must be saved", true),
      ("runtime_offload_base_weight", "FRoD runtime base-weight offloading must be enabled", false),
    ] {
      var values: Set<Bool> = []
      for adapter in existing + [NamedAdapter(name: "", config: config)] {
        values.insert(try TunerSupport.bool(adapter.config, field, default: fallback))
      }
      if values.count > 1 {
        throw .valueError("\(what) for all adapters or none, but got multiple different values: [False, True]")
      }
    }
  }

  /// `_init_frod_projections` (the `_pre_injection_hook`): the shared tensors of every category the targets
  /// have, in sorted category order.
  public func modelLevelEntries(_ config: AdapterConfig, targets: [InjectionTarget], adapterName: String)
    throws(PythonError) -> [AdapterEntry]
  {
    var features: [String: (Int, DType)] = [:]
    for target in targets {
      guard let i = Self.linearFeatures(target)?.0 else { continue }
      let category = Self.category(target.key)
      if features[category] == nil { features[category] = (i, Self.weightDType(target)) }
    }
    if features.isEmpty {
      throw .valueError("No layer types compatible with FRoD were found. Please check `peft_config.target_modules`.")
    }
    let categories = features.sorted { $0.key < $1.key }
    var entries: [AdapterEntry] = []
    for attribute in Self.sharedAttributes {
      for (category, (i, dtype)) in categories {
        entries.append(try Self.sharedEntry(attribute, category: category, in: i, dtype: dtype, config: config))
      }
    }
    return entries
  }

  /// `_create_and_replace` and `update_layer`: a category the shared dicts lack makes PEFT run the hook
  /// again for this adapter (all its Linear and `Conv1D` targets, with its config); an adapter without its own
  /// entry in a category copies the first adapter's (so a later adapter's sparse pattern is the first one's).
  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let category = Self.category(target.key)
    let indices = (target.sharedState["frod_s_indices"] ?? []).filter { $0.name.hasPrefix(category + ".") }
    var modelEntries: [AdapterEntry] = []
    let nnz: Int
    let i: Int
    if indices.isEmpty {
      var rerun: [InjectionTarget] = []
      for (name, kind) in zip(context.targetModuleNames, context.targetModuleKinds) {
        rerun.append(InjectionTarget(key: name, base: kind, baseClassName: "", repr: "", typeRepr: ""))
      }
      modelEntries = try modelLevelEntries(config, targets: rerun, adapterName: adapterName)
      guard let features = Self.linearFeatures(target) else { throw .keyError(category) }
      i = features.0
      nnz = try Self.sparseCount(i, config)
    } else {
      guard let features = Self.linearFeatures(target) else {
        throw TunerSupport.unsupportedTarget(target.repr, supported: "`torch.nn.Linear`, `transformers.pytorch_utils.Conv1D`.")
      }
      i = features.0
      let own = indices.first { $0.name == "\(category).\(adapterName)" }
      let reference = own ?? indices[0]
      nnz = reference.info.shape.last ?? 0
      if own == nil {
        let referenceAdapter = String(reference.name.dropFirst(category.count + 1))
        for attribute in Self.sharedAttributes {
          guard let tensor = (target.sharedState[attribute] ?? []).first(where: { $0.name == "\(category).\(referenceAdapter)" })
          else { continue }
          modelEntries.append(
            AdapterEntry(attribute, .keyedBuffer(key: category, info: tensor.info, persistent: tensor.persistent)))
        }
      }
    }
    if target.existingLayer == nil { TunerSupport.adjustFanInFanOut(target, config: &config, context: &context) }
    let dtype = Self.weightDType(target)
    return LayerPlan(
      layerClassName: "Linear",
      entries: [
        AdapterEntry("frod_lambda_l", .parameter(TensorInfo(dtype: dtype, shape: [i]))),
        AdapterEntry("frod_lambda_s_values", .parameter(TensorInfo(dtype: dtype, shape: [nnz]))),
      ],
      modelEntries: modelEntries)
  }

  /// `_get_adapter_state_dict`: the layers' `frod_` entries of this adapter, the shared tensors with
  /// `save_projection`, learnable biases.
  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    let name = request.adapterName
    var result = StateDict([])
    let layerShared = [".frod_V.", ".frod_s_indices.", ".frod_s_size.", ".frod_U."]
    for entry in request.stateDict.entries
    where entry.key.containsText("frod_") && entry.key.containsText(name) && !layerShared.contains(where: { entry.key.containsText($0) }) {
      result[entry.key] = entry
    }
    if try TunerSupport.bool(request.config, "save_projection", default: true) {
      for entry in request.stateDict.entries where Self.isShared(entry.key) && entry.key.hasSuffix(".\(name)") {
        result[entry.key] = entry
      }
    }
    for entry in learnableBiases(request) where !result.contains(entry.key) { result[entry.key] = entry }
    return result
  }

  /// `_remap_adapter_state_dict_for_load`: the shared tensors get the adapter name back (after the other
  /// keys); without any, PEFT refuses the checkpoint unless `save_projection` is off.
  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    let adapterName = request.adapterName
    let result = remapSharing(checkpoint, request: request) { key in Self.isShared(key) ? key + "." + adapterName : nil }
    let hasProjection = result.entries.contains { Self.isShared($0.key) }
    let saveProjection = try TunerSupport.bool(request.config, "save_projection", default: true)
    if saveProjection && !hasProjection {
      throw .valueError(
        "Specified to load FRoD projection tensors from state dictionary however they were not present. "
          + "If this checkpoint was saved with `save_projection=False`, set `peft_config.save_projection` "
          + "to `False` before loading so the projections are regenerated from the base model weights. "
          + "Otherwise, re-save the adapter with `save_projection=True` to include these tensors.")
    } else if !saveProjection && hasProjection {
      warnings.append(
        PythonWarning(
          message: "Specified to not load FRoD projection tensors from state dictionary however they are present. "
            + "Consider using them to ensure checkpoint loading is correct by setting "
            + "`peft_config.save_projection = True`."))
    }
    return result
  }

  // MARK: PEFT's helpers

  static func isShared(_ key: String) -> Bool {
    sharedAttributes.contains { key.hasPrefix("base_model.\($0).") }
  }

  /// `_category_from_key`.
  static func category(_ key: String) -> String {
    let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    if parts.count == 1 { return parts[0] }
    let previous = parts[parts.count - 2]
    if !previous.isEmpty && previous.allSatisfy(\.isNumber) { return parts[parts.count - 1] }
    let category = "\(previous)_\(parts[parts.count - 1])"
    if category == "output_dense" && parts.count >= 3 && parts[parts.count - 3] == "attention" { return "attention_output" }
    return category
  }

  /// `(in, out)` of a Linear or `Conv1D` (the weight the basis is built from is `(out, in)` either way).
  static func linearFeatures(_ target: InjectionTarget) -> (Int, Int)? {
    switch target.base {
    case .linear(let i, let o, _), .conv1D(let i, let o, _): return (i, o)
    default: return nil
    }
  }

  static func weightDType(_ target: InjectionTarget) -> DType {
    target.baseTensors.first { $0.name == "weight" }?.info.dtype ?? .f32
  }

  /// `min(int(in · in · sparse_rate), in · (in − 1))`, at least 1 when both are positive.
  static func sparseCount(_ dim: Int, _ config: AdapterConfig) throws(PythonError) -> Int {
    let rate = try TunerSupport.double(config, "sparse_rate", default: 0.01)
    let offDiagonal = dim * (dim - 1)
    var count = min(Int(Double(dim * dim) * rate), offDiagonal)
    if rate > 0 && offDiagonal > 0 { count = max(1, count) }
    return count
  }

  static func sharedEntry(_ attribute: String, category: String, in dim: Int, dtype: DType, config: AdapterConfig)
    throws(PythonError) -> AdapterEntry
  {
    let persistent = try TunerSupport.bool(config, "save_projection", default: true)
    let info: TensorInfo
    switch attribute {
    case "frod_V": info = TensorInfo(dtype: dtype, shape: [dim, dim])
    case "frod_s_indices": info = TensorInfo(dtype: .i64, shape: [2, try sparseCount(dim, config)])
    default: info = TensorInfo(dtype: .i64, shape: [2])
    }
    return AdapterEntry(attribute, .keyedBuffer(key: category, info: info, persistent: persistent))
  }
}
