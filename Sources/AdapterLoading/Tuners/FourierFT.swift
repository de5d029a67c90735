import TensorIO

/// FourierFT (`peft.tuners.fourierft`): `fourierft_spectrum (n,)` per layer, `n` from
/// `n_frequency_pattern` (first key with `re.match(".*\.<key>$")`) or `n_frequency`. The spectral
/// positions are regenerated from `random_loc_seed`, never saved.
public struct FourierFTTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .fourierft }
  public var configClassName: String { "FourierFTConfig" }
  public var modelClassName: String { "FourierFTModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "n_frequency", "scaling", "random_loc_seed", "fan_in_fan_out", "target_modules", "exclude_modules", "bias",
      "modules_to_save", "layers_to_transform", "layers_pattern", "n_frequency_pattern", "init_weights",
    ])
  }
  public var layerAttributes: [LayerAttribute] { [LayerAttribute("fourierft_spectrum", .parameterDict)] }
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    var n = config.nFrequency ?? 1000
    for entry in config.nFrequencyPattern {
      if let regex = try? PythonRegex(".*\\.\(entry.pattern)$", field: "n_frequency_pattern"),
        try regex.prefixMatch(target.key) != nil
      {
        n = entry.integer
        break
      }
    }
    let (i, o) = try TunerSupport.linearOrConv1D(target, config: &config, context: &context, supported: "`torch.nn.Linear`.")
    if n <= 0 { throw .valueError("`n_frequency` should be a positive integer value but the value passed is \(n)") }
    let product = try Checked.product([i, o])
    if n > product {
      throw .valueError(
        "`n_frequency` should be less than or equal to the product of the input and output dimensions but the value "
          + "passed is \(n) and the product is \(product)")
    }
    return LayerPlan(layerClassName: "FourierFTLinear", entries: [.parameter("fourierft_spectrum", [n])])
  }
}
