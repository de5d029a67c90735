import TensorIO

/// A base model as `transformers` would instantiate it: its module tree (kinds, shapes, tied weights)
/// and therefore its `state_dict()` in torch order, built from `config.json` and the names, dtypes and
/// shapes of its weights (no tensor data is needed).
///
/// The model class is `config.json`'s `architectures[0]`. Checkpoint names are normalized as
/// transformers 5 does on load (legacy prefixes, MoE expert fusion, ignored old buffers), tied weights
/// are added under every name they have in the model, and siblings are ordered as the architecture
/// registers them (``Architecture``).
public struct BaseModel: Sendable, Hashable {
  /// `config.json`.
  public var config: JSONObject
  public var architecture: Architecture
  /// The Python class (`LlamaForCausalLM`); `""` when `config.json` names none.
  public var modelClass: String
  public var tree: ModuleTree
  /// `tie_word_embeddings` as transformers resolves it.
  public var tieWordEmbeddings: Bool
  /// `config.vocab_size`, when given.
  public var vocabSize: Int?
  /// Path of the module `get_input_embeddings()` returns.
  public var inputEmbeddingPath: String?
  /// Path of the module `get_output_embeddings()` returns (`lm_head`), `nil` for models without one.
  public var outputEmbeddingPath: String?
  /// What the normalization did, in plain words (for `--verbose`).
  public var notes: [String]

  /// The model's `state_dict()`: names and infos in torch order, tied weights under every name.
  public var stateDict: StateDict { tree.stateDict() }

  /// Builds the model.
  /// - Parameters:
  ///   - config: `config.json`.
  ///   - weights: the weights' table (every shard merged).
  ///   - source: the folder, for messages.
  /// - Throws: ``BaseModelError`` when a weight cannot be placed (inconsistent expert shapes, a name
  ///   that is both a tensor and a module).
  public init(config: JSONObject, weights: TensorTable, source: String = "model") throws(BaseModelError) {
    self.config = config
    let modelType = config["model_type"]?.stringValue ?? ""
    architecture = Architecture.forModelType(modelType)
    modelClass = config["architectures"]?.arrayValue?.first?.stringValue ?? ""
    vocabSize = config["vocab_size"]?.intValue
    tieWordEmbeddings = config["tie_word_embeddings"]?.boolValue ?? architecture.defaultTieWordEmbeddings
    notes = []
    tree = ModuleTree(root: Module(kind: .container, className: "Module"))
    inputEmbeddingPath = nil
    outputEmbeddingPath = nil
    var builder = TreeBuilder(architecture: architecture, source: source)
    let keys = try normalizedKeys(weights, source: source)
    for (key, info) in keys { try builder.insert(key: key, info: info) }
    tree = builder.finish()
    locateEmbeddings()
    try addTiedWeights(source: source)
  }

  // MARK: Head kind

  /// A class with a language-model head, which in transformers 5 is also one that can generate.
  var hasLanguageModelHead: Bool {
    ["ForCausalLM", "LMHeadModel", "ForConditionalGeneration", "WithLMHead"].contains { modelClass.hasSuffix($0) }
  }

  var isMaskedLM: Bool { modelClass.hasSuffix("ForMaskedLM") }

  /// Whether the class wraps a base model under ``Architecture/baseModelPrefix``.
  var isHeadModel: Bool {
    !architecture.baseModelPrefix.isEmpty && !modelClass.isEmpty && !modelClass.hasSuffix("Model")
      || modelClass.hasSuffix("LMHeadModel")
  }

  // MARK: Normalization

  private mutating func normalizedKeys(_ weights: TensorTable, source: String) throws(BaseModelError)
    -> [(String, TensorInfo)]
  {
    var keys: [(String, TensorInfo)] = weights.entries.map { ($0.name, $0.info) }
    let ignored = keys.filter { key in architecture.ignoredSuffixes.contains { key.0.hasSuffix($0) } }
    if !ignored.isEmpty {
      keys.removeAll { key in architecture.ignoredSuffixes.contains { key.0.hasSuffix($0) } }
      notes.append("ignored \(ignored.count) checkpoint tensor(s) transformers drops on load, e.g. \(ignored[0].0)")
    }
    let prefix = architecture.baseModelPrefix
    if !prefix.isEmpty, !keys.isEmpty {
      let headNames = ["lm_head.", "classifier.", "score.", "cls.", "qa_outputs."]
      let hasPrefix = keys.contains { $0.0.hasPrefix(prefix + ".") }
      if isHeadModel && !hasPrefix {
        keys = keys.map { key in headNames.contains { key.0.hasPrefix($0) } ? key : (prefix + "." + key.0, key.1) }
        notes.append("checkpoint saved from the base model: added the '\(prefix).' prefix")
      } else if !isHeadModel && !modelClass.isEmpty && hasPrefix {
        keys = keys.compactMap { key in
          key.0.hasPrefix(prefix + ".") ? (String(key.0.dropFirst(prefix.count + 1)), key.1) : nil
        }
        notes.append("checkpoint saved from a head model: removed the '\(prefix).' prefix")
      }
    }
    for rename in architecture.renames {
      keys = keys.map { key in (key.0.replacing(rename.from, with: rename.to), key.1) }
    }
    if let fusion = architecture.expertFusion {
      keys = try ExpertFuser(fusion: fusion, source: source).fuse(keys, notes: &notes)
    }
    return keys
  }

  // MARK: Embeddings and ties

  private mutating func locateEmbeddings() {
    let modules = tree.namedModules()
    let preferred = ["embed_tokens", "wte", "word_embeddings", "shared"]
    for name in preferred {
      if let hit = modules.first(where: {
        ($0.name == name || $0.name.hasSuffix("." + name)) && isEmbedding($0.node)
      }) {
        inputEmbeddingPath = hit.name
        break
      }
    }
    if inputEmbeddingPath == nil {
      inputEmbeddingPath = modules.first { isEmbedding($0.node) }?.name
    }
    if hasLanguageModelHead {
      outputEmbeddingPath = "lm_head"
    } else if isMaskedLM, architecture.modelType == "bert" || architecture.modelType == "roberta" {
      outputEmbeddingPath = architecture.modelType == "bert" ? "cls.predictions.decoder" : "lm_head.decoder"
    }
  }

  private func isEmbedding(_ node: Int) -> Bool {
    if case .embedding = tree[node].kind { return true }
    return false
  }

  /// `_tied_weights_keys` of the model class, as (target, source) state-dict keys.
  var tiedWeightPairs: [(target: String, source: String)] {
    guard tieWordEmbeddings else { return [] }
    switch architecture.modelType {
    case "t5", "mt5", "umt5":
      var pairs = [("encoder.embed_tokens.weight", "shared.weight"), ("decoder.embed_tokens.weight", "shared.weight")]
      if hasLanguageModelHead { pairs.append(("lm_head.weight", "shared.weight")) }
      return pairs.filter { pair in
        tree.module(at: String(pair.0.split(separator: ".").first ?? "")) != nil || pair.0.hasPrefix("lm_head")
      }
    case "bert":
      guard isMaskedLM else { return [] }
      return [
        ("cls.predictions.decoder.weight", "bert.embeddings.word_embeddings.weight"),
        ("cls.predictions.decoder.bias", "cls.predictions.bias"),
      ]
    default:
      guard hasLanguageModelHead, let input = inputEmbeddingPath else { return [] }
      return [("lm_head.weight", input + ".weight")]
    }
  }

  private mutating func addTiedWeights(source: String) throws(BaseModelError) {
    var added: [String] = []
    for (target, sourceKey) in tiedWeightPairs {
      let existing = tree.stateDict()
      guard let sourceEntry = existing[sourceKey] else { continue }
      if existing.contains(target) {
        // Saved under both names (older checkpoints): still one tensor in the model.
        markTied(target, to: sourceKey)
        continue
      }
      let (modulePath, tensorName) = splitKey(target)
      var node = tree.root
      var path = ""
      for part in modulePath.split(separator: ".").map(String.init) {
        path = path.isEmpty ? part : path + "." + part
        if let next = tree[node].child(part) {
          node = next
        } else {
          let created = tree.add(Module(kind: .container, className: "Module"))
          tree.setChild(node, part, created)
          node = created
          TreeBuilder.sortChildren(&tree, node: tree.module(at: parentPath(path)) ?? tree.root, architecture)
        }
      }
      tree.setTensor(node, ModuleTensor(name: tensorName, info: sourceEntry.info, tiedTo: sourceKey))
      TreeBuilder.sortTensors(&tree, node: node)
      tree[node].kind = TreeBuilder.kind(of: tree[node], name: String(modulePath.split(separator: ".").last ?? ""),
                                         architecture: architecture)
      tree[node].className = TreeBuilder.className(of: tree[node], name: tensorName, architecture: architecture)
      added.append(target)
    }
    if !added.isEmpty {
      notes.append("tied weight(s) present in the state dict but not in the file: \(added.joined(separator: ", "))")
    }
  }

  private mutating func markTied(_ key: String, to source: String) {
    let (modulePath, tensorName) = splitKey(key)
    guard let node = tree.module(at: modulePath),
      let i = tree[node].tensors.firstIndex(where: { $0.name == tensorName })
    else { return }
    var modules = tree
    modules[node].tensors[i].tiedTo = source
    tree = modules
  }
}

func splitKey(_ key: String) -> (module: String, tensor: String) {
  guard let dot = key.lastIndex(of: ".") else { return ("", key) }
  return (String(key[..<dot]), String(key[key.index(after: dot)...]))
}

func parentPath(_ path: String) -> String {
  guard let dot = path.lastIndex(of: ".") else { return "" }
  return String(path[..<dot])
}
