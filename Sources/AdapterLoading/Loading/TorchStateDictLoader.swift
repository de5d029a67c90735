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
      if key.isASCII, let walked = key.utf8.withContiguousStorageIfAvailable({ unexpectedWalk(tree, $0) }) {
        // The path walked ends `walked` bytes in (ASCII: a byte is a character).
        if let walked { unexpected.append((key[..<key.utf8.index(key.startIndex, offsetBy: walked)], position, key)) }
        continue
      }
      var node = tree.root
      var rest = key[...]
      var walked = key.startIndex  // end of the path walked so far (before its dot)
      while true {
        if let dot = rest.firstDot() {
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
      let visits = VisitOrder(tree)
      unexpectedKeys = unexpected.map { (visits.index(of: $0.path) ?? Int.max, $0.position, $0.key) }
        .sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }
    return TorchLoadResult(missingKeys: missing, unexpectedKeys: unexpectedKeys, errorMessages: errors, loadedKeys: loaded)
  }

  /// For an ASCII key's bytes: nil when the key names a state-dict entry of the tree, else the length of
  /// the module path its walk reached (the module that reports it unexpected).
  private static func unexpectedWalk(_ tree: ModuleTree, _ key: UnsafeBufferPointer<UInt8>) -> Int? {
    var node = tree.root
    var walked = 0  // end of the path walked so far (before its dot)
    var partStart = 0
    for end in 0..<key.count where key[end] == UInt8(ascii: ".") {
      let part = UnsafeBufferPointer(rebasing: key[partStart..<end])
      guard let position = tree.modules[node].childPosition(ascii: part) else { return walked }
      node = tree.modules[node].children[position].node
      walked = end
      partStart = end + 1
    }
    let leaf = UnsafeBufferPointer(rebasing: key[partStart...])
    return tree.modules[node].hasStateDictTensor(ascii: leaf) ? nil : walked
  }

  /// The position of each module path in torch's walk of the tree (`named_modules(remove_duplicate=False)`
  /// order: a module, then its children depth first in registration order; a shared module under each of its
  /// paths), computed for the paths asked about instead of spelling every path of the model.
  struct VisitOrder {
    let tree: ModuleTree
    /// How many paths the walk visits at and below each module (memoized; modules may be shared).
    private var visits: [Int]

    init(_ tree: ModuleTree) {
      self.tree = tree
      visits = [Int](repeating: -1, count: tree.modules.count)
      var pending: [(node: Int, expanded: Bool)] = [(tree.root, false)]
      while let (node, expanded) = pending.popLast() {
        if expanded {
          var total = 1
          for child in tree[node].children {
            // A count beyond Int is beyond any walk; it only has to stay larger than the indices before it.
            let (sum, overflow) = total.addingReportingOverflow(max(visits[child.node], 0))
            total = overflow ? Int.max : sum
          }
          visits[node] = total
          continue
        }
        guard visits[node] < 0 else { continue }
        visits[node] = 0  // provisional, so that a cycle ends
        pending.append((node, true))
        for child in tree[node].children where visits[child.node] < 0 { pending.append((child.node, false)) }
      }
    }

    /// The index of the first visit of `path` (a path of module names from the root, `""` for the root):
    /// one for each path visited before it. `nil` when the path does not exist.
    func index(of path: Substring) -> Int? {
      var node = tree.root
      var index = 0
      var rest = path
      guard !path.isEmpty else { return 0 }
      while true {
        let dot = rest.firstDot()
        let part = dot.map { rest[..<$0] } ?? rest
        // A module's children have distinct names: the path is this route, visited once.
        guard let position = tree[node].childPosition(named: part) else { return nil }
        let children = tree[node].children
        var before = index &+ 1
        for earlier in children[..<position] {
          let (sum, overflow) = before.addingReportingOverflow(visits[earlier.node])
          before = overflow ? Int.max : sum
        }
        index = before
        node = children[position].node
        guard let dot else { return index }
        rest = rest[rest.index(after: dot)...]
      }
    }
  }

  /// `RuntimeError` text of `load_state_dict` when there are errors.
  static func errorText(className: String, messages: [String]) -> String {
    "Error(s) in loading state_dict for \(className):\n\t" + messages.joined(separator: "\n\t")
  }
}
