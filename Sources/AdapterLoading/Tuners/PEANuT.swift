import TensorIO

/// PEANuT (`peft.tuners.peanut`): a small network on the base layer's output, on `nn.Linear` only. Per
/// layer `peanut_A` (`Linear(out, r)`), `peanut_B` (`Linear(r, out)`) and `depth` (default 0) encoder and
/// decoder `Linear(r, r)`s in `ModuleList`s, saved as `peanut_encoders.<i>.weight` (PEFT's own
/// `_remove_adapter_name_from_key` drops the adapter name three components from the end).
public struct PEANuTTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .peanut }
  public var configClassName: String { "PeanutConfig" }
  public var modelClassName: String { "PeanutModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "depth", "act_fn", "scaling", "target_modules", "exclude_modules", "modules_to_save", "layers_to_transform",
      "layers_pattern", "init_weights",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [
      LayerAttribute("peanut_A", .moduleDict), LayerAttribute("peanut_B", .moduleDict),
      LayerAttribute("peanut_encoders", .moduleDict), LayerAttribute("peanut_decoders", .moduleDict),
    ]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  /// `transformers.activations.ACT2FN`'s keys (transformers 5.24.0), sorted as PEFT prints them.
  static let activations = [
    "gelu", "gelu_10", "gelu_accurate", "gelu_fast", "gelu_new", "gelu_python", "gelu_python_tanh", "gelu_pytorch_tanh",
    "hardswish", "laplace", "leaky_relu", "linear", "mish", "prelu", "quick_gelu", "relu", "relu2", "relu6", "sigmoid",
    "silu", "sqrtsoftplus", "swish", "tanh", "xielu",
  ]

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if config.layersPattern?.isEmpty == false && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified.")
    }
    if (config.r ?? 32) <= 0 { throw .valueError("`r` must be a positive integer.") }
    if try TunerSupport.int(config, "depth", default: 0) < 0 {
      throw .valueError("`depth` can only be a non-negative integer.")
    }
    let act = try TunerSupport.string(config, "act_fn", default: "relu")
    if !Self.activations.contains(act) {
      throw .valueError("Unsupported `act_fn`: \(act). Must be one of \(pythonListRepr(Self.activations)).")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    guard case .linear(_, let o, _) = target.base else {
      throw PythonError(
        kind: "NotImplementedError",
        message: "PEANuT does not support target modules of type \(target.typeRepr) yet.")
    }
    let r = config.r ?? 32
    let depth = try TunerSupport.int(config, "depth", default: 0)
    func stack(_ attribute: String) -> AdapterEntry {
      let item = [ModuleTensor(name: "weight", info: TunerSupport.f32([r, r]))]
      return AdapterEntry(attribute, .moduleList(itemClassName: "Linear", items: Array(repeating: item, count: depth)))
    }
    // Registration order within update_layer: A, encoders, decoders, B (the dicts were created A, B, enc, dec).
    return LayerPlan(
      layerClassName: "Linear",
      entries: [.linear("peanut_A", in: o, out: r), stack("peanut_encoders"), stack("peanut_decoders"), .linear("peanut_B", in: r, out: o)])
  }

  public func checkpointKey(forModelKey key: String, adapterName: String) -> String {
    for container in ["peanut_encoders", "peanut_decoders"] {
      let marker = ".\(container).\(adapterName)."
      if key.contains(".") && key.containsText(marker) { return key.replacingText(marker, with: ".\(container).") }
    }
    return removeAdapterName(from: key, adapterName: adapterName)
  }
}
