extension BaseModel {
  /// For an inferred architecture, the backbone prefix the adapters' own keys reveal: an adapter is saved
  /// from the real model, so when every one of its module paths that the checkpoint lacks is the
  /// checkpoint's path under one extra leading name `P`, the model holds its backbone under `P` (the
  /// base was saved from the bare model); when they are all the checkpoint's paths without its backbone
  /// prefix, the model is the bare one. A recorded architecture is returned as is.
  func fitted(to adapters: [AdapterSource]) -> BaseModel {
    guard architecture.provenance.isInferred else { return self }
    let marker = "base_model.model."
    var paths: [[Substring]] = []
    for adapter in adapters {
      for entry in adapter.checkpoint.entries where entry.key.hasPrefix(marker) {
        paths.append(entry.key.dropFirst(marker.count).split(separator: "."))
      }
    }
    let root = tree[tree.root]
    let tops = Set(root.children.map(\.name))
    let strangers = paths.filter { $0.count > 2 && !tops.contains(String($0[0])) }
    guard !strangers.isEmpty else { return self }
    let first = Set(strangers.map { String($0[0]) })
    if first.count == 1, let prefix = first.first, strangers.allSatisfy({ tops.contains(String($0[1])) }) {
      return reRooted(under: prefix)
    }
    if let backbone = root.child(architecture.baseModelPrefix), !architecture.baseModelPrefix.isEmpty {
      let inner = Set(tree[backbone].children.map(\.name))
      if strangers.allSatisfy({ inner.contains(String($0[0])) }) { return unwrapped(backbone) }
    }
    return self
  }

  /// The checkpoint's top-level modules moved under `prefix`, its conventional heads left in place.
  private func reRooted(under prefix: String) -> BaseModel {
    var model = self
    let old = tree[tree.root]
    let heads = old.children.filter { Architecture.conventionalHeadNames.contains($0.name) }
    let isHead = { (path: String) in Architecture.conventionalHeadNames.contains(String(path.split(separator: ".")[0])) }
    var backbone = old
    backbone.children = old.children.filter { !Architecture.conventionalHeadNames.contains($0.name) }
    backbone.className = "Module"
    let backboneNode = model.tree.add(backbone)
    let newRoot = model.tree.add(
      Module(kind: .container, className: old.className, children: [(prefix, backboneNode)] + heads.map { ($0.name, $0.node) }))
    model.tree.root = newRoot
    model.retargetTies { isHead($0) ? $0 : prefix + "." + $0 }
    model.architecture.baseModelPrefix = prefix
    model.architecture.holdsBackbone = true
    model.inputEmbeddingPath = inputEmbeddingPath.map { isHead($0) ? $0 : prefix + "." + $0 }
    model.outputEmbeddingPath = outputEmbeddingPath.map { isHead($0) ? $0 : prefix + "." + $0 }
    model.inferences.removeAll { $0.hasPrefix("no backbone prefix") }
    model.inferences.append(
      "backbone prefix '\(prefix).' inferred from the adapter's keys: the base checkpoint was saved without it "
        + "(from the bare model), the adapter from a model that holds the backbone under '\(prefix)'")
    return model
  }

  /// The backbone alone: the adapter was made on the bare model, the checkpoint saved from a head model.
  private func unwrapped(_ backbone: Int) -> BaseModel {
    var model = self
    let prefix = architecture.baseModelPrefix
    model.tree.root = backbone
    model.retargetTies { $0.hasPrefix(prefix + ".") ? String($0.dropFirst(prefix.count + 1)) : $0 }
    model.architecture.holdsBackbone = false
    model.architecture.baseModelPrefix = ""
    func inner(_ path: String?) -> String? {
      guard let path, path.hasPrefix(prefix + ".") else { return nil }
      return String(path.dropFirst(prefix.count + 1))
    }
    model.inputEmbeddingPath = inner(inputEmbeddingPath)
    model.outputEmbeddingPath = inner(outputEmbeddingPath)
    model.inferences.append(
      "the adapter's keys name the backbone's modules without '\(prefix).': the model is taken to be the bare "
        + "backbone (the base checkpoint was saved from a head model; its heads are not part of it)")
    return model
  }

  /// Rewrites every tensor's `tiedTo` key after the tree was re-rooted.
  private mutating func retargetTies(_ rename: (String) -> String) {
    for node in tree.modules.indices {
      for i in tree[node].tensors.indices {
        if let source = tree[node].tensors[i].tiedTo { tree[node].tensors[i].tiedTo = rename(source) }
      }
    }
  }
}
