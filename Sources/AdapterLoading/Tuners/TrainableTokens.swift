import TensorIO

/// Trainable tokens (`peft.tuners.trainable_tokens`): `trainable_tokens_delta (len(token_indices), dim)` on
/// the input embedding (and, when the weights are tied, a layer on each tied module that shares the
/// embedding's delta). The originals are non-persistent and never saved.
public struct TrainableTokensTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .trainableTokens }
  public var configClassName: String { "TrainableTokensConfig" }
  public var modelClassName: String { "TrainableTokensModel" }
  public var configFields: Set<String> { commonConfigFields.union(["token_indices", "target_modules", "init_weights"]) }
  public var layerAttributes: [LayerAttribute] {
    [LayerAttribute("trainable_tokens_delta", .parameterDict), LayerAttribute("trainable_tokens_original", .bufferDict(persistent: false))]
  }

  /// `_prepare_adapter_config`: the input embedding's name (`embed_tokens` when unknown).
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? {
    .pattern(base.inputEmbeddingPath ?? "embed_tokens")
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let indices = config.tokenIndices ?? []
    let width: Int
    switch target.base {
    case .embedding(_, let d): width = d
    case .linear(let i, _, _): width = i
    default:
      throw .typeError("Unsupported layer type \(target.typeRepr)")
    }
    let dtype = target.baseTensors.first { $0.name == "weight" }?.info.dtype ?? .f32
    return LayerPlan(
      layerClassName: "TrainableTokensLayer",
      entries: [AdapterEntry("trainable_tokens_delta", .parameter(TensorInfo(dtype: dtype, shape: [indices.count, width])))])
  }

  /// `TrainableTokensModel.inject_adapter`'s tail: modules tied to the embedding get a layer sharing the
  /// embedding layer's delta.
  public func postInjection(_ model: inout PeftModel, adapterName: String, config: AdapterConfig) throws(PythonError) {
    let tiedNames = model.tiedEmbeddingModuleNames()
    guard !tiedNames.isEmpty, model.base.tieWordEmbeddings, let embeddingPath = model.base.inputEmbeddingPath,
      let embedding = model.tree.module(at: embeddingPath, from: model.baseRoot), model.isTunerLayer(embedding)
    else { return }
    for (name, node) in model.tree.namedModules(from: model.baseRoot, removeDuplicates: false)
    where tiedNames.contains(where: { name.hasSuffix($0) }) && node != embedding {
      let base = model.isTunerLayer(node) ? (model.tree[node].child("base_layer") ?? node) : node
      var children: [(String, Int)] = [("base_layer", base)]
      for attribute in ["trainable_tokens_delta", "trainable_tokens_original"] {
        if let shared = model.tree[embedding].child(attribute) { children.append((attribute, shared)) }
      }
      let layer = model.tree.add(Module(kind: .tunerLayer(.trainableTokens), className: "TrainableTokensLayer", children: children))
      let parent = model.tree.module(at: parentPath(name), from: model.baseRoot) ?? model.baseRoot
      model.tree.setChild(parent, String(name.split(separator: ".").last ?? ""), layer)
    }
  }
}
