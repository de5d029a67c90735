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
    var missing: [String] = []
    var errors: [String] = []
    var loaded: [String] = []
    // Every module path torch visits (no deduplication: a shared module is visited under each path),
    // with its visit index, to order unexpected keys.
    var visitIndex: [String: Int] = [:]
    var stack: [(String, Int)] = [("", tree.root)]
    var counter = 0
    while let (path, node) = stack.popLast() {
      if visitIndex[path] == nil { visitIndex[path] = counter }
      counter += 1
      let module = tree[node]
      for tensor in module.tensors where !tensor.isBuffer || tensor.persistent {
        let key = path.isEmpty ? tensor.name : path + "." + tensor.name
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
      for child in module.children.reversed() {
        stack.append((path.isEmpty ? child.name : path + "." + child.name, child.node))
      }
    }

    var unexpected: [(Int, Int, String)] = []
    for (position, entry) in stateDict.entries.enumerated() {
      var node = tree.root
      var path = ""
      var rest = Substring(entry.key)
      while true {
        if let dot = rest.firstIndex(of: ".") {
          let head = String(rest[..<dot])
          if let child = tree[node].child(head) {
            node = child
            path = path.isEmpty ? head : path + "." + head
            rest = rest[rest.index(after: dot)...]
            continue
          }
          unexpected.append((visitIndex[path] ?? Int.max, position, entry.key))
        } else {
          let name = String(rest)
          let isLocal = tree[node].tensors.contains { $0.name == name && (!$0.isBuffer || $0.persistent) }
          if !isLocal { unexpected.append((visitIndex[path] ?? Int.max, position, entry.key)) }
        }
        break
      }
    }
    unexpected.sort { ($0.0, $0.1) < ($1.0, $1.1) }
    return TorchLoadResult(
      missingKeys: missing, unexpectedKeys: unexpected.map(\.2), errorMessages: errors, loadedKeys: loaded)
  }

  /// `RuntimeError` text of `load_state_dict` when there are errors.
  static func errorText(className: String, messages: [String]) -> String {
    "Error(s) in loading state_dict for \(className):\n\t" + messages.joined(separator: "\n\t")
  }
}
