import TensorIO

/// IA³ (`peft.tuners.ia3`): one learned scaling vector per module, `ia3_l (out, 1)`, or `(1, in)` for
/// modules listed in `feedforward_modules` (a layer keeps the kind its first adapter gave it).
public struct IA3Tuner: Tuner {
  public init() {}
  public var peftType: PeftType { .ia3 }
  public var configClassName: String { "IA3Config" }
  public var modelClassName: String { "IA3Model" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "target_modules", "exclude_modules", "feedforward_modules", "fan_in_fan_out", "modules_to_save",
      "init_ia3_weights",
    ])
  }
  public var layerAttributes: [LayerAttribute] { [LayerAttribute("ia3_l", .parameterDict)] }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? {
    PEFTModelDefaults.targetModules(.ia3, modelType: base.architecture.modelType)
  }

  /// `IA3Model._prepare_adapter_config`: without `feedforward_modules`, the model type's defaults, even
  /// when `target_modules` was given; a model type without defaults is an error.
  public func prepareConfig(_ config: inout AdapterConfig, base: BaseModel) throws(PythonError) {
    guard config.feedforwardModules == nil else { return }
    guard let defaults = PEFTModelDefaults.ia3FeedforwardModules(modelType: base.architecture.modelType) else {
      throw .valueError("Please specify `feedforward_modules` in `peft_config`")
    }
    config.feedforwardModules = .names(defaults)
  }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if case .names(let targets)? = config.targetModules, case .names(let ff)? = config.feedforwardModules,
      !Set(ff).isSubset(of: Set(targets))
    {
      throw .valueError("`feedforward_modules` should be a subset of `target_modules`")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let feedforward: Bool
    if let remembered = target.layerFacts["is_feedforward"] {
      feedforward = remembered == "1"
    } else {
      switch config.feedforwardModules {
      case .pattern(let p)?:
        feedforward = try (try? PythonRegex(p, field: "feedforward_modules"))?.fullMatch(target.key) ?? false
      case .names(let names)?: feedforward = names.contains { target.key.hasSuffix($0) }
      case nil: feedforward = false
      }
    }
    let facts = ["is_feedforward": feedforward ? "1" : "0"]
    switch target.base {
    case .linear(let i, let o, _), .conv1D(let i, let o, _), .embedding(let i, let o):
      if target.existingLayer == nil {
        if case .embedding = target.base {
          throw .valueError(
            "Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear`, `torch.nn.Conv2d`, "
              + "and `Conv1D` are supported.")
        }
        TunerSupport.adjustFanInFanOut(target, config: &config, context: &context)
      }
      return LayerPlan(
        layerClassName: "Linear", entries: [.parameter("ia3_l", feedforward ? [1, i] : [o, 1])], layerFacts: facts)
    case .conv(let d, let i, let o, _, _) where d == 2 || d == 3:
      let ones = Array(repeating: 1, count: d)
      return LayerPlan(
        layerClassName: "Conv\(d)d", entries: [.parameter("ia3_l", feedforward ? [1, i] + ones : [1, o] + ones)],
        layerFacts: facts)
    default:
      throw .valueError(
        "Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear`, `torch.nn.Conv2d`, and "
          + "`Conv1D` are supported.")
    }
  }
}
