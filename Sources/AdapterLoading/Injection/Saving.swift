import TensorIO

/// `save_embedding_layers` of `save_pretrained` / `get_peft_model_state_dict`.
public enum SaveEmbeddingLayers: Hashable, Sendable {
  case yes
  case no
  /// PEFT's `"auto"`: save the embeddings when a config targets them, or when the vocabulary differs
  /// from the training base's (which PEFT reads from `base_model_name_or_path/config.json`; pass what is
  /// known about it: whether that config can be found, and its `vocab_size`).
  case auto(baseHasConfig: Bool = false, baseVocabSize: Int? = nil)
}

/// The checkpoint an adapter would save, with the warnings PEFT emits while building it.
public struct SavedCheckpoint: Hashable, Sendable {
  /// Checkpoint keys (no adapter name) in the order PEFT writes them.
  public var stateDict: StateDict
  public var warnings: [PythonWarning]
}

extension PeftModel {
  /// `get_peft_model_state_dict(model, adapter_name=name, save_embedding_layers=…)`: what
  /// `save_pretrained` writes for one adapter.
  /// - Throws: the ``PythonError`` PEFT raises (VeRA's projection check, a `KeyError` for a trainable-tokens
  ///   wrapper that does not serve this adapter).
  public func adapterCheckpoint(_ adapterName: String, saveEmbeddingLayers: SaveEmbeddingLayers = .auto())
    throws(PythonError) -> SavedCheckpoint
  {
    try adapterCheckpoint(adapterName, saveEmbeddingLayers: saveEmbeddingLayers, stateDict: stateDict)
  }

  /// ``adapterCheckpoint(_:saveEmbeddingLayers:)`` given this model's ``stateDict``, which the caller already
  /// made (it walks the whole module tree: the matrix's planning needed it twice for each adapter it saves).
  package func adapterCheckpoint(
    _ adapterName: String, saveEmbeddingLayers: SaveEmbeddingLayers, stateDict full: StateDict
  ) throws(PythonError) -> SavedCheckpoint {
    guard let config = config(of: adapterName) else { throw .keyError(adapterName) }
    var warnings: [PythonWarning] = []
    var state = full
    if !config.isPromptLearning {
      let others = adapters.map(\.name).filter { $0 != adapterName }
      let filtered = StateDict(full.entries.filter { entry in
        !others.contains { entry.key.hasSubstring(".\($0).") || entry.key.hasSuffix(".\($0)") }
      })
      if !filtered.isEmpty { state = filtered }
    }
    let request = SaveRequest(model: self, config: config, adapterName: adapterName, stateDict: state)
    var result = try tuner.adapterStateDict(request)

    // Only the wrappers' names are built: naming every module of the model was a twelfth of a matrix save.
    let wrappers = tree.namedModules { module in
      switch module.kind {
      case .modulesToSaveWrapper, .trainableTokensWrapper: true
      default: false
      }
    }
    for (name, node) in wrappers {
      switch tree[node].kind {
      case .modulesToSaveWrapper:
        guard wrapperAdapters[node]?.contains(adapterName) == true,
          let dict = tree[node].child("modules_to_save"), let copy = tree[dict].child(adapterName)
        else { continue }
        for entry in tree.stateDict(from: copy).entries {
          let source = "\(name).modules_to_save.\(adapterName).\(entry.key)"
          guard let value = state[source] else { throw .keyError(source) }
          result["\(name).\(entry.key)"] = .init(key: "\(name).\(entry.key)", info: value.info)
        }
      case .trainableTokensWrapper:
        if tiedTokenWrappers.contains(node) { continue }
        let source = "\(name).token_adapter.trainable_tokens_delta.\(adapterName)"
        guard let value = state[source] else { throw .keyError("token_adapter.trainable_tokens_delta.\(adapterName)") }
        let key = "\(name).token_adapter.trainable_tokens_delta"
        result[key] = .init(key: key, info: value.info)
      default:
        continue
      }
    }

    for entry in try embeddingEntries(config: config, state: state, mode: saveEmbeddingLayers, warnings: &warnings) {
      result[entry.key] = entry
    }
    let renamed = StateDict(result.entries.map { entry in
      var e = entry
      e.key = tuner.checkpointKey(forModelKey: entry.key, adapterName: adapterName)
      e.tiedTo = nil
      return e
    })
    return SavedCheckpoint(stateDict: renamed, warnings: warnings)
  }

  /// PEFT's embedding-layer saving (`EMBEDDING_LAYER_NAMES = ["embed_tokens", "lm_head"]`).
  private func embeddingEntries(
    config: AdapterConfig, state: StateDict, mode: SaveEmbeddingLayers, warnings: inout [PythonWarning]
  ) throws(PythonError) -> [StateDict.Entry] {
    let embeddingNames = ["embed_tokens", "lm_head"]
    var targeted = false
    switch config.targetModules {
    case .pattern(let p)? where !p.isEmpty && p != TargetModules.allLinearShorthand:
      if let regex = try? PythonRegex(p, field: "target_modules") {
        for module in tree.namedModules(from: baseRoot)
        where embeddingNames.contains(where: { module.name == $0 || module.name.hasSuffix("." + $0) }) {
          if try regex.fullMatch(module.name) {
            targeted = true
            break
          }
        }
      }
    case .names(let names)? where !names.isEmpty:
      targeted = embeddingNames.contains { names.contains($0) }
    default:
      break
    }
    let usingTrainableTokens = config.peftType == .trainableTokens || config.trainableTokenIndices != nil
    let save: Bool
    switch mode {
    case .yes: save = true
    case .no: save = false
    case .auto(let hasConfig, let baseVocab):
      if targeted && !usingTrainableTokens {
        warnings.append(
          PythonWarning(message: "Setting `save_embedding_layers` to `True` as embedding layers found in `target_modules`."))
        save = true
      } else if let modelID = config.baseModelNameOrPath, !modelID.isEmpty {
        if !hasConfig {
          warnings.append(
            PythonWarning(message: "Could not find a config file in \(modelID) - will assume that the vocabulary was not modified."))
          save = false
        } else if let vocab = base.vocabSize, let baseVocab, vocab != baseVocab {
          warnings.append(
            PythonWarning(
              message: "Setting `save_embedding_layers` to `True` as the embedding layer has been resized during finetuning."))
          save = true
        } else {
          save = false
        }
      } else {
        save = false
      }
    }
    guard save else { return [] }
    var result: [StateDict.Entry] = []
    for path in [base.inputEmbeddingPath, base.outputEmbeddingPath].compactMap({ $0 }) {
      guard let node = tree.module(at: path, from: baseRoot) else { continue }
      let wrapsEmbedding: Bool = {
        guard let inner = tree[node].child("base_layer") else { return false }
        switch tree[inner].kind {
        case .linear, .embedding: return true
        default: return false
        }
      }()
      guard !targeted || wrapsEmbedding else { continue }
      let modulePath = basePrefix + path + (targeted ? ".base_layer" : "")
      result += state.entries.filter { $0.key.hasPrefix(modulePath + ".") }
    }
    return result
  }
}
