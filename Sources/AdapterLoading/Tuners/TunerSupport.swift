import TensorIO

/// Helpers shared by the tuner files.
enum TunerSupport {
  /// `TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING[model_type]`, recorded from PEFT for every model type
  /// (``PEFTModelDefaults``). Tuners whose own mapping differs from LoRA's ask for theirs.
  static func loraDefaults(_ modelType: String) -> TargetModules? {
    PEFTModelDefaults.targetModules(.lora, modelType: modelType)
  }

  /// The rank for a module: `rank_pattern` (first matching key in written order), else `default`.
  static func rank(_ config: AdapterConfig, key: String, default value: Int) throws(PythonError) -> Int {
    try patternEntry(config.rankPattern, for: key, field: "rank_pattern")?.integer ?? value
  }

  static func positiveRank(_ r: Int) throws(PythonError) {
    if r <= 0 { throw .valueError("`r` should be a positive integer value but the value passed is \(r)") }
  }

  /// Python's `type(module).__name__` for the innermost base layer.
  static func typeName(_ target: InjectionTarget) -> String { target.baseClassName }

  /// `_check_new_adapter_config` of the methods whose shared projections come from one PRNG key (VeRA,
  /// PVeRA, RandLoRA): every adapter must use the same key, and save the projections or not alike.
  static func checkSharedProjections(
    _ config: AdapterConfig, existing: [NamedAdapter], prngName: String, methodName: String, mixedValues: String
  ) throws(PythonError) {
    let key = config.projectionPRNGKey ?? 0
    for other in existing where (other.config.projectionPRNGKey ?? 0) != key {
      throw .valueError(
        "\(prngName) PRNG initialisation key must be the same for all adapters. Got config.projection_prng_key=\(key) "
          + "but previous config had \(other.config.projectionPRNGKey ?? 0).")
    }
    if Set((existing.map(\.config) + [config]).map { $0.saveProjection ?? true }).count > 1 {
      throw .valueError(
        "\(methodName) projection weights must be saved for all adapters or none, but got multiple different values: "
          + mixedValues)
    }
  }

  /// PEFT's refusal of a layer type the method does not wrap, naming what it supports; the exception
  /// class is the method's own (`TypeError` for most, `ValueError` for LoRA, HiRA, RandLoRA, RoAd, VeRA).
  static func unsupportedTarget(_ repr: String, supported: String, kind: String = "TypeError") -> PythonError {
    PythonError(
      kind: kind,
      message: "Target module \(repr) is not supported. Currently, only the following modules are supported: " + supported)
  }

  /// The `(in, out)` features of a layer that must be an `nn.Linear` or a GPT-2 `Conv1D`, with
  /// `fan_in_fan_out` adjusted for a new layer; any other layer is PEFT's `TypeError` naming what is supported.
  static func linearOrConv1D(
    _ target: InjectionTarget, config: inout AdapterConfig, context: inout InjectionContext,
    supported: String = "`torch.nn.Linear`, `transformers.pytorch_utils.Conv1D`."
  ) throws(PythonError) -> (Int, Int) {
    let features: (Int, Int)
    switch target.base {
    case .linear(let a, let b, _), .conv1D(let a, let b, _): features = (a, b)
    default: throw unsupportedTarget(target.repr, supported: supported)
    }
    if target.existingLayer == nil { adjustFanInFanOut(target, config: &config, context: &context) }
    return features
  }

  /// `fan_in_fan_out` handling shared by the Linear-style tuners: a `Conv1D` forces it on, an
  /// `nn.Linear` forces it off, each with PEFT's warning.
  static func adjustFanInFanOut(_ target: InjectionTarget, config: inout AdapterConfig, context: inout InjectionContext) {
    switch target.base {
    case .conv1D:
      if config.fanInFanOut != true {
        context.warn("fan_in_fan_out is set to False but the target module is `Conv1D`. Setting fan_in_fan_out to True.")
        config.fanInFanOut = true
      }
    case .linear:
      if config.fanInFanOut == true {
        context.warn(
          "fan_in_fan_out is set to True but the target module is `torch.nn.Linear`. Setting fan_in_fan_out to False.")
        config.fanInFanOut = false
      }
    default:
      break
    }
  }

  /// `_get_in_out_features` of PEFT: `(in, out)` of the base layer.
  static func inOut(_ target: InjectionTarget) -> (in: Int, out: Int)? { target.base.inOutFeatures }

  static func f32(_ shape: [Int]) -> TensorInfo { TensorInfo(dtype: .f32, shape: shape) }

  // MARK: Fields AdapterConfig does not decode

  /// A field of a method's config that `AdapterConfig` does not decode, or `value` when absent or null.
  /// Another JSON type is not something PEFT's code on it can be predicted for: "cannot tell".
  private static func field<T>(
    _ config: AdapterConfig, _ field: String, default value: T, expected: String, _ read: (JSONValue) -> T?
  ) throws(PythonError) -> T {
    guard let json = config.json[field], !json.isNull else { return value }
    guard let typed = read(json) else { throw notModelledType(config, field, json, expected: expected) }
    return typed
  }

  /// An integer field (`block_size`, `gralora_k`).
  static func int(_ config: AdapterConfig, _ name: String, default value: Int) throws(PythonError) -> Int {
    try field(config, name, default: value, expected: "an integer") { $0.intValue }
  }

  /// A number field (`unilora_dropout`).
  static func double(_ config: AdapterConfig, _ name: String, default value: Double) throws(PythonError) -> Double {
    try field(config, name, default: value, expected: "a number") { $0.doubleValue }
  }

  /// A string field (`variant`).
  static func string(_ config: AdapterConfig, _ name: String, default value: String) throws(PythonError) -> String {
    try field(config, name, default: value, expected: "a string") { $0.stringValue }
  }

  /// A boolean field (`save_projection`).
  static func bool(_ config: AdapterConfig, _ name: String, default value: Bool) throws(PythonError) -> Bool {
    try field(config, name, default: value, expected: "a boolean") { $0.boolValue }
  }

  /// A `{pattern: integer}` field (`block_size_pattern`), in written order.
  static func intPattern(_ config: AdapterConfig, _ field: String) throws(PythonError) -> [PatternEntry] {
    guard let json = config.json[field], !json.isNull else { return [] }
    guard let object = json.objectValue else { throw notModelledType(config, field, json, expected: "an object") }
    var entries: [PatternEntry] = []
    for (key, value) in object {
      guard let int = value.intValue else { throw notModelledType(config, "\(field).\(key)", value, expected: "an integer") }
      entries.append(PatternEntry(pattern: key, value: Double(int), exactInteger: int))
    }
    return entries
  }

  private static func notModelledType(_ config: AdapterConfig, _ field: String, _ value: JSONValue, expected: String)
    -> PythonError
  {
    .notSimulated(
      "\(config.source): `\(field)` is \(value.typeName), not \(expected); what PEFT's \(config.peftType.rawValue) code does "
        + "with it is not modelled")
  }

  /// The value of the first entry whose key matches `re.match(".*\.<key>$", moduleKey)` (FourierFT's
  /// `n_frequency_pattern`, C3A's `block_size_pattern`, WaveFT's), else `value`.
  static func suffixPatternValue(_ entries: [PatternEntry], key: String, default value: Int, field: String)
    throws(PythonError) -> Int
  {
    for entry in entries {
      guard let regex = try? PythonRegex(".*\\.\(entry.pattern)$", field: field) else { continue }
      if try regex.prefixMatch(key) != nil { return entry.integer }
    }
    return value
  }

  /// The `__post_init__` checks most LoRA-like configs share: a regex `target_modules` rules out
  /// `layers_to_transform` (and, where `layersPattern`, `layers_pattern`).
  static func checkRegexTargets(_ config: AdapterConfig, layersPattern: Bool = true) throws(PythonError) {
    guard case .pattern? = config.targetModules else { return }
    if config.layersToTransform != nil {
      throw .valueError("`layers_to_transform` cannot be used when `target_modules` is a str.")
    }
    if layersPattern && config.layersPattern != nil {
      throw .valueError("`layers_pattern` cannot be used when `target_modules` is a str.")
    }
  }

  /// `fan_in_fan_out` warnings of the tuners that pass the corrected value to the new layer without
  /// changing the config (HiRA): they warn for every module.
  static func warnFanInFanOut(_ target: InjectionTarget, config: AdapterConfig, context: inout InjectionContext) {
    switch target.base {
    case .conv1D where config.fanInFanOut != true:
      context.warn("fan_in_fan_out is set to False but the target module is `Conv1D`. Setting fan_in_fan_out to True.")
    case .linear where config.fanInFanOut == true:
      context.warn(
        "fan_in_fan_out is set to True but the target module is `torch.nn.Linear`. Setting fan_in_fan_out to False.")
    default:
      break
    }
  }
}

/// Overflow-checked products of shape values (shapes come from untrusted checkpoint headers).
enum Checked {
  static func product(_ values: [Int]) throws(PythonError) -> Int {
    var result = 1
    for v in values {
      let (p, overflow) = result.multipliedReportingOverflow(by: v)
      if overflow { throw .valueError("shape product \(values) overflows") }
      result = p
    }
    return result
  }
}
