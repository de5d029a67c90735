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

  /// The `(in, out)` features of a layer that must be an `nn.Linear` or a GPT-2 `Conv1D`, with
  /// `fan_in_fan_out` adjusted for a new layer; any other layer is PEFT's `TypeError` naming what is supported.
  static func linearOrConv1D(
    _ target: InjectionTarget, config: inout AdapterConfig, context: inout InjectionContext,
    supported: String = "`torch.nn.Linear`, `transformers.pytorch_utils.Conv1D`."
  ) throws(PythonError) -> (Int, Int) {
    let features: (Int, Int)
    switch target.base {
    case .linear(let a, let b, _), .conv1D(let a, let b, _): features = (a, b)
    default:
      throw .typeError(
        "Target module \(target.repr) is not supported. Currently, only the following modules are supported: "
          + supported)
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

  /// An integer field of a method's config (`block_size`, `gralora_k`), or `value` when absent or null.
  /// Another JSON type is not something PEFT's arithmetic on it can be predicted for: "cannot tell".
  static func int(_ config: AdapterConfig, _ field: String, default value: Int) throws(PythonError) -> Int {
    guard let json = config.json[field], !json.isNull else { return value }
    guard let int = json.intValue else { throw notModelledType(config, field, json, expected: "an integer") }
    return int
  }

  /// A number field of a method's config (`unilora_dropout`), or `value` when absent or null.
  static func double(_ config: AdapterConfig, _ field: String, default value: Double) throws(PythonError) -> Double {
    guard let json = config.json[field], !json.isNull else { return value }
    guard let number = json.doubleValue else { throw notModelledType(config, field, json, expected: "a number") }
    return number
  }

  /// A string field of a method's config (`variant`), or `value` when absent or null.
  static func string(_ config: AdapterConfig, _ field: String, default value: String) throws(PythonError) -> String {
    guard let json = config.json[field], !json.isNull else { return value }
    guard let text = json.stringValue else { throw notModelledType(config, field, json, expected: "a string") }
    return text
  }

  /// A boolean field of a method's config (`save_projection`), or `value` when absent or null.
  static func bool(_ config: AdapterConfig, _ field: String, default value: Bool) throws(PythonError) -> Bool {
    guard let json = config.json[field], !json.isNull else { return value }
    guard let flag = json.boolValue else { throw notModelledType(config, field, json, expected: "a boolean") }
    return flag
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
