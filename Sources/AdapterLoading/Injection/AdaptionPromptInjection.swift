import TensorIO

/// One `AdaptedAttention` an adaption-prompt adapter owns: the module it replaces on its parent.
struct AdaptedAttentionSlot: Hashable, Sendable {
  var parent: Int
  var attribute: String
  var wrapper: Int
}

extension PeftModel {
  /// `AdaptionPromptModel.add_adapter` (PEFT 0.21.2): wraps the top `adapter_layers` attention modules. The
  /// first adapter's wrappers go into the model; a later adapter's are built the same way (around the original
  /// modules) but kept aside, as PEFT caches them, so the model keeps showing the active adapter.
  mutating func addAdaptionPrompt(_ name: String, config inputConfig: AdapterConfig) throws(PythonError) {
    guard let tuner = tuner as? AdaptionPromptTuner else {
      throw .notSimulated("the catalog's ADAPTION_PROMPT tuner is not AdaptionPromptTuner, whose rules the injection follows")
    }
    var config = inputConfig
    let modelType = base.architecture.modelType
    if options.legacyAdaptionPrompt && (modelType == "gpt2" || AdaptionPromptTuner.defaultTargetModules(modelType: modelType) == nil) {
      throw .valueError("Unsupported model type for adaption prompt: '{model.config.model_type}'.")
    }
    try tuner.prepareConfig(&config, base: base)
    let attribute: String
    let suffix: String
    switch (config.targetModules, options.legacyAdaptionPrompt) {
    case (.pattern(let name)?, true):
      (attribute, suffix) = (name, name)
    case (_, true):
      throw .notSimulated("\(config.source): PEFT before 0.18 matches module names with `str.endswith(target_modules)`, "
        + "which only takes a string")
    default:
      suffix = AdaptionPromptTuner.targetSuffix(config)
      attribute = String(suffix.dropFirst())
    }
    var matches: [(name: String, parent: Int, attribute: String)] = []
    for (moduleName, _) in tree.namedModules(from: baseRoot) where moduleName.hasSuffix(suffix) {
      let parentPath = moduleName.split(separator: ".").dropLast().joined(separator: ".")
      guard let parent = tree.module(at: parentPath, from: baseRoot) else { continue }
      matches.append((moduleName, parent, attribute))
    }
    let selected = try AdaptionPromptTuner.selectLayers(matches, config: config)
    let hiddenSize = base.config["hidden_size"]?.intValue ?? base.config["n_embd"]?.intValue
    var slots: [AdaptedAttentionSlot] = []
    var pending = tree
    for (moduleName, parent, attribute) in selected {
      guard var wrapped = pending[parent].child(attribute) else {
        // `getattr(parent, target_modules)`: a name that only ends like the target (PEFT before 0.18).
        throw PythonError(kind: "AttributeError", message: "'\(pending[parent].className)' object has no attribute '\(attribute)'")
      }
      // The active adapter's wrapper is swapped out first: the new one wraps the original module.
      if case .tunerLayer(.adaptionPrompt) = pending[wrapped].kind, let original = pending[wrapped].child("model") {
        wrapped = original
      }
      let projection = modelType == "gpt2" ? "c_proj" : "q_proj"
      let weight = pending[wrapped].child(projection).flatMap { node in pending[node].tensors.first { $0.name == "weight" } }
      let plan = try tuner.adaptedAttention(
        modelType: modelType, wrappedClassName: pending[wrapped].className, projectionWeight: weight?.info,
        hiddenSize: hiddenSize, config: config)
      let wrapper = pending.add(
        Module(kind: .tunerLayer(.adaptionPrompt), className: plan.className, tensors: plan.tensors, children: [("model", wrapped)]))
      slots.append(AdaptedAttentionSlot(parent: parent, attribute: attribute, wrapper: wrapper))
      if !targetedModuleNames.contains(moduleName) { targetedModuleNames.append(moduleName) }
    }
    tree = pending
    adapters.append(NamedAdapter(name: name, config: config))
    adaptedAttentions[name] = slots
    if activeAdaptionPrompt == nil {
      activeAdaptionPrompt = name
      for slot in slots { tree.setChild(slot.parent, slot.attribute, slot.wrapper) }
    }
  }

  /// The model with `name`'s wrappers in place of the active adapter's (`_temporarily_active`, which
  /// `load_adapter` and saving use); the model itself when `name` is not an adaption-prompt adapter.
  func activatingAdaptionPrompt(_ name: String?) -> PeftModel {
    guard let name, let slots = adaptedAttentions[name], activeAdaptionPrompt != name else { return self }
    var copy = self
    if let active = activeAdaptionPrompt {
      for slot in adaptedAttentions[active] ?? [] {
        guard let original = copy.tree[slot.wrapper].child("model") else { continue }
        copy.tree.setChild(slot.parent, slot.attribute, original)
      }
    }
    for slot in slots { copy.tree.setChild(slot.parent, slot.attribute, slot.wrapper) }
    copy.activeAdaptionPrompt = name
    return copy
  }
}
