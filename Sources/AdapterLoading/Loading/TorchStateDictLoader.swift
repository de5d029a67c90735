import TensorIO

/// What `torch.nn.Module.load_state_dict(state_dict, strict=False)` reports for a module tree.
struct TorchLoadResult: Hashable, Sendable {
  /// Model keys (parameters and persistent buffers, under every path) absent from the state dict, in
  /// `state_dict()` order.
  var missingKeys: [String]
  /// State-dict keys the model has no place for, in the order torch reports them (by the module that
  /// would have owned them, in traversal order, then in state-dict order).
  var unexpectedKeys: [String]
  /// `size mismatch for …` messages, in traversal order.
  var errorMessages: [String]
  /// Keys that were loaded (present and of the right shape).
  var loadedKeys: [String]
}

/// torch 2.x `Module.load_state_dict` semantics over a ``ModuleTree``, computed from names and shapes.
enum TorchStateDictLoader {
  static func load(_ tree: ModuleTree, _ stateDict: StateDict) -> TorchLoadResult {
    load(tree, modelEntries: tree.stateDictEntries(), stateDict)
  }

  /// The load, given the model's state-dict entries as ``ModuleTree/stateDictEntries(from:prefix:)``
  /// lists them (the caller has them already: building the keys again was a tenth of a simulated load).
  static func load(_ tree: ModuleTree, modelEntries: [StateDict.Entry], _ stateDict: StateDict) -> TorchLoadResult {
    var missing: [String] = []
    var errors: [String] = []
    var loaded: [String] = []
    // torch's walk visits every tensor under every path, in the order of the model's entries.
    for tensor in modelEntries {
      let key = tensor.key
      guard let input = stateDict[key] else {
        missing.append(key)
        continue
      }
      let modelShape = tensor.info.shape
      var inputShape = input.info.shape
      // torch accepts a 1-element 1-D tensor for a 0-D parameter (it indexes `[0]`).
      if modelShape.isEmpty && inputShape.count == 1 { inputShape = [] }
      if inputShape != modelShape {
        errors.append(
          "size mismatch for \(key): copying a param with shape \(torchSizeRepr(input.info.shape)) from checkpoint, "
            + "the shape in current model is \(torchSizeRepr(modelShape)).")
      } else {
        loaded.append(key)
      }
    }

    // A key is unexpected when the walk down its dotted parts fails; it is reported by the module the walk
    // reached (its path is the part of the key walked), ordered as torch visits modules.
    var unexpected: [(path: Substring, position: Int, key: String)] = []
    for (position, entry) in stateDict.entries.enumerated() {
      let key = entry.key
      var node = tree.root
      var rest = key[...]
      var walked = key.startIndex  // end of the path walked so far (before its dot)
      while true {
        if let dot = rest.firstIndex(of: ".") {
          let head = rest[..<dot]
          if let child = tree[node].child(named: head) {
            node = child
            walked = dot
            rest = rest[rest.index(after: dot)...]
            continue
          }
          unexpected.append((key[..<walked], position, key))
        } else {
          let isLocal = tree[node].tensors.contains { $0.name == rest && (!$0.isBuffer || $0.persistent) }
          if !isLocal { unexpected.append((key[..<walked], position, key)) }
        }
        break
      }
    }
    var unexpectedKeys: [String] = []
    if !unexpected.isEmpty {
      let visitIndex = visitIndices(tree)
      unexpectedKeys = unexpected.map { (visitIndex[String($0.path)] ?? Int.max, $0.position, $0.key) }
        .sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }
    return TorchLoadResult(missingKeys: missing, unexpectedKeys: unexpectedKeys, errorMessages: errors, loadedKeys: loaded)
  }

  /// Every module path torch visits (no deduplication: a shared module is visited under each path), with
  /// its first visit's index.
  private static func visitIndices(_ tree: ModuleTree) -> [String: Int] {
    var visitIndex: [String: Int] = [:]
    var stack: [(String, Int)] = [("", tree.root)]
    var counter = 0
    while let (path, node) = stack.popLast() {
      if visitIndex[path] == nil { visitIndex[path] = counter }
      counter += 1
      for child in tree[node].children.reversed() {
        stack.append((path.isEmpty ? child.name : path + "." + child.name, child.node))
      }
    }
    return visitIndex
  }

  /// `RuntimeError` text of `load_state_dict` when there are errors.
  static func errorText(className: String, messages: [String]) -> String {
    "Error(s) in loading state_dict for \(className):\n\t" + messages.joined(separator: "\n\t")
  }
}
