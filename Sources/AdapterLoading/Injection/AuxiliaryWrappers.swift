import TensorIO

/// The two auxiliary wrappers PEFT puts around whole modules.
enum AuxiliaryWrapperKind {
  /// `ModulesToSaveWrapper`: trains and saves a full copy of the module per adapter.
  case modulesToSave
  /// `TrainableTokensWrapper`: trains selected embedding rows.
  case trainableTokens(indices: [Int], tiedTo: Int?)

  var className: String {
    switch self {
    case .modulesToSave: "ModulesToSaveWrapper"
    case .trainableTokens: "TrainableTokensWrapper"
    }
  }

  func matches(_ kind: ModuleKind) -> Bool {
    switch (self, kind) {
    case (.modulesToSave, .modulesToSaveWrapper), (.trainableTokens, .trainableTokensWrapper): true
    default: false
    }
  }
}

extension PeftModel {
  /// `set_additional_trainable_modules`: `modules_to_save` and `trainable_token_indices`.
  mutating func addAuxiliaryModules(_ adapterName: String, config: AdapterConfig, warnings: inout [PythonWarning])
    throws(PythonError)
  {
    if let modules = config.modulesToSave {
      _ = try setTrainable(adapterName, moduleNames: modules, kind: .modulesToSave, strict: false)
    }
    guard let indices = config.trainableTokenIndices else { return }
    let targetLayers: [ModuleTokenIndices]
    switch indices {
    case .inputEmbedding(let list):
      targetLayers = [ModuleTokenIndices(module: base.inputEmbeddingPath ?? "embed_tokens", indices: list)]
    case .perModule(let entries):
      targetLayers = entries
    }
    if let modules = config.modulesToSave {
      for layer in targetLayers where modules.contains(layer.module) {
        throw .valueError(
          "The embedding layer is already marked to be trained fully, either specify "
            + "`modules_to_save=[..., \"\(layer.module)\", ...]` or `trainable_tokens={'\(layer.module)': x}` but not both.")
      }
    }
    let tied = base.tieWordEmbeddings
    let ensureTying = config.json["ensure_weight_tying"]?.boolValue ?? false
    let tiedNames = tiedEmbeddingModuleNames()
    var layersToSkip = Set<String>()
    var indicesMismatch = false
    if targetLayers.count > 1 && tied {
      let embeddingName = base.inputEmbeddingPath ?? ""
      var tiedKeys: [String] = []
      for layer in targetLayers {
        if embeddingName.hasSuffix(layer.module) {
          tiedKeys.append(layer.module)
          continue
        }
        if tiedNames.contains(where: { $0.hasSuffix(layer.module) || $0.split(separator: ".").contains { $0 == layer.module } }) {
          tiedKeys.append(layer.module)
        }
      }
      if tiedKeys.count >= 2 {
        let byName = Dictionary(targetLayers.map { ($0.module, $0.indices) }, uniquingKeysWith: { a, _ in a })
        let first = byName[tiedKeys[0]] ?? []
        indicesMismatch = !tiedKeys.dropFirst().allSatisfy { byName[$0] == first }
        if indicesMismatch && ensureTying {
          let info = tiedKeys.map { "\($0): \(pythonIntListRepr(byName[$0] ?? []))" }.joined(separator: ", ")
          throw .valueError(
            "Cannot ensure weight tying when different token indices are specified for tied layers. Conflicting "
              + "layers: \(info). Please use the same indices for all tied layers or set ensure_weight_tying=False.")
        }
        if !indicesMismatch { layersToSkip = Set(tiedKeys).intersection(tiedNames) }
      }
    }
    for layer in targetLayers where !layersToSkip.contains(layer.module) {
      _ = try setTrainable(
        adapterName, moduleNames: [layer.module], kind: .trainableTokens(indices: layer.indices, tiedTo: nil), strict: true)
    }
    if !tied && ensureTying {
      warnings.append(
        PythonWarning(
          message: "ensure_weight_tying=True but the model does not have tied weights (tie_word_embeddings=False). "
            + "Weight tying will not be applied for trainable_token_indices."))
    }
    guard tied, let embeddingPath = base.inputEmbeddingPath,
      let embedding = tree.module(at: embeddingPath, from: baseRoot),
      case .trainableTokensWrapper = tree[embedding].kind, ensureTying || !indicesMismatch,
      let tokenAdapter = tree[embedding].child("token_adapter")
    else { return }
    let indicesForTied = targetLayers.first { embeddingPath.hasSuffix($0.module) }?.indices ?? targetLayers[0].indices
    _ = try setTrainable(
      adapterName, moduleNames: tiedNames, kind: .trainableTokens(indices: indicesForTied, tiedTo: tokenAdapter),
      strict: true)
  }

  /// Names of modules whose weights are tied to the input embedding (`_get_module_names_tied_with_embedding`).
  func tiedEmbeddingModuleNames() -> [String] {
    guard base.tieWordEmbeddings, let input = base.inputEmbeddingPath else { return [] }
    let weight = input + ".weight"
    let names = base.tree.stateDictKeys { $0.tiedTo == weight }.map(parentPath)
    return Array(Set(names)).sorted()
  }

  /// `_set_trainable`: wraps every module whose name ends with one of `moduleNames` (a plain suffix
  /// test, without a `.` boundary, as in PEFT).
  @discardableResult
  mutating func setTrainable(_ adapterName: String, moduleNames: [String], kind: AuxiliaryWrapperKind, strict: Bool)
    throws(PythonError) -> [String]
  {
    guard !moduleNames.isEmpty else { return [] }
    let keys = tree.namedModules(from: baseRoot, removeDuplicates: false).map(\.name)
    var found = Set<String>()
    var wrapped: [String] = []
    for key in keys where !key.isEmpty && moduleNames.contains(where: { key.hasSuffix($0) }) {
      guard let target = tree.module(at: key, from: baseRoot) else { continue }
      let parent = parentPath(key)
      let grandparent = parentPath(parent)
      let grandparentNode = key.split(separator: ".").count >= 2 ? tree.module(at: grandparent, from: baseRoot) : nil
      if let g = grandparentNode, isTunerLayer(g) {
        let wrapperName = "<class 'peft.utils.other.\(kind.className)'>"
        throw .valueError(
          "You are trying to target a module with \(wrapperName) that is a child of "
            + "<class '\(tree[g].className)'>. This is almost certainly not the intended behavior. Please ensure "
            + "that the adapter name, '\(adapterName)', does not conflict with any of the targeted modules.")
      }
      if let g = grandparentNode, kind.matches(tree[g].kind) {
        updateWrapper(g, adapterName: adapterName, kind: kind)
      } else if kind.matches(tree[target].kind) {
        updateWrapper(target, adapterName: adapterName, kind: kind)
      } else {
        let wrapper = createWrapper(around: target, adapterName: adapterName, kind: kind)
        let parentNode = tree.module(at: parent, from: baseRoot) ?? baseRoot
        tree.setChild(parentNode, String(key.split(separator: ".").last ?? ""), wrapper)
        wrapped.append(key)
      }
      found.insert(String(key.split(separator: ".").last ?? ""))
    }
    if strict && found.isEmpty {
      let notFound = moduleNames.filter { !found.contains($0) }
      throw .valueError(
        "Target modules {\(notFound.map(pythonRepr).joined(separator: ", "))} not found in the base model. "
          + "Please check the target modules and try again.")
    }
    return wrapped
  }

  private mutating func createWrapper(around target: Int, adapterName: String, kind: AuxiliaryWrapperKind) -> Int {
    switch kind {
    case .modulesToSave:
      let dict = tree.add(Module(kind: .moduleDict, className: "ModuleDict"))
      let wrapper = tree.add(
        Module(kind: .modulesToSaveWrapper, className: kind.className, children: [("original_module", target), ("modules_to_save", dict)]))
      updateWrapper(wrapper, adapterName: adapterName, kind: kind)
      return wrapper
    case .trainableTokens(_, let tiedTo):
      var children: [(String, Int)] = [("base_layer", target)]
      if let tiedTo, let delta = tree[tiedTo].child("trainable_tokens_delta"),
        let original = tree[tiedTo].child("trainable_tokens_original")
      {
        children += [("trainable_tokens_delta", delta), ("trainable_tokens_original", original)]
      } else {
        children.append(("trainable_tokens_delta", tree.add(Module(kind: .parameterDict, className: "ParameterDict"))))
        children.append(
          ("trainable_tokens_original", tree.add(Module(kind: .bufferDict(persistent: false), className: "BufferDict"))))
      }
      let layer = tree.add(Module(kind: .tunerLayer(.trainableTokens), className: "TrainableTokensLayer", children: children))
      let wrapper = tree.add(Module(kind: .trainableTokensWrapper, className: kind.className, children: [("token_adapter", layer)]))
      if tiedTo != nil { tiedTokenWrappers.insert(wrapper) }
      updateWrapper(wrapper, adapterName: adapterName, kind: kind)
      return wrapper
    }
  }

  private mutating func updateWrapper(_ wrapper: Int, adapterName: String, kind: AuxiliaryWrapperKind) {
    let served = wrapperAdapters[wrapper] ?? []
    switch kind {
    case .modulesToSave:
      if let dict = tree[wrapper].child("modules_to_save"), tree[dict].child(adapterName) == nil,
        let original = tree[wrapper].child("original_module")
      {
        let copy = tree.deepCopy(original)
        tree.setChild(dict, adapterName, copy)
      }
    case .trainableTokens(let indices, let tiedTo):
      if !served.contains(adapterName), tiedTo == nil, let layer = tree[wrapper].child("token_adapter"),
        let delta = tree[layer].child("trainable_tokens_delta")
      {
        let baseNode = innermostBase(layer)
        let width: Int
        switch tree[baseNode].kind {
        case .embedding(_, let d): width = d
        case .linear(let i, _, _): width = i
        default: width = tree[baseNode].tensors.first?.info.shape.last ?? 0
        }
        let dtype = tree[baseNode].tensors.first { $0.name == "weight" }?.info.dtype ?? .f32
        tree.setTensor(delta, ModuleTensor(name: adapterName, info: TensorInfo(dtype: dtype, shape: [indices.count, width])))
      }
    }
    if !served.contains(adapterName) { wrapperAdapters[wrapper] = served + [adapterName] }
  }
}

extension ModuleTree {
  /// `copy.deepcopy(module)`: new nodes for the whole subtree (shared nodes inside it stay shared),
  /// tensors copied without their ties.
  mutating func deepCopy(_ node: Int) -> Int {
    var memo: [Int: Int] = [:]
    return deepCopy(node, memo: &memo)
  }

  private mutating func deepCopy(_ node: Int, memo: inout [Int: Int]) -> Int {
    if let done = memo[node] { return done }
    var module = self[node]
    module.tensors = module.tensors.map { var t = $0; t.tiedTo = nil; return t }
    let children = module.children
    module.children = []
    let copy = add(module)
    memo[node] = copy
    for child in children {
      let c = deepCopy(child.node, memo: &memo)
      setChild(copy, child.name, c)
    }
    return copy
  }
}
