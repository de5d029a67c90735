import TensorIO

/// GLoRA (`peft.tuners.glora`): generalized LoRA on plain `nn.Linear` layers (`type(...) is nn.Linear`;
/// anything else, subclasses included, is refused with PEFT's `ValueError`). Each of the five paths is a
/// module in a `ModuleDict`, shaped by the config:
///
/// - `glora_A`/`glora_B` (`config_A_B`, default `lora`): `lora` → `Xd (out, r)`, `Xu (r, in)`; `vector` →
///   `X (out, 1)`; `constant` → `X (1,)`; `none` → a persistent buffer `zeros (out, in)`.
/// - `glora_C` (`config_C`, default `lora`, only on a layer with a bias): `lora` → `Xd (in, r)`,
///   `Xu (r, 1)`; `vector` → `X (in, 1)`; otherwise `zeros (in, 1)`.
/// - `glora_D`/`glora_E` (`config_D_E`, default `constant`, only with a bias): `vector` → `X (out,)`;
///   `constant` → `X (1,)`; otherwise `zeros (out,)`.
public struct GLoRATuner: Tuner {
  public init() {}
  public var peftType: PeftType { .glora }
  public var configClassName: String { "GloraConfig" }
  public var modelClassName: String { "GloraModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "target_modules", "bias", "modules_to_save", "config_A_B", "config_C", "config_D_E", "init_weights",
    ])
  }
  public var layerAttributes: [LayerAttribute] {
    ["glora_A", "glora_B", "glora_C", "glora_D", "glora_E"].map { LayerAttribute($0, .moduleDict) }
  }
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  static let choices: [(field: String, default: String, valid: [String])] = [
    ("config_A_B", "lora", ["constant", "lora", "none", "vector"]), ("config_C", "lora", ["lora", "none", "vector"]),
    ("config_D_E", "constant", ["constant", "none", "vector"]),
  ]

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    for choice in Self.choices {
      let value = try TunerSupport.string(config, choice.field, default: choice.default)
      if !choice.valid.contains(value) {
        throw .valueError(
          "Invalid \(choice.field) value: \(pythonRepr(value)). Valid values are: \(choice.valid.joined(separator: ", ")).")
      }
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    // `type(base) is nn.Linear`: transformers' subclasses of Linear are refused too.
    guard case .linear(let i, let o, let bias) = target.base, target.baseClassName == "Linear" else {
      throw .valueError(
        "Target module \(target.repr) is not a plain torch.nn.Linear (after unwrapping); GLoRA does not support this "
          + "layer type.")
    }
    let r = config.r ?? 8
    let ab = try TunerSupport.string(config, "config_A_B", default: "lora")
    let c = try TunerSupport.string(config, "config_C", default: "lora")
    let de = try TunerSupport.string(config, "config_D_E", default: "constant")
    func path(_ attribute: String, _ tensors: [(String, [Int])]) -> AdapterEntry {
      AdapterEntry(attribute, .module(className: "GloraPath", tensors: tensors.map { ModuleTensor(name: $0.0, info: TunerSupport.f32($0.1)) }))
    }
    func empty(_ attribute: String, _ shape: [Int]) -> AdapterEntry {
      let zeros = ModuleTensor(name: "zeros", info: TunerSupport.f32(shape), isBuffer: true, persistent: true)
      return AdapterEntry(attribute, .module(className: "GloraEmptyPath", tensors: [zeros]))
    }
    var entries: [AdapterEntry] = []
    for attribute in ["glora_A", "glora_B"] {
      switch ab {
      case "lora": entries.append(path(attribute, [("Xd", [o, r]), ("Xu", [r, i])]))
      case "vector": entries.append(path(attribute, [("X", [o, 1])]))
      case "constant": entries.append(path(attribute, [("X", [1])]))
      default: entries.append(empty(attribute, [o, i]))
      }
    }
    switch (bias, c) {
    case (true, "lora"): entries.append(path("glora_C", [("Xd", [i, r]), ("Xu", [r, 1])]))
    case (true, "vector"): entries.append(path("glora_C", [("X", [i, 1])]))
    default: entries.append(empty("glora_C", [i, 1]))
    }
    for attribute in ["glora_D", "glora_E"] {
      switch (bias, de) {
      case (true, "vector"): entries.append(path(attribute, [("X", [o])]))
      case (true, "constant"): entries.append(path(attribute, [("X", [1])]))
      default: entries.append(empty(attribute, [o]))
      }
    }
    return LayerPlan(layerClassName: "Linear", entries: entries)
  }
}
