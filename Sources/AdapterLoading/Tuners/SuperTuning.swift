import TensorIO

/// Super-Tuning (`peft.tuners.supertuning`): sparse updates of the largest-magnitude base weights, on
/// `nn.Linear` only. Per layer `n = int(in·out·(1 − sparsity))` trainable `supertuning_values (n,)` (float32)
/// at `supertuning_indices (n,)` (int32, a buffer saved only with `save_precomputed_indices`, the default),
/// plus, with `r` set ("Supra" mode), a LoRA pair `supertuning_lora_A` (`Linear(in, r)`) and
/// `supertuning_lora_B` (`Linear(r, out)`).
public struct SuperTuningTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .supertuning }
  public var configClassName: String { "SupertuningConfig" }
  public var modelClassName: String { "SupertuningModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "target_modules", "modules_to_save", "sparsity", "select_top", "r", "lora_alpha", "lora_dropout", "init_weights",
      "save_precomputed_indices",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("supertuning_values", .parameterDict),
      LayerAttribute("supertuning_indices", .bufferDict(persistent: true)),
      LayerAttribute("supertuning_lora_A", .moduleDict), LayerAttribute("supertuning_lora_B", .moduleDict),
      LayerAttribute("supertuning_lora_dropout", .moduleDict),
    ]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    let sparsity = try TunerSupport.double(config, "sparsity", default: 0.99)
    if !(sparsity >= 0 && sparsity < 1) { throw .valueError("sparsity must be in [0.0, 1.0), got \(sparsity)") }
    if let r = config.r {
      if r <= 0 { throw .valueError("r must be a positive integer or None, got \(r)") }
    } else if let alpha = config.json["lora_alpha"], !alpha.isNull {
      throw .valueError("lora_alpha is set but r is None — Supra mode requires an explicit r.")
    }
    let dropout = try TunerSupport.double(config, "lora_dropout", default: 0)
    if !(dropout >= 0 && dropout < 1) { throw .valueError("lora_dropout must be in [0.0, 1.0), got \(dropout)") }
    if !(try TunerSupport.bool(config, "save_precomputed_indices", default: true)) {
      warnings.append(
        PythonWarning(
          message: "save_precomputed_indices=False: sparse-support indices will be recomputed from base weight "
            + "magnitudes at load time. This assumes the base model is identical to training time; numerical drift "
            + "can cause topk tie-breaks to differ."))
    }
  }

  public func checkNewAdapter(_ config: AdapterConfig, existing: [NamedAdapter]) throws(PythonError) {
    var values = Set<Bool>()
    for other in existing.map(\.config) + [config] {
      values.insert(try TunerSupport.bool(other, "save_precomputed_indices", default: true))
    }
    if values.count > 1 {
      throw .valueError(
        "Super-Tuning indices must be saved for all adapters or none, but got multiple different values: [False, True]")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    guard case .linear(let i, let o, _) = target.base else {
      throw .typeError("Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear` is supported.")
    }
    let sparsity = try TunerSupport.double(config, "sparsity", default: 0.99)
    let elements = try Checked.product([i, o])
    // `int(num_params * (1 - sparsity))`: the same double arithmetic, truncated.
    let trainable = Int(Double(elements) * (1 - sparsity))
    if trainable < 1 {
      throw .valueError(
        "sparsity=\(sparsity) leaves no trainable entries for a weight with \(elements) elements — no parameter would "
          + "be adapted. Lower the sparsity so at least one entry is trainable.")
    }
    var entries: [AdapterEntry] = [.parameter("supertuning_values", [trainable])]
    if try TunerSupport.bool(config, "save_precomputed_indices", default: true) {
      entries.append(AdapterEntry("supertuning_indices", .buffer(TensorInfo(dtype: .i32, shape: [trainable]))))
    }
    if let r = config.r {
      entries += [.linear("supertuning_lora_A", in: i, out: r), .linear("supertuning_lora_B", in: r, out: o)]
    }
    return LayerPlan(layerClassName: "Linear", entries: entries)
  }
}
