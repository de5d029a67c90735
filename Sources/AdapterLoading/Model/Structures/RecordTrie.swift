/// The recorded modules of a class as a trie over path components, so that building a model walks the
/// records alongside the checkpoint's names in constant time per component (`*` stands for an index).
struct RecordTrie: Sendable, Hashable {
  struct Node: Sendable, Hashable {
    /// Keyed by substrings so that walking a checkpoint's names looks children up without copying them.
    var children: [Substring: Int] = [:]
    var record: ModuleRecord?
  }

  private(set) var nodes: [Node] = [Node()]
  static let root = 0

  init(_ modules: [String: ModuleRecord]) {
    for (pattern, record) in modules.sorted(by: { $0.key < $1.key }) {
      let node = pattern.isEmpty ? Self.root : insert(pattern.split(separator: "."))
      nodes[node].record = record
    }
  }

  /// `inner` re-rooted under `prefix` (the recorded backbone of an unrecorded head class).
  init(grafting inner: RecordTrie, under prefix: String) {
    self.init([:])
    var node = Self.root
    if !prefix.isEmpty { node = insert(prefix.split(separator: ".")) }
    copy(inner, from: Self.root, to: node)
  }

  private mutating func copy(_ other: RecordTrie, from source: Int, to target: Int) {
    var stack = [(source, target)]
    while let (s, t) = stack.popLast() {
      nodes[t].record = other.nodes[s].record
      for (name, child) in other.nodes[s].children {
        let created = nodes.count
        nodes.append(Node())
        nodes[t].children[name] = created
        stack.append((child, created))
      }
    }
  }

  private mutating func insert(_ parts: [Substring]) -> Int {
    var node = Self.root
    for part in parts {
      if let next = nodes[node].children[part] {
        node = next
      } else {
        nodes.append(Node())
        nodes[node].children[part] = nodes.count - 1
        node = nodes.count - 1
      }
    }
    return node
  }

  /// The node for a child named `name` (an index matches `*`), if recorded.
  func child(_ node: Int?, _ name: Substring) -> Int? {
    guard let node else { return nil }
    let children = nodes[node].children
    if let hit = children[name] { return hit }
    if isIndex(name) { return children["*"] }
    return nil
  }

  func record(_ node: Int?) -> ModuleRecord? { node.flatMap { nodes[$0].record } }

  /// The node at a dotted path below `start` (the root by default), if recorded. Walks the path's
  /// components in place: building a model asks this for every checkpoint key, several times.
  func node(at path: Substring, from start: Int = Self.root) -> Int? {
    var node: Int? = start
    if path.isEmpty { return node }
    var rest = path
    while let dot = rest.utf8.firstIndex(of: UInt8(ascii: ".")) {
      node = child(node, rest[..<dot])
      if node == nil { return nil }
      rest = rest[rest.utf8.index(after: dot)...]
    }
    return child(node, rest)
  }

  /// Whether `key` (below `start`, the root by default) is a state-dict key of the recorded class: its
  /// module is recorded and holds a tensor of that name (a `bias` is accepted beside a recorded `weight`,
  /// and both on layers: configs switch biases on and off).
  func recognizes(_ key: Substring, from start: Int = Self.root) -> Bool {
    let (module, tensor) = Self.splitKey(key)
    guard let record = record(node(at: module, from: start)) else { return false }
    if record.tensors.contains(where: { $0 == tensor }) { return true }
    let isLayer = record.kind != .other || record.tensors.contains("weight")
    return isLayer && (tensor == "weight" || tensor == "bias")
  }

  /// Whether `key` names a buffer the recorded class registers with `persistent=False`.
  func isNonPersistentBuffer(_ key: Substring) -> Bool {
    let (module, tensor) = Self.splitKey(key)
    return record(node(at: module))?.nonPersistentBuffers.contains(where: { $0 == tensor }) ?? false
  }

  /// `splitKey` on a substring, without copying either part.
  private static func splitKey(_ key: Substring) -> (module: Substring, tensor: Substring) {
    guard let dot = key.utf8.lastIndex(of: UInt8(ascii: ".")) else { return (key[key.endIndex...], key) }
    return (key[..<dot], key[key.utf8.index(after: dot)...])
  }
}
