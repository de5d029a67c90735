import TensorIO

/// Helpers shared by the tuner files.
enum TunerSupport {
  /// `TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING` for the architectures Adaptest knows (PEFT
  /// 0.21.2); LoRA, AdaLoRA, VeRA, VB-LoRA, LoHa/LoKr, OFT/BOFT, HRA, MiSS and FourierFT use the same table.
  static let loraTargets: [String: [String]] = [
    "llama": ["q_proj", "v_proj"], "mistral": ["q_proj", "v_proj"], "qwen2": ["q_proj", "v_proj"],
    "qwen3": ["q_proj", "v_proj"], "gemma": ["q_proj", "v_proj"], "gemma2": ["q_proj", "v_proj"],
    "gpt2": ["c_attn"], "t5": ["q", "v"], "mt5": ["q", "v"], "bert": ["query", "value"],
    "roberta": ["query", "value"], "mixtral": ["q_proj", "v_proj"],
  ]

  static func loraDefaults(_ modelType: String) -> TargetModules? {
    loraTargets[modelType].map(TargetModules.names)
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
