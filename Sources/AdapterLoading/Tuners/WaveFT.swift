import TensorIO

/// WaveFT (`peft.tuners.waveft`): wavelet-domain coefficients, `waveft_spectrum (n,)` per Linear or GPT-2
/// `Conv1D` layer, `n` from `n_frequency_pattern` (LoRA's `get_pattern_key`) or `n_frequency` (default
/// 2592, at most `in·out`). The coefficient positions are regenerated from `random_loc_seed`, never saved.
/// `proportional_parameters=True` spreads the budget over every targeted module, which a per-module plan
/// cannot see: such configs are "cannot tell".
public struct WaveFTTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .waveft }
  public var configClassName: String { "WaveFTConfig" }
  public var modelClassName: String { "WaveFTModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "n_frequency", "scaling", "wavelet_family", "use_idwt", "random_loc_seed", "fan_in_fan_out", "target_modules",
      "exclude_modules", "bias", "modules_to_save", "layers_to_transform", "layers_pattern", "n_frequency_pattern",
      "proportional_parameters", "init_weights",
    ])
  }
  public var layerAttributes: [LayerAttribute] { [LayerAttribute("waveft_spectrum", .parameterDict)] }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? {
    PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType)
  }

  /// `WAVELET_REDUCTIONS`' keys, in PEFT's order (its error message lists them).
  static let waveletFamilies: [String] =
    (1...38).map { "db\($0)" } + (2...20).map { "sym\($0)" } + (1...17).map { "coif\($0)" }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    try TunerSupport.checkRegexTargets(config)
    if config.layersPattern?.isEmpty == false && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified. ")
    }
    let family = try TunerSupport.string(config, "wavelet_family", default: "db1")
    if !Self.waveletFamilies.contains(family) {
      throw .valueError(
        "Wavelet family \(family) not supported. Supported wavelet families are: \(pythonListRepr(Self.waveletFamilies))")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    if try TunerSupport.bool(config, "proportional_parameters", default: false) {
      throw .notSimulated(
        "WaveFT's `proportional_parameters=True` (each module's `n_frequency` from the sizes of all targeted modules) "
          + "is not modelled")
    }
    let pattern = try TunerSupport.intPattern(config, "n_frequency_pattern")
    let fallback = try TunerSupport.int(config, "n_frequency", default: 2592)
    let n = try patternEntry(pattern, for: target.key, field: "n_frequency_pattern")?.integer ?? fallback
    let (i, o) = try TunerSupport.linearOrConv1D(target, config: &config, context: &context, supported: "`torch.nn.Linear`.")
    if n <= 0 { throw .valueError("`n_frequency` should be a positive integer value but the value passed is \(n)") }
    let product = try Checked.product([i, o])
    if n > product {
      throw .valueError(
        "`n_frequency` should be less than or equal to the product of the input and output dimensions but the value "
          + "passed is \(n) and the product is \(product)")
    }
    return LayerPlan(layerClassName: "WaveFTLinear", entries: [.parameter("waveft_spectrum", [n])])
  }
}
