import TensorIO

extension PeftModel {
  /// `BaseTuner.inject_adapter` (PEFT 0.21.2) for one adapter.
  mutating func inject(_ adapterName: String, config inputConfig: AdapterConfig, isFirst: Bool, context: inout InjectionContext)
    throws(PythonError)
  {
    guard let tunerNode else { return }
    var config = inputConfig
    let existing = adapters
    adapters.append(NamedAdapter(name: adapterName, config: config))
    if !isFirst {
      let biases = (existing.map(\.config) + [config]).map { $0.bias ?? "none" }
      if biases.filter({ $0 != "none" }).count > 1 {
        throw .valueError(
          "\(tuner.modelClassName) supports only 1 adapter with bias. When using multiple adapters, set bias to "
            + "'none' for all adapters.")
      }
      try tuner.checkNewAdapter(config, existing: existing)
    }
    try checkTiedModules(config, context: &context)
    let usesTargetParameters = tuner.supportsTargetParameters && !(config.targetParameters ?? []).isEmpty
    if config.targetModules == nil && !usesTargetParameters {
      guard let defaults = try tuner.defaultTargetModules(for: base) else {
        throw .valueError("Please specify `target_modules` in `peft_config`")
      }
      config.targetModules = defaults
    }
    try tuner.prepareConfig(&config, base: base)

    let named = tree.namedModules(from: baseRoot)
    let existingPrefixes = named.filter { isTunerLayer($0.node) }.map { $0.name + "." }
    if config.targetModules?.isAllLinear == true {
      config.targetModules = .names(allLinearNames(named, config: config))
    }
    let matcher: TargetMatcher
    do {
      matcher = try TargetMatcher(config: config, targetModules: config.targetModules)
    } catch {
      throw PythonError(kind: "re.error", message: error.detail)
    }

    var targets: [String] = []
    var targetNodes: [Int] = []
    var excluded: [String] = []
    var unmatched: [String] = []
    for (name, node) in named where !name.isEmpty {
      if existingPrefixes.contains(where: { name.hasPrefix($0) }) { continue }
      switch try matcher.check(name) {
      case .matched:
        targets.append(name)
        targetNodes.append(node)
      case .excluded: excluded.append(name)
      case .unmatched: unmatched.append(name)
      }
    }

    if isFirst {
      try createModelLevelState(adapterName, config: config, matched: Array(zip(targets, targetNodes)), tunerNode: tunerNode)
    }
    context.baseModel = base
    context.targetModuleNames = targets
    // The modules named so, before any is wrapped (`module(at:)` of a name finds the module listed with it).
    context.targetModuleKinds = targetNodes.map { tree[innermostBase($0)].kind }

    // A wrapped layer adds itself, a container per attribute and an entry in each.
    tree.reserveCapacity(adding: targets.count * (1 + 2 * tuner.layerAttributes.count))
    for name in targets {
      guard let node = tree.module(at: name, from: baseRoot) else {
        throw PythonError(kind: "AttributeError", message: "\(name) has no module in the wrapped model")
      }
      let target = injectionTarget(name, node: node)
      let plan = try tuner.plan(target, config: &config, adapterName: adapterName, context: &context)
      if plan.wraps { applyPlan(plan, at: name, node: node, adapterName: adapterName) }
    }


    var targetedParameters: [String] = []
    if usesTargetParameters {
      targetedParameters = try injectParameters(adapterName, config: &config, context: &context)
    }

    try checkInjectionOutcome(
      config: config, targets: options.accumulatesTargetedModuleNames ? targetedModuleNames + targets : targets,
      targetedParameters: targetedParameters, excluded: excluded,
      unmatched: unmatched, context: &context)

    for name in targets where !targetedModuleNames.contains(name) { targetedModuleNames.append(name) }
    adapters[adapters.count - 1].config = config
    try addAuxiliaryModules(adapterName, config: config, warnings: &context.warnings)
    let tuner = self.tuner
    try tuner.postInjection(&self, adapterName: adapterName, config: config)
  }

  /// `BaseTuner._check_tied_modules`: warns when a tied embedding is part of the adapter.
  func checkTiedModules(_ config: AdapterConfig, context: inout InjectionContext) throws(PythonError) {
    let embeddingNames = ["embed_tokens", "lm_head"]
    let toSave = (config.modulesToSave ?? []).contains { embeddingNames.contains(String($0.split(separator: ".").last ?? "")) }
    let inTarget: Bool
    switch config.targetModules {
    case .pattern(let p)?:
      var hit = false
      if let regex = try? PythonRegex(p, field: "target_modules") {
        for name in embeddingNames where try regex.fullMatch(name) { hit = true }
      }
      inTarget = hit
    case .names(let names)?:
      inTarget = names.contains { embeddingNames.contains(String($0.split(separator: ".").last ?? "")) }
    case nil:
      inTarget = false
    }
    let hasTyingOption = tuner.configFields.contains("ensure_weight_tying")
    // The tied modules are looked for only where they matter (a walk of the model at every injection).
    if config.json["ensure_weight_tying"]?.boolValue == true {
      let tied = tiedEmbeddingModuleNames()
      if tied.isEmpty {
        context.warn("You have requested `ensure_weight_tying`, but no tied modules were found in the model")
      } else if !toSave && !inTarget {
        context.warn(
          "You have requested `ensure_weight_tying`, but no tied modules are added in either `modules_to_save` or "
            + "`target_modules`")
      }
    } else if (toSave || inTarget) && !tiedEmbeddingModuleNames().isEmpty {
      let middle = hasTyingOption
        ? "but `ensure_weight_tying` is not set to True. " : "but no implementation exists to tie the adapters. "
      context.warn(
        "Model has `tie_word_embeddings=True` and a tied layer is part of the adapter, " + middle
          + "This can lead to complications, for example when merging the adapter or converting your model to "
          + "formats other than safetensors. Check the discussion here: https://github.com/huggingface/peft/issues/2777")
    }
  }

  // MARK: Targets

  func isTunerLayer(_ node: Int) -> Bool {
    if case .tunerLayer = tree[node].kind { return true }
    return false
  }

  /// Follows `base_layer` links to the wrapped module.
  func innermostBase(_ node: Int) -> Int {
    var current = node
    while let next = tree[current].child("base_layer") { current = next }
    return current
  }

  func injectionTarget(_ name: String, node: Int, parameter: String? = nil) -> InjectionTarget {
    let baseNode = innermostBase(node)
    let baseModule = tree[baseNode]
    var existing: PeftType? = nil
    if case .tunerLayer(let type) = tree[node].kind { existing = type }
    let values = base.reprValues
    return InjectionTarget(
      key: name, base: baseModule.kind, baseTensors: baseModule.tensors, baseClassName: baseModule.className,
      repr: ModuleDescriptions.repr(baseModule, architecture: base.architecture, config: values),
      typeRepr: ModuleDescriptions.typeRepr(tree[node].kind.isTunerLayerKind ? tree[node] : baseModule,
                                             architecture: base.architecture),
      existingLayer: existing, layerFacts: layerFacts[node] ?? [:], parameterName: parameter,
      parameterShape: parameter.flatMap { p in baseModule.tensors.first { $0.name == p }?.info.shape },
      sharedState: sharedState())
  }

  /// The tuner model's shared containers and their current entries.
  func sharedState() -> [String: [ModuleTensor]] {
    guard let tunerNode else { return [:] }
    var state: [String: [ModuleTensor]] = [:]
    for child in tree[tunerNode].children where child.name != "model" {
      var tensors = tree[child.node].tensors
      // Keyed containers (FRoD's per-category dicts): their entries as `<key>.<adapter>`.
      for inner in tree[child.node].children {
        tensors += tree[inner.node].tensors.map { tensor in
          var named = tensor
          named.name = inner.name + "." + tensor.name
          return named
        }
      }
      state[child.name] = tensors
    }
    return state
  }

  /// `_maybe_include_all_linear_layers`: every `nn.Linear`/`Conv1D` (or linear tuner layer) except the
  /// output layer (or, for sequence classification, the classifier head) and tuner internals.
  func allLinearNames(_ named: [(name: String, node: Int)], config: AdapterConfig) -> [String] {
    var names: [String] = []
    for (name, node) in named where !name.isEmpty {
      let module = tree[node]
      if module.kind.isLinearLike {
        names.append(name)
      } else if case .tunerLayer = module.kind, module.className.contains("Linear") {
        names.append(name)
      }
    }
    var exclude = Set<String>()
    if let output = base.outputEmbeddingPath {
      exclude.insert(output)
    } else if config.taskType == "SEQ_CLS" {
      for head in ["score", "classifier"] where tree[baseRoot].child(head) != nil {
        exclude.insert(head)
        break
      }
    }
    for (prefix, node) in named where isTunerLayer(node) {
      for (suffix, _) in tree.namedModules(from: node) where !suffix.isEmpty {
        exclude.insert(prefix + "." + suffix)
      }
    }
    return names.filter { !exclude.contains($0) }
  }

  // MARK: Creating layers

  mutating func applyPlan(_ plan: LayerPlan, at path: String, node: Int, adapterName: String, wrapExisting: Bool = false) {
    let layerNode: Int
    if isTunerLayer(node) && !wrapExisting {
      layerNode = node
    } else {
      layerNode = tree.add(
        Module(kind: .tunerLayer(peftType), className: plan.layerClassName, children: [("base_layer", node)]))
      for attribute in tuner.layerAttributes {
        if let shared = attribute.sharedModelAttribute {
          if let tunerNode, let target = tree[tunerNode].child(shared) { tree.setChild(layerNode, attribute.name, target) }
        } else {
          let dict = tree.add(Module(kind: attribute.container, className: attribute.container.dictClassName))
          tree.setChild(layerNode, attribute.name, dict)
        }
      }
      let parent = tree.module(at: parentPath(path), from: baseRoot) ?? baseRoot
      tree.setChild(parent, String(Self.lastComponent(path)), layerNode)
      layerFacts[layerNode] = plan.layerFacts
    }
    for entry in plan.entries {
      guard let dict = tree[layerNode].child(entry.attribute) else { continue }
      addEntry(entry, adapterName: adapterName, to: dict)
    }
    if let tunerNode {
      for entry in plan.modelEntries {
        guard let dict = tree[tunerNode].child(entry.attribute) else { continue }
        addEntry(entry, adapterName: adapterName, to: dict)
      }
    }
  }

  /// The last non-empty dotted component (`path.split(separator: ".").last ?? ""`, without the array).
  static func lastComponent(_ path: String) -> Substring {
    if path.isASCII {
      // One byte, one character: searched on bytes (the character search was a tenth of wrapping a layer).
      let bytes = path.utf8
      let end = bytes.lastIndex { $0 != UInt8(ascii: ".") }.map { bytes.index(after: $0) } ?? bytes.startIndex
      let start = bytes[..<end].lastIndex(of: UInt8(ascii: ".")).map { bytes.index(after: $0) } ?? bytes.startIndex
      return path[start..<end]
    }
    let end = path.lastIndex { $0 != "." }.map { path.index(after: $0) } ?? path.startIndex
    let trimmed = path[..<end]
    return trimmed.lastIndex(of: ".").map { trimmed[trimmed.index(after: $0)...] } ?? trimmed
  }

  mutating func addEntry(_ entry: AdapterEntry, adapterName: String, to dict: Int) {
    switch entry.value {
    case .parameter(let info):
      tree.setTensor(dict, ModuleTensor(name: adapterName, info: info))
    case .buffer(let info):
      var persistent = true
      if case .bufferDict(let p) = tree[dict].kind { persistent = p }
      tree.setTensor(dict, ModuleTensor(name: adapterName, info: info, isBuffer: true, persistent: persistent))
    case .module(let className, let tensors):
      let child = tree.add(Module(kind: .other, className: className, tensors: tensors.filter { !$0.name.contains(".") }))
      // A dotted name is a tensor of a submodule (`0.weight` of a `Sequential`, a whole backbone's keys).
      for tensor in tensors where tensor.name.contains(".") {
        let components = tensor.name.split(separator: ".").map(String.init)
        var node = child
        for name in components.dropLast() {
          if let existing = tree[node].child(name) {
            node = existing
          } else {
            let created = tree.add(Module(kind: .container, className: "Module"))
            tree.appendChild(node, name, created)
            node = created
          }
        }
        tree.setTensor(node, ModuleTensor(name: components[components.count - 1], info: tensor.info))
      }
      tree.setChild(dict, adapterName, child)
    case .keyedBuffer(let key, let info, let persistent):
      var container = tree[dict].child(key)
      if container == nil {
        let kind = ModuleKind.bufferDict(persistent: persistent)
        let created = tree.add(Module(kind: kind, className: kind.dictClassName))
        tree.setChild(dict, key, created)
        container = created
      }
      guard let container else { return }
      // The dict keeps the persistence it was created with, as PEFT's `BufferDict` does.
      var keeps = persistent
      if case .bufferDict(let p) = tree[container].kind { keeps = p }
      tree.setTensor(container, ModuleTensor(name: adapterName, info: info, isBuffer: true, persistent: keeps))
    case .moduleList(let itemClassName, let items):
      let list = tree.add(Module(kind: .container, className: "ModuleList"))
      for (index, tensors) in items.enumerated() {
        tree.setChild(list, String(index), tree.add(Module(kind: .other, className: itemClassName, tensors: tensors)))
      }
      tree.setChild(dict, adapterName, list)
    }
  }

  /// `_pre_injection_hook`: the tuner model's shared containers and their first entries, given the matched
  /// modules' names and nodes.
  mutating func createModelLevelState(
    _ adapterName: String, config: AdapterConfig, matched: [(name: String, node: Int)], tunerNode: Int
  )
    throws(PythonError)
  {
    let attributes = tuner.modelAttributes(config)
    guard !attributes.isEmpty else { return }
    for attribute in attributes {
      let dict = tree.add(Module(kind: attribute.container, className: attribute.container.dictClassName))
      tree.setChild(tunerNode, attribute.name, dict)
    }
    let targets = matched.map { injectionTarget($0.name, node: $0.node) }
    for entry in try tuner.modelLevelEntries(config, targets: targets, adapterName: adapterName) {
      guard let dict = tree[tunerNode].child(entry.attribute) else { continue }
      addEntry(entry, adapterName: adapterName, to: dict)
    }
  }

  // MARK: Outcome checks

  func checkInjectionOutcome(
    config: AdapterConfig, targets: [String], targetedParameters: [String], excluded: [String], unmatched: [String],
    context: inout InjectionContext
  ) throws(PythonError) {
    let targetModulesText = Self.pythonText(config.targetModules)
    if targets.isEmpty && targetedParameters.isEmpty {
      var layersNote = ""
      if let layers = config.layersToTransform {
        switch layers {
        case .one(let i): layersNote += " Note: You specified 'layers_to_transform': \(i)."
        case .list(let l): layersNote += " Note: You specified 'layers_to_transform': \(pythonIntListRepr(l))."
        }
      }
      if let pattern = config.layersPattern {
        let text = config.json["layers_pattern"]?.stringValue.map { $0 } ?? pythonListRepr(pattern)
        layersNote += " You also specified 'layers_pattern': \(text)."
      }
      if !excluded.isEmpty && unmatched.isEmpty {
        throw PythonError(
          kind: "NoMatchingPeftModuleError",
          message: "All modules were excluded. This is likely unintended. Check your `target_modules`, "
            + "`exclude_modules` and `modules_to_save` configuration.")
      } else if excluded.isEmpty && !unmatched.isEmpty && (config.targetModules?.isEmpty ?? true) {
        throw PythonError(
          kind: "NoMatchingPeftModuleError",
          message: "No `target_modules` passed but also no `target_parameters` found. Please check the values for "
            + "these arguments.")
      } else if excluded.isEmpty && !unmatched.isEmpty {
        throw PythonError(
          kind: "NoMatchingPeftModuleError",
          message: "Target modules \(targetModulesText) not found in the base model. "
            + "Please check the target modules and try again." + layersNote)
      } else {
        throw PythonError(
          kind: "NoMatchingPeftModuleError",
          message: "No modules were targeted for adaptation. This might be caused by a combination of mismatched "
            + "target modules and excluded modules. Please check your `target_modules` and `exclude_modules` "
            + "configuration. You may also have only targeted modules that are marked to be saved "
            + "(`modules_to_save`)." + layersNote)
      }
    } else if let exclude = config.excludeModules, !exclude.isEmpty, excluded.isEmpty {
      context.warn(
        "You have passed exclude_modules=\(Self.pythonText(exclude)) but no modules were excluded. "
          + "Please check that exclude_modules was set correctly.")
    } else if let modules = config.targetModules, !modules.isEmpty, targets.isEmpty {
      context.warn("target_modules=\(targetModulesText) were set but no module was matched.", category: "RuntimeWarning")
    } else if let parameters = config.targetParameters, !parameters.isEmpty, targetedParameters.isEmpty,
      tuner.supportsTargetParameters
    {
      context.warn(
        "target_parameters=\(pythonListRepr(parameters)) were set but no parameter was matched.",
        category: "RuntimeWarning")
    }
    for (attribute, patterns) in [("rank_pattern", config.rankPattern), ("alpha_pattern", config.alphaPattern)] {
      guard !patterns.isEmpty else { continue }
      var unmatchedPatterns: [String] = []
      for pattern in patterns.map(\.pattern) {
        var matched = false
        for target in targets where try patternKey([pattern], for: target, field: attribute) != nil {
          matched = true
          break
        }
        if !matched { unmatchedPatterns.append(pattern) }
      }
      if !unmatchedPatterns.isEmpty {
        context.warn(
          "The following \(attribute) keys did not match any targeted module and were ignored: "
            + "\(pythonListRepr(Array(Set(unmatchedPatterns)).sorted())).", category: "RuntimeWarning")
      }
    }
  }

  /// How PEFT prints `target_modules` in messages: a set as `{'a', 'b'}` (here in written order;
  /// Python's set order depends on string hashes), a string as itself.
  static func pythonText(_ modules: TargetModules?) -> String {
    switch modules {
    case nil: "None"
    case .pattern(let p)?: p
    case .names(let names)?: names.isEmpty ? "set()" : "{" + names.map(pythonRepr).joined(separator: ", ") + "}"
    }
  }
}

extension ModuleKind {
  var dictClassName: String {
    switch self {
    case .moduleDict: "ModuleDict"
    case .parameterDict: "ParameterDict"
    case .bufferDict: "BufferDict"
    default: "Module"
    }
  }

  var isTunerLayerKind: Bool {
    if case .tunerLayer = self { return true }
    return false
  }
}

extension BaseModel {
  var reprValues: BaseModelConfigValues {
    BaseModelConfigValues(
      padTokenId: config["pad_token_id"]?.intValue,
      rmsNormEps: numberText(config["rms_norm_eps"] ?? config["layer_norm_epsilon"] ?? config["layer_norm_eps"]),
      layerNormEps: numberText(config["layer_norm_epsilon"] ?? config["layer_norm_eps"]))
  }

  /// Python's `json` writes floats with `repr`, so the literal text is what torch prints.
  private func numberText(_ value: JSONValue?) -> String? {
    guard case .number(let text)? = value else { return nil }
    return text
  }
}
