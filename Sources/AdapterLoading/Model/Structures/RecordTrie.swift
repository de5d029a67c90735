/// The recorded modules of a class as a trie over path components, so that building a model walks the
/// records alongside the checkpoint's names in constant time per component (`*` stands for an index).
struct RecordTrie: Sendable, Hashable {
  struct Node: Sendable, Hashable {
    /// Keyed by substrings so that walking a checkpoint's names looks children up without copying them.
    var children: [Substring: Int] = [:]
    var record: ModuleRecord?
    /// The `*` child, and whether some child is named by digits: an index is then looked up by `*` alone
    /// (three of a layer key's parts are indices or under one).
    var star: Int?
    var hasIndexChild = false
    /// This node's name, and its children by a hash of their names' bytes: making and hashing a `Substring`
    /// per part was most of walking a name. An ASCII name is its own normal form, so its bytes compare as the
    /// strings do; a node with a child of other bytes, or two whose hashes collide, is searched by `children`.
    var name: [UInt8] = []
    var byBytes: [UInt64: Int] = [:]
    var searchedByBytes = true
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
        stack.append((child, addChild(name, to: t)))
      }
    }
  }

  private mutating func insert(_ parts: [Substring]) -> Int {
    var node = Self.root
    for part in parts {
      node = nodes[node].children[part] ?? addChild(part, to: node)
    }
    return node
  }

  private mutating func addChild(_ name: Substring, to parent: Int) -> Int {
    let created = nodes.count
    nodes.append(Node(name: Array(name.utf8)))
    nodes[parent].children[name] = created
    if name == "*" { nodes[parent].star = created }
    if isIndex(name) { nodes[parent].hasIndexChild = true }
    let isASCII = name.utf8.allSatisfy { $0 < 0x80 }
    if !isASCII || nodes[parent].byBytes.updateValue(created, forKey: Self.hash(nodes[created].name[...])) != nil {
      nodes[parent].searchedByBytes = false
    }
    return created
  }

  /// FNV-1a over a name's bytes.
  private static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
  }

  /// The node for a child named `name` (an index matches `*`), if recorded.
  func child(_ node: Int?, _ name: Substring) -> Int? {
    guard let node else { return nil }
    if let found = name.utf8.withContiguousStorageIfAvailable({ child(node, bytes: $0, name) }) { return found }
    return Array(name.utf8).withUnsafeBufferPointer { child(node, bytes: $0, name) }
  }

  /// ``child(_:_:)`` on the name's bytes; `name` is made only when the node must be searched by strings.
  private func child(_ node: Int, bytes: UnsafeBufferPointer<UInt8>, _ name: @autoclosure () -> Substring) -> Int? {
    var index = !bytes.isEmpty
    var ascii = true
    for b in bytes {
      if b < 0x30 || b > 0x39 { index = false }
      if b >= 0x80 { ascii = false }
    }
    if index && !nodes[node].hasIndexChild { return nodes[node].star }
    let hit: Int?
    if ascii && nodes[node].searchedByBytes {
      let found = nodes[node].byBytes[Self.hash(bytes)]
      hit = found.flatMap { nodes[$0].name.elementsEqual(bytes) ? $0 : nil }
    } else {
      hit = nodes[node].children[name()]
    }
    return hit ?? (index ? nodes[node].star : nil)
  }

  func record(_ node: Int?) -> ModuleRecord? { node.flatMap { nodes[$0].record } }

  /// The node at a dotted path below `start` (the root by default), if recorded. Walks the path's
  /// components in place: building a model asks this for every checkpoint key, several times.
  func node(at path: Substring, from start: Int = Self.root) -> Int? {
    if path.isEmpty { return start }
    func walk(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
      var node = start
      var partStart = 0
      let utf8 = path.utf8
      for end in 0...bytes.count where end == bytes.count || bytes[end] == UInt8(ascii: ".") {
        // The part as a substring only when the node must be searched by strings.
        let part = UnsafeBufferPointer(rebasing: bytes[partStart..<end])
        guard
          let next = child(
            node, bytes: part, path[utf8.index(utf8.startIndex, offsetBy: partStart)..<utf8.index(utf8.startIndex, offsetBy: end)])
        else { return nil }
        node = next
        partStart = end + 1
      }
      return node
    }
    if let walked = path.utf8.withContiguousStorageIfAvailable(walk) { return walked }
    return Array(path.utf8).withUnsafeBufferPointer(walk)
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
