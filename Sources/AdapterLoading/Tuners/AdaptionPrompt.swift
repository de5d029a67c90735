import TensorIO

/// Adaption prompt (`peft.tuners.adaption_prompt`, LLaMA-Adapter). Unlike every other method it adds no tuner
/// layers: `AdaptionPromptModel.add_adapter` replaces the top `adapter_layers` attention modules (those whose
/// name ends in `.<target_modules>`) by wrappers, `AdaptedAttention` (`AdaptedAttentionGPT` for GPT-2), that hold
/// the original module under `.model` — re-rooting its keys (`…self_attn.q_proj.weight` becomes
/// `…self_attn.model.q_proj.weight`) — and two parameters of their own, `adaption_prompt (1, adapter_len,
/// hidden_size)` and `adaption_gate (1,)`, in the dtype of the wrapped `q_proj` (`c_proj` for GPT-2).
///
/// Only the model types of PEFT's `TRANSFORMERS_MODEL_CONFIG` are supported (``modelTable``, recorded from PEFT).
/// The checkpoint holds the two parameters of each wrapper under the model's keys (no adapter name to remove
/// or restore); only one adapter's wrappers are in the model at a time (the active one), and `load_adapter`
/// swaps the loading adapter's in for the load (`_temporarily_active`). The injection itself is
/// `PeftModel.addAdaptionPrompt`; this type holds the method's own rules.
public struct AdaptionPromptTuner: Tuner {
  /// One row of PEFT's `TRANSFORMERS_MODEL_CONFIG` (its `ModelTypeConfig`).
  struct ModelTypeConfig: Hashable, Sendable {
    /// The name of the function PEFT recomputes query states with.
    var computeQueryStates: String
    /// The attention module's attribute name, `target_modules`' default.
    var targetModules: String
    var kProjLayer: String
    var vProjLayer: String?
    var oProjLayer: String?
  }

  public init() {}
  public var peftType: PeftType { .adaptionPrompt }
  public var configClassName: String { "AdaptionPromptConfig" }
  public var modelClassName: String { "AdaptionPromptModel" }
  public var configFields: Set<String> { commonConfigFields.union(["target_modules", "adapter_len", "adapter_layers"]) }
  public var layerAttributes: [LayerAttribute] { [] }

  /// The model types PEFT supports adaption prompts for.
  public static var supportedModelTypes: [String] { modelTable.keys.sorted() }

  /// The attention module `prepare_config` targets for a model type (`self_attn`, GPT-2's `attn`), if supported.
  public static func defaultTargetModules(modelType: String) -> String? { modelTable[modelType]?.targetModules }

  /// `prepare_config`: an unsupported model type is PEFT's `ValueError`; `target_modules` defaults to the
  /// model type's attention module.
  public func prepareConfig(_ config: inout AdapterConfig, base: BaseModel) throws(PythonError) {
    let modelType = base.architecture.modelType
    guard let entry = Self.modelTable[modelType] else {
      throw .valueError("Unsupported model type for adaption prompt: '\(modelType)'.")
    }
    if config.targetModules == nil { config.targetModules = .pattern(entry.targetModules) }
  }

  /// The suffix `add_adapter` matches module names against (`name.endswith(f".{target_modules}")`): a list
  /// formats as its Python repr and so matches nothing.
  static func targetSuffix(_ config: AdapterConfig) -> String {
    switch config.targetModules {
    case .pattern(let name)?: "." + name
    case .names(let names)?: "." + pythonListRepr(names)
    case nil: ".None"
    }
  }

  /// `add_adapter`'s choice among the matching modules (in `named_modules` order): the check against
  /// `adapter_layers`, then `parents[-adapter_layers:]` with Python's slicing (0 keeps all, a negative
  /// count drops the first ones).
  static func selectLayers<T>(_ matches: [T], config: AdapterConfig) throws(PythonError) -> [T] {
    guard let json = config.json["adapter_layers"], !json.isNull else {
      throw PythonError(kind: "TypeError", message: "'<' not supported between instances of 'int' and 'NoneType'")
    }
    guard let layers = json.intValue else {
      throw .notSimulated("\(config.source): `adapter_layers` is \(json.typeName), not an integer")
    }
    if matches.count < layers {
      throw .valueError("Config specifies more adapter layers '\(layers)' than the model has '\(matches.count)'.")
    }
    let start = layers > 0 ? matches.count - layers : min(-layers, matches.count)
    return Array(matches[start...])
  }

  /// `AdaptedAttention.__init__` / `AdaptedAttentionGPT.__init__`: the wrapper's class and its parameters, in
  /// registration order, in the order PEFT's checks raise.
  /// - Parameters:
  ///   - wrappedClassName: the class of the module being wrapped, for PEFT's `AttributeError`.
  ///   - projectionWeight: the weight of its `q_proj` (`c_proj` for GPT-2), `nil` when it has none.
  ///   - hiddenSize: the base config's `hidden_size`.
  func adaptedAttention(
    modelType: String, wrappedClassName: String, projectionWeight: TensorInfo?, hiddenSize: Int?, config: AdapterConfig
  ) throws(PythonError) -> (className: String, tensors: [ModuleTensor]) {
    let isGPT = modelType == "gpt2"
    let projection = isGPT ? "c_proj" : "q_proj"
    guard let weight = projectionWeight else {
      throw PythonError(kind: "AttributeError", message: "'\(wrappedClassName)' object has no attribute '\(projection)'")
    }
    // Quantized weights give float32 prompts.
    let dtype: DType = weight.dtype == .i8 || weight.dtype == .u8 ? .f32 : weight.dtype
    guard let hiddenSize else {
      throw .notSimulated("the base's config has no `hidden_size`, which the adaption prompt's width is")
    }
    guard let lengthJSON = config.json["adapter_len"], !lengthJSON.isNull else {
      throw PythonError(
        kind: "TypeError",
        message: "empty(): argument 'size' failed to unpack the object at pos 2 with error \"type must be tuple of ints,but got NoneType\"")
    }
    guard let length = lengthJSON.intValue else {
      throw .notSimulated("\(config.source): `adapter_len` is \(lengthJSON.typeName), not an integer")
    }
    if length < 0 {
      throw .runtimeError("Trying to create tensor with negative dimension \(length): [1, \(length), \(hiddenSize)]")
    }
    return (
      isGPT ? "AdaptedAttentionGPT" : "AdaptedAttention",
      [
        ModuleTensor(name: "adaption_prompt", info: TensorInfo(dtype: dtype, shape: [1, length, hiddenSize])),
        ModuleTensor(name: "adaption_gate", info: TensorInfo(dtype: dtype, shape: [1])),
      ]
    )
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    // Never reached: adaption prompts wrap whole attention modules (`PeftModel.addAdaptionPrompt`).
    throw .notSimulated("adaption prompts are not injected layer by layer")
  }

  /// `_get_adapter_state_dict`: every entry whose last key component starts with `adaption_`, read with the
  /// adapter's wrappers swapped in (`_temporarily_active`). The keys carry no adapter name.
  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    let model = request.model.activatingAdaptionPrompt(request.adapterName)
    return StateDict(model.stateDict.entries.filter { entry in
      (entry.key.split(separator: ".").last ?? "").hasPrefix("adaption_")
    })
  }

  /// `_remap_adapter_state_dict_for_load`: the keys are the model's already.
  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    checkpoint
  }
}
