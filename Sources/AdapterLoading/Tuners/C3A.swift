import TensorIO

/// C3A (`peft.tuners.c3a`): circular convolution kernels, `c3a_kernel (out/b, in/b, b)` (always float32,
/// FFT needs it) on `nn.Linear` only, `b` from `block_size_pattern` (first key with
/// `re.match(".*\.<key>$")`) or `block_size` (default 256), which must divide both dimensions.
public struct C3ATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .c3a }
  public var configClassName: String { "C3AConfig" }
  public var modelClassName: String { "C3AModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "block_size", "target_modules", "bias", "modules_to_save", "layers_to_transform", "layers_pattern",
      "block_size_pattern", "init_weights",
    ])
  }
  public var layerAttributes: [LayerAttribute] { [LayerAttribute("c3a_kernel", .parameterDict)] }

  /// `TRANSFORMERS_MODELS_TO_C3A_TARGET_MODULES_MAPPING`: LoRA's, except GPT-2's `mlp.c_proj`.
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? {
    if base.architecture.modelType == "gpt2" { return .names(["mlp.c_proj"]) }
    return PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType)
  }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    try TunerSupport.checkRegexTargets(config)
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let pattern = try TunerSupport.intPattern(config, "block_size_pattern")
    let blockSize = try TunerSupport.suffixPatternValue(
      pattern, key: target.key, default: try TunerSupport.int(config, "block_size", default: 256),
      field: "block_size_pattern")
    guard case .linear(let i, let o, _) = target.base else {
      throw .typeError("Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear` is supported.")
    }
    if blockSize <= 0 {
      throw .valueError("`block_size` should be a positive integer value but the value passed is \(blockSize)")
    }
    if i % blockSize != 0 {
      throw .valueError(
        "The block size should be a factor of the input size. However, the input size is \(i) and the block size is \(blockSize)")
    }
    if o % blockSize != 0 {
      throw .valueError(
        "The block size should be a factor of the output size. However, the output size is \(o) and the block size is \(blockSize)")
    }
    return LayerPlan(layerClassName: "C3ALinear", entries: [.parameter("c3a_kernel", [o / blockSize, i / blockSize, blockSize])])
  }
}
