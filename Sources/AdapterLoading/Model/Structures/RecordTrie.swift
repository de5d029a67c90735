/// The recorded modules of a class as a trie over path components, so that building a model walks the
/// records alongside the checkpoint's names in constant time per component (`*` stands for an index).
struct RecordTrie: Sendable, Hashable {
  struct Node: Sendable, Hashable {
    var children: [String: Int] = [:]
    var record: ModuleRecord?
  }

  private(set) var nodes: [Node] = [Node()]
  static let root = 0

  init(_ modules: [String: ModuleRecord]) {
    for (pattern, record) in modules.sorted(by: { $0.key < $1.key }) {
      let node = pattern.isEmpty ? Self.root : insert(pattern.split(separator: ".").map(String.init))
      nodes[node].record = record
    }
  }

  /// `inner` re-rooted under `prefix` (the recorded backbone of an unrecorded head class).
  init(grafting inner: RecordTrie, under prefix: String) {
    self.init([:])
    var node = Self.root
    if !prefix.isEmpty { node = insert(prefix.split(separator: ".").map(String.init)) }
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

  private mutating func insert(_ parts: [String]) -> Int {
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
    if let hit = children[String(name)] { return hit }
    if isIndex(name) { return children["*"] }
    return nil
  }

  func record(_ node: Int?) -> ModuleRecord? { node.flatMap { nodes[$0].record } }

  /// The node at a dotted path, if recorded.
  func node(at path: String) -> Int? {
    var node: Int? = Self.root
    if path.isEmpty { return node }
    for part in path.split(separator: ".", omittingEmptySubsequences: false) { node = child(node, part) }
    return node
  }

  /// Whether `key` is a state-dict key of the recorded class: its module is recorded and holds a tensor
  /// of that name (a `bias` is accepted beside a recorded `weight`, and both on layers: configs switch
  /// biases on and off).
  func recognizes(_ key: String) -> Bool {
    let (module, tensor) = splitKey(key)
    guard let record = record(node(at: module)) else { return false }
    if record.tensors.contains(tensor) { return true }
    let isLayer = record.kind != .other || record.tensors.contains("weight")
    return isLayer && (tensor == "weight" || tensor == "bias")
  }

  /// Whether `key` names a buffer the recorded class registers with `persistent=False`.
  func isNonPersistentBuffer(_ key: String) -> Bool {
    let (module, tensor) = splitKey(key)
    return record(node(at: module))?.nonPersistentBuffers.contains(tensor) ?? false
  }
}
