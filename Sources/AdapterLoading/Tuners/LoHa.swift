import TensorIO

/// LoHa (`peft.tuners.loha`): Hadamard product of two low-rank pairs. Linear: `hada_w1_a (out, r)`,
/// `hada_w1_b (r, in)`, `hada_w2_a (out, r)`, `hada_w2_b (r, in)`. Conv with the effective-conv option adds
/// `hada_t1`/`hada_t2 (r, r, k…)` and uses `(r, out)`/`(r, in)` pairs. GPT-2 `Conv1D` is rejected.
public struct LoHaTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .loha }
  public var configClassName: String { "LoHaConfig" }
  public var modelClassName: String { "LoHaModel" }
  public var configFields: Set<String> { Self.lycorisFields }
  static let lycorisFields: Set<String> = commonConfigFields.union([
    "rank_pattern", "alpha_pattern", "r", "alpha", "rank_dropout", "module_dropout", "use_effective_conv2d",
    "target_modules", "exclude_modules", "init_weights", "layers_to_transform", "layers_pattern", "modules_to_save",
  ])

  public var layerAttributes: [LayerAttribute] {
    ["hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b", "hada_t1", "hada_t2"].map { LayerAttribute($0, .parameterDict) }
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = try TunerSupport.rank(config, key: target.key, default: config.r ?? 8)
    switch target.base {
    case .linear(let i, let o, _):
      try TunerSupport.positiveRank(r)
      return LayerPlan(
        layerClassName: "Linear",
        entries: [.parameter("hada_w1_a", [o, r]), .parameter("hada_w1_b", [r, i]), .parameter("hada_w2_a", [o, r]),
                  .parameter("hada_w2_b", [r, i])])
    case .conv(let d, let inChannels, let o, let kernel, _) where d == 1 || d == 2:
      try TunerSupport.positiveRank(r)
      let effective = (config.useEffectiveConv2d ?? false) && kernel.contains { $0 != 1 }
      if effective {
        let k = d == 2 ? kernel : kernel + [1]
        return LayerPlan(
          layerClassName: "Conv\(d)d",
          entries: [.parameter("hada_t1", [r, r] + k), .parameter("hada_w1_a", [r, o]), .parameter("hada_w1_b", [r, inChannels]),
                    .parameter("hada_t2", [r, r] + k), .parameter("hada_w2_a", [r, o]), .parameter("hada_w2_b", [r, inChannels])])
      }
      let flat = try Checked.product([inChannels] + kernel)
      return LayerPlan(
        layerClassName: "Conv\(d)d",
        entries: [.parameter("hada_w1_a", [o, r]), .parameter("hada_w1_b", [r, flat]), .parameter("hada_w2_a", [o, r]),
                  .parameter("hada_w2_b", [r, flat])])
    default:
      if target.existingLayer != nil {
        throw .typeError("LoHa is not implemented for base layers of type \(target.baseClassName)")
      }
      throw .typeError(
        "Target module of type \(target.typeRepr) not supported, currently only adapters for Conv2d, Conv1d, Linear are supported")
    }
  }
}
