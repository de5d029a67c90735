import TensorIO

/// What a tuner needs to select the tensors an adapter saves.
public struct SaveRequest: Sendable {
  public var model: PeftModel
  public var config: AdapterConfig
  public var adapterName: String
  /// The model's state dict without the other adapters' entries (PEFT's first filter).
  public var stateDict: StateDict
}

/// What a tuner needs to map checkpoint keys to model keys.
public struct LoadRequest: Sendable {
  /// The model; a tuner that changes it (AdaLoRA's resizing) drops the keys read from it.
  public var model: PeftModel {
    didSet { computedKeys = nil }
  }
  public var config: AdapterConfig
  public var adapterName: String
  /// The model's keys, read once for the remap and for the load after it while the model is unchanged.
  private(set) var computedKeys: ModelKeys?

  init(model: PeftModel, config: AdapterConfig, adapterName: String, keys: ModelKeys? = nil) {
    self.model = model
    self.config = config
    self.adapterName = adapterName
    computedKeys = keys
  }

  /// The model's keys for `adapterName` (read again if the model changed since they were).
  var keys: ModelKeys { computedKeys ?? ModelKeys(model, adapterName: adapterName) }
}

extension Tuner {
  public func modelAttributes(_ config: AdapterConfig) -> [LayerAttribute] { [] }
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { nil }
  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {}
  public func checkNewAdapter(_ config: AdapterConfig, existing: [NamedAdapter]) throws(PythonError) {}
  public func modelLevelEntries(_ config: AdapterConfig, targets: [InjectionTarget], adapterName: String)
    throws(PythonError) -> [AdapterEntry]
  { [] }
  public var supportsTargetParameters: Bool { false }
  public var savesSharedReferences: Bool { false }
  public func postInjection(_ model: inout PeftModel, adapterName: String, config: AdapterConfig) throws(PythonError) {}

  public func checkpointKey(forModelKey key: String, adapterName: String) -> String {
    removeAdapterName(from: key, adapterName: adapterName)
  }

  public var unsavedAttributes: [String] { [] }

  public func prepareConfig(_ config: inout AdapterConfig, base: BaseModel) throws(PythonError) {}

  /// `_setup_prompt_encoder`'s last branch, for a method that is not prompt learning.
  public func promptEncoder(_ config: AdapterConfig) throws(PythonError) -> PromptEncoderPlan {
    throw .valueError("Not supported")
  }

  /// `BasePromptEncoder._load_adapter_state_dict`: `prompt_embeddings` into `embedding`, strictly.
  public func loadPromptEncoder(_ checkpoint: StateDict, encoder: StateDict) throws(PromptEncoderLoadError) {
    try loadPromptEmbeddings(checkpoint, encoder: encoder, into: "embedding.weight")
  }

  public var promptEncoderCheckpointKeys: [String] { ["prompt_embeddings"] }

  /// `embedding.load_state_dict({"weight": state_dict["prompt_embeddings"]}, strict=True)`: a `KeyError`
  /// without it, torch's size-mismatch error for another shape.
  func loadPromptEmbeddings(_ checkpoint: StateDict, encoder: StateDict, into key: String) throws(PromptEncoderLoadError) {
    guard let embeddings = checkpoint["prompt_embeddings"] else { throw PromptEncoderLoadError(.keyError("prompt_embeddings")) }
    guard let target = encoder[key], target.info.shape != embeddings.info.shape else { return }
    throw PromptEncoderLoadError(
      .runtimeError(
        TorchStateDictLoader.errorText(
          className: "Embedding",
          messages: [
            "size mismatch for weight: copying a param with shape \(torchSizeRepr(embeddings.info.shape)) from "
              + "checkpoint, the shape in current model is \(torchSizeRepr(target.info.shape))."
          ])),
      mismatches: [Mismatch(key: embeddings.key, checkpointShape: embeddings.info.shape, modelShape: target.info.shape)])
  }

  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    defaultAdapterStateDict(request)
  }

  /// `BaseTuner._get_adapter_state_dict`: the structural prefixes (all adapters) plus learnable biases.
  public func defaultAdapterStateDict(_ request: SaveRequest) -> StateDict {
    let prefixes = PrefixSet(request.model.tunerKeyPrefixList())
    var result = StateDict(request.stateDict.entries.filter { prefixes.covers($0.key) })
    for entry in learnableBiases(request) where !result.contains(entry.key) { result[entry.key] = entry }
    return result
  }

  /// `_get_learnable_bias_state_dict`: `bias="all"` saves every bias, `"<x>_only"` the biases of the
  /// targeted layers.
  func learnableBiases(_ request: SaveRequest) -> [StateDict.Entry] {
    let bias = request.config.bias ?? "none"
    if bias == "none" { return [] }
    if bias == "all" {
      return request.stateDict.entries.filter { $0.key == "bias" || $0.key.hasSuffix(".bias") }
    }
    guard bias.hasSuffix("_only") else { return [] }
    var result: [StateDict.Entry] = []
    for (name, node) in request.model.tree.namedModules() where request.model.isTunerLayer(node) {
      let key = name.isEmpty ? "base_layer.bias" : name + ".base_layer.bias"
      if let entry = request.stateDict[key] { result.append(entry) }
    }
    return result
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    defaultRemap(checkpoint, request: request)
  }

  /// `BaseTuner._remap_adapter_state_dict_for_load`: every model key under this adapter's structural
  /// prefixes, with the adapter name removed, is the checkpoint key that loads into it; other
  /// checkpoint keys pass through unchanged.
  public func defaultRemap(_ checkpoint: StateDict, request: LoadRequest) -> StateDict {
    let mapping = request.keys.loadMapping(tuner: self, model: request.model, adapterName: request.adapterName)
    return StateDict(checkpoint.entries.map { entry in
      var e = entry
      e.key = mapping[entry.key] ?? entry.key
      return e
    })
  }

  /// The override of `_remap_adapter_state_dict_for_load` in methods whose tensors are shared across
  /// layers (FRoD, TinyLoRA): the other keys remapped as ``defaultRemap(_:request:)`` does, then the
  /// shared ones after them under the name `sharedKey` gives them (nil for a key that is not shared).
  public func remapSharing(
    _ checkpoint: StateDict, request: LoadRequest, sharedKey: (String) -> String?
  ) -> StateDict {
    var shared: [StateDict.Entry] = []
    var rest: [StateDict.Entry] = []
    for entry in checkpoint.entries {
      if let key = sharedKey(entry.key) {
        var renamed = entry
        renamed.key = key
        shared.append(renamed)
      } else {
        rest.append(entry)
      }
    }
    var result = defaultRemap(StateDict(rest), request: request)
    for entry in shared { result[entry.key] = entry }
    return result
  }
}
