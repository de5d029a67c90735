import TensorIO

/// An adapter registered on a ``PeftModel``: its name and its config as PEFT holds it after injection
/// (`target_modules` resolved, `fan_in_fan_out` possibly flipped).
public struct NamedAdapter: Hashable, Sendable {
  public var name: String
  public var config: AdapterConfig
}

/// Options for building a PEFT-wrapped model that are not part of any config.
public struct InjectionOptions: Hashable, Sendable {
  /// Whether BOFT's CUDA extension loads (it does not without CUDA; PEFT then forces a butterfly
  /// factor of 1).
  public var boftCUDAExtension: Bool
  /// PEFT before 0.21: the "targets nothing" check reads `self.targeted_module_names`, which every
  /// earlier adapter added to, so a later adapter that matches no module does not raise.
  public var accumulatesTargetedModuleNames: Bool
  /// PEFT before 0.18 (recorded from 0.13.2 and 0.14.0): adaption prompt's model table has no GPT-2, an
  /// unsupported model type's message is its unformatted f-string (`'{model.config.model_type}'`), and attention
  /// modules are matched by `name.endswith(target_modules)` without the dot (GPT-2's `attn` matches `self_attn`).
  public var legacyAdaptionPrompt: Bool
  /// PEFT 0.18 on: a prefix for grouped-query attention is sized with the model config's `head_dim` when
  /// it has one; before, with `token_dim // num_attention_heads` of the adapter config.
  public var sizesPrefixWithHeadDim: Bool

  public init(
    boftCUDAExtension: Bool = false, accumulatesTargetedModuleNames: Bool = false, legacyAdaptionPrompt: Bool = false,
    sizesPrefixWithHeadDim: Bool = true
  ) {
    self.boftCUDAExtension = boftCUDAExtension
    self.accumulatesTargetedModuleNames = accumulatesTargetedModuleNames
    self.legacyAdaptionPrompt = legacyAdaptionPrompt
    self.sizesPrefixWithHeadDim = sizesPrefixWithHeadDim
  }
}

/// A base model wrapped by PEFT (`get_peft_model` / `PeftModel.from_pretrained` before weights are
/// loaded): the module tree with tuner layers, auxiliary wrappers and shared parameters, and therefore
/// the exact `state_dict()` PEFT's loader works against.
///
/// Build it with ``init(base:adapterName:config:options:catalog:warnings:)`` (the first adapter) and
/// ``addAdapter(_:config:warnings:)`` (more adapters, as `load_adapter` does for a new name). Both throw
/// the ``PythonError`` PEFT would raise and append the warnings it would emit.
public struct PeftModel: Sendable {
  public internal(set) var tree: ModuleTree
  public let base: BaseModel
  public let peftType: PeftType
  /// Adapters in `peft_config` order.
  public internal(set) var adapters: [NamedAdapter]
  /// The wrapper class (`PeftModelForCausalLM`, or `PeftModel` without a known `task_type`).
  public let className: String
  /// The key prefix of the base model's weights (`base_model.model.`, or `base_model.` for prompt learning).
  public let basePrefix: String
  /// The transformers model's node.
  let baseRoot: Int
  /// The tuner model's node (`LoraModel` …); `nil` for prompt learning.
  let tunerNode: Int?
  let tuner: any Tuner
  let options: InjectionOptions
  /// Facts tuner layers remember (by node).
  var layerFacts: [Int: [String: String]] = [:]
  /// Module names targeted by any adapter, in injection order.
  public internal(set) var targetedModuleNames: [String] = []
  /// Adapters each auxiliary wrapper serves (its `_adapters`), by wrapper node.
  var wrapperAdapters: [Int: [String]] = [:]
  /// `TrainableTokensWrapper`s tied to another token adapter (they save and load nothing).
  var tiedTokenWrappers: Set<Int> = []
  /// Adaption prompt: each adapter's `AdaptedAttention` wrappers, and the adapter whose wrappers are in the tree.
  var adaptedAttentions: [String: [AdaptedAttentionSlot]] = [:]
  var activeAdaptionPrompt: String? = nil

  /// Wraps `base` with its first adapter, as `PeftModel(model, config, adapter_name)` does.
  /// - Throws: the ``PythonError`` PEFT raises (`NoMatchingPeftModuleError`, `ValueError`, `TypeError`).
  public init(
    base: BaseModel, adapterName: String = "default", config: AdapterConfig, options: InjectionOptions = .init(),
    catalog: TunerCatalog = .standard, validated: Bool = false, warnings: inout [PythonWarning]
  ) throws(PythonError) {
    guard let tuner = catalog.tuner(for: config.peftType) else { throw Self.unsupported(config.peftType) }
    if !validated {
      try PeftModel.validateCommon(config)
      try tuner.validate(config, warnings: &warnings)
    }
    self.base = base
    self.tuner = tuner
    self.options = options
    peftType = config.peftType
    className = Self.wrapperClassName(taskType: config.taskType)
    var config = config
    if className == "PeftModelForSequenceClassification" {
      // PEFT appends the classifier heads to modules_to_save before injection.
      config.modulesToSave = (config.modulesToSave ?? []) + ["classifier", "score"]
    }
    var tree = base.tree
    baseRoot = tree.root
    let peftNode = tree.add(Module(kind: .peftModel, className: className))
    adapters = []
    if config.isPromptLearning {
      tunerNode = nil
      basePrefix = "base_model."
      tree.setChild(peftNode, "base_model", baseRoot)
      tree.root = peftNode
      self.tree = tree
      try addPromptLearningAdapter(adapterName, config: config, warnings: &warnings)
      try Self.requireGeneration(className: className, base: base)
      return
    }
    let tunerNode = tree.add(Module(kind: .tunerModel(config.peftType), className: tuner.modelClassName))
    tree.setChild(peftNode, "base_model", tunerNode)
    tree.setChild(tunerNode, "model", baseRoot)
    tree.root = peftNode
    self.tunerNode = tunerNode
    basePrefix = "base_model.model."
    self.tree = tree
    if config.peftType == .adaptionPrompt {
      try addAdaptionPrompt(adapterName, config: config)
      try Self.requireGeneration(className: className, base: base)
      return
    }
    var context = InjectionContext(modelType: base.architecture.modelType, boftCUDAExtension: options.boftCUDAExtension)
    try inject(adapterName, config: config, isFirst: true, context: &context)
    warnings += context.warnings
    try Self.requireGeneration(className: className, base: base)
  }

  /// Adds another adapter (`PeftModel.add_adapter`, which `load_adapter` calls for a new name).
  /// The model is unchanged when this throws.
  public mutating func addAdapter(
    _ name: String, config: AdapterConfig, validated: Bool = false, warnings: inout [PythonWarning]
  ) throws(PythonError) {
    if adapters.contains(where: { $0.name == name }) {
      throw .valueError("Adapter with name '\(name)' already exists.")
    }
    if let prefix = config.peftType.prefix, prefix.contains(name) {
      warnings.append(
        PythonWarning(
          message: "Adapter name '\(name)' should not be contained in the prefix '\(prefix)'. "
            + "This may lead to reinitialization of the adapter weights during loading."))
    }
    if config.peftType != peftType {
      throw .valueError(
        "Cannot combine adapters with different peft types. Found \(peftType.pythonDescription) and "
          + "\(config.peftType.pythonDescription).")
    }
    if !validated {
      try PeftModel.validateCommon(config)
      try tuner.validate(config, warnings: &warnings)
    }
    var copy = self
    var config = config
    if className == "PeftModelForSequenceClassification" {
      config.modulesToSave = (config.modulesToSave ?? []) + ["classifier", "score"]
    }
    if config.isPromptLearning {
      try copy.addPromptLearningAdapter(name, config: config, warnings: &warnings)
    } else if config.peftType == .adaptionPrompt {
      try copy.addAdaptionPrompt(name, config: config)
    } else {
      var context = InjectionContext(modelType: base.architecture.modelType, boftCUDAExtension: options.boftCUDAExtension)
      defer { warnings += context.warnings }
      try copy.inject(name, config: config, isFirst: false, context: &context)
    }
    self = copy
  }

  /// The wrapped model's `state_dict()`, in torch order.
  public var stateDict: StateDict { tree.stateDict() }

  /// The config of a registered adapter.
  public func config(of name: String) -> AdapterConfig? { adapters.first { $0.name == name }?.config }

  // MARK: Classes and checks

  /// `MODEL_TYPE_TO_PEFT_MODEL_MAPPING`: the wrapper class for a task type.
  static func wrapperClassName(taskType: String?) -> String {
    switch taskType {
    case "SEQ_CLS": "PeftModelForSequenceClassification"
    case "SEQ_2_SEQ_LM": "PeftModelForSeq2SeqLM"
    case "CAUSAL_LM": "PeftModelForCausalLM"
    case "TOKEN_CLS": "PeftModelForTokenClassification"
    case "QUESTION_ANS": "PeftModelForQuestionAnswering"
    case "FEATURE_EXTRACTION": "PeftModelForFeatureExtraction"
    default: "PeftModel"
    }
  }

  /// `PeftModelForCausalLM` and `PeftModelForSeq2SeqLM` keep the base's `prepare_inputs_for_generation`
  /// once the adapter is in; a class without generation (transformers 5's `BertForMaskedLM`,
  /// `LlamaModel`, `…ForSequenceClassification`) has no such attribute and the constructor raises.
  static func requireGeneration(className: String, base: BaseModel) throws(PythonError) {
    guard className == "PeftModelForCausalLM" || className == "PeftModelForSeq2SeqLM" else { return }
    guard !base.modelClass.isEmpty, !base.canGenerate else { return }
    throw PythonError(kind: "AttributeError", message: "'\(base.modelClass)' object has no attribute 'prepare_inputs_for_generation'")
  }

  static let taskTypes = ["SEQ_CLS", "SEQ_2_SEQ_LM", "CAUSAL_LM", "TOKEN_CLS", "QUESTION_ANS", "FEATURE_EXTRACTION"]

  static func validateCommon(_ config: AdapterConfig) throws(PythonError) {
    if let task = config.taskType, !taskTypes.contains(task) {
      throw .valueError(
        "Invalid task type: '\(task)'. Must be one of the following task types: \(taskTypes.joined(separator: ", ")).")
    }
  }

  static func unsupported(_ type: PeftType) -> PythonError {
    if type.prefix == nil {
      return .keyError(type.rawValue)
    }
    let why = TunerCatalog.unmodelled[type].map { ": \($0)" } ?? ""
    return .notSimulated(
      "Adaptest does not model the PEFT method \(type.rawValue) (PEFT 0.21.2 registers it as \(type.pythonDescription))\(why)")
  }
}
