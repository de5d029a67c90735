import TensorIO

/// Builds a ``ModuleTree`` from state-dict keys: every key's parent path is a module, its last
/// component a tensor; then orders siblings and assigns kinds, from the architecture's records where
/// it has them and by convention elsewhere.
///
/// Cost is linear in the total bytes of the names: each component is hashed once against its parent
/// (one dictionary for the whole tree), the recorded structure is walked alongside, and nothing
/// recurses on the input's depth.
struct TreeBuilder {
  private(set) var tree: ModuleTree
  /// `(parent, name) → child` for every module.
  private var childIndex: [ChildKey: Int] = [:]
  /// `(module, tensor name) → position` in the module's tensors.
  private var tensorIndex: [ChildKey: Int] = [:]
  /// Per module: its attribute name and its node in the architecture's records (if recorded).
  private var names: [Substring] = [""]
  private var recordNodes: [Int?] = [RecordTrie.root]
  let architecture: Architecture
  let source: String
  /// For an inferred architecture, `config.vocab_size`: a bias-free `(vocab_size, d)` weight that is not a
  /// head is taken for an embedding.
  var vocabularyRows: Int?
  /// Modules the records do not describe under a recorded parent (config variants), for notes.
  private(set) var unrecordedModules = 0
  /// The previous ASCII key's bytes, and where each of its module parts ends (its dot) with the module it
  /// reaches: checkpoints list keys sorted, so a key's path mostly repeats the previous one's
  /// (`model.layers.17.self_attn.`); the parts before the first byte that differs are that key's modules,
  /// and only the rest is looked up (inserting keys was a tenth of a Llama-3-70B-shaped check, its child
  /// lookups half of that, then walking each part as a `Substring` most of the rest).
  private var previousKey: [UInt8] = []
  private var previousParts: [(end: Int, node: Int)] = []

  /// Names compare by their bytes, as Python's do: `Substring` equality is canonical equivalence,
  /// which would merge an NFC and an NFD spelling of one name into one module.
  private struct ChildKey: Hashable {
    var parent: Int
    var name: Substring

    static func == (a: ChildKey, b: ChildKey) -> Bool { a.parent == b.parent && a.name.utf8.elementsEqual(b.name.utf8) }
    func hash(into hasher: inout Hasher) {
      hasher.combine(parent)
      if name.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
        for byte in name.utf8 { hasher.combine(byte) }
      }
    }
  }

  /// `expectedKeys`: how many keys will be inserted, to size the indexes once.
  init(architecture: Architecture, source: String, expectedKeys: Int = 0) {
    self.architecture = architecture
    self.source = source
    tree = ModuleTree(root: Module(kind: .container, className: "Module"))
    childIndex.reserveCapacity(expectedKeys)
    tensorIndex.reserveCapacity(expectedKeys)
  }

  mutating func insert(key: String, info: TensorInfo, tiedTo: String? = nil) throws(BaseModelError) {
    guard isValidParameterName(key) else {
      throw BaseModelError(source: source, subject: key, detail: "not a valid parameter name")
    }
    let placedByBytes =
      key.utf8.withContiguousStorageIfAvailable { bytes in bytes.allSatisfy { $0 < 0x80 } ? module(ofASCII: key, bytes) : nil }
      ?? nil
    let (parent, tensorName) = placedByBytes ?? module(of: key)
    let tensor = ModuleTensor(name: String(tensorName), info: info, tiedTo: tiedTo)
    let slot = ChildKey(parent: parent, name: tensorName)
    if let existing = tensorIndex[slot] {
      tree[parent].tensors[existing] = tensor
    } else {
      tensorIndex[slot] = tree[parent].tensors.count
      tree[parent].tensors.append(tensor)
    }
  }

  /// The module holding an ASCII key's tensor (made as needed), and the tensor's name. One byte is one
  /// character, so the parts are split at every dot, as ``Substring/firstDot()`` splits them.
  private mutating func module(ofASCII key: String, _ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Substring) {
    let common = previousKey.withUnsafeBufferPointer { ByteSearch.commonPrefixLength(bytes, $0) }
    var node = tree.root
    var depth = 0
    // The previous key's parts whose dot comes before the first differing byte are this key's too.
    while depth < previousParts.count && previousParts[depth].end < common {
      node = previousParts[depth].node
      depth += 1
    }
    previousParts.removeSubrange(depth...)
    var start = depth == 0 ? 0 : previousParts[depth - 1].end + 1
    let utf8 = key.utf8
    for end in start..<bytes.count where bytes[end] == UInt8(ascii: ".") {
      node = child(of: node, named: key[utf8.index(utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: end)])
      previousParts.append((end, node))
      start = end + 1
    }
    previousKey.removeAll(keepingCapacity: true)
    previousKey.append(contentsOf: bytes)
    return (node, key[utf8.index(utf8.startIndex, offsetBy: start)...])
  }

  /// ``module(ofASCII:_:)`` for any key, its parts split by characters (`firstDot`, which
  /// ``ModuleTree/module(at:)`` and torch's load use, so what is built here is found there).
  private mutating func module(of key: String) -> (Int, Substring) {
    var node = tree.root
    var parts = key[...]
    while let dot = parts.firstDot() {
      node = child(of: node, named: parts[..<dot])
      // After a dot that is a character of its own, its next byte starts the next character.
      parts = parts[parts.utf8.index(after: dot)...]
    }
    // The next ASCII key shares no parts with this one by bytes.
    previousKey.removeAll(keepingCapacity: true)
    previousParts.removeAll(keepingCapacity: true)
    return (node, parts)
  }

  private mutating func child(of parent: Int, named name: Substring) -> Int {
    let slot = ChildKey(parent: parent, name: name)
    if let node = childIndex[slot] { return node }
    let node = tree.add(Module(kind: .container, className: "Module"))
    tree.appendChild(parent, String(name), node)
    childIndex[slot] = node
    names.append(name)
    let record = architecture.records.child(recordNodes[parent], name)
    if record == nil, recordNodes[parent] != nil { unrecordedModules += 1 }
    recordNodes.append(record)
    return node
  }

  /// Orders everything and assigns kinds and class names.
  func finish() throws(BaseModelError) -> ModuleTree {
    var tree = self.tree
    let pythonModule = architecture.recordedClass?.pythonModule ?? ""
    // Per recorded node, its class names: a model's 80 layers share each record (two strings per module
    // were a sixth of building a Llama-3-70B-shaped model).
    var recordedNames = [(short: String, qualified: String)?](repeating: nil, count: architecture.records.nodes.count)
    for node in tree.modules.indices {
      let record = architecture.records.record(recordNodes[node])
      let name = String(names[node])
      if tree[node].children.count > 1 {
        let children = tree[node].children
        let ranks = Self.ranks(of: children.map { $0.name }, record)
        let order = children.indices.sorted { a, b in
          ranks[a] != ranks[b] ? ranks[a] < ranks[b] : Self.naturalPrecedes(children[a].name, children[b].name)
        }
        tree[node].children = order.map { children[$0] }
      }
      if tree[node].tensors.count > 1 {
        tree[node].tensors.sort { Self.tensorPrecedes($0.name, $1.name, record) }
      }
      if !tree[node].children.isEmpty,
        let clash = tree[node].tensors.first(where: { childIndex[ChildKey(parent: node, name: $0.name[...])] != nil })
      {
        throw BaseModelError(source: source, subject: clash.name, detail: "is both a tensor and a module")
      }
      tree[node].kind = Self.kind(of: tree[node], name: name, record: record, architecture: architecture)
      if record == nil, let rows = vocabularyRows, case .linear(_, let out, false) = tree[node].kind, out == rows,
        !Architecture.conventionalHeadNames.contains(name), tree[node].tensors.count == 1
      {
        tree[node].kind = .embedding(numEmbeddings: out, embeddingDim: tree[node].tensors[0].info.shape[1])
      }
      if let recordNode = recordNodes[node], let record, !record.className.isEmpty {
        let names = recordedNames[recordNode] ?? (record.shortClassName, record.qualifiedClassName(module: pythonModule))
        recordedNames[recordNode] = names
        tree[node].className = names.short
        tree[node].pythonClass = names.qualified
      } else {
        tree[node].className = Self.className(of: tree[node], record: record)
        tree[node].pythonClass = record.map { $0.qualifiedClassName(module: pythonModule) }
      }
    }
    tree[tree.root].className = architecture.recordedClass?.name ?? "Module"
    return tree
  }

  // MARK: Ordering

  /// Sibling ranks: a recorded parent's order, with each child it does not record (a config variant,
  /// such as T5's gated `wi_0`/`wi_1` where the default config has `wi`) placed right after the last
  /// recorded sibling that comes before it by convention; without a record, the conventional order.
  /// Ties (indices, unknown names) fall back to natural order.
  /// One rank per name, in the order of `names` (an array: a `[String: Double]` here was the only one of its
  /// type a check made, and instantiating it at run time scanned every protocol conformance of the executable).
  static func ranks(of names: [String], _ record: ModuleRecord?) -> [Double] {
    let conventional = Architecture.conventionalRanks
    guard let record else {
      return names.map { conventional[$0].map(Double.init) ?? .infinity }
    }
    var recordedByConvention: [(conventional: Int, rank: Int)] = []
    for (i, child) in record.children.enumerated() {
      if let c = conventional[child] { recordedByConvention.append((c, i)) }
    }
    return names.map { name in
      let key = isIndex(name) ? "*" : name
      if let i = record.children.firstIndex(of: key) { return Double(i) }
      if let c = conventional[name] {
        let before = recordedByConvention.filter { $0.conventional < c }.map { $0.rank }.max()
        return before.map { Double($0) + 0.5 } ?? -0.5
      }
      return Double(record.children.count)
    }
  }

  static func tensorPrecedes(_ a: String, _ b: String, _ record: ModuleRecord?) -> Bool {
    func rank(_ name: String) -> Int {
      if let i = record?.tensors.firstIndex(of: name) { return i }
      return 1000 + (Architecture.tensorOrder[name] ?? 1000)
    }
    let ra = rank(a)
    let rb = rank(b)
    if ra != rb { return ra < rb }
    return naturalPrecedes(a, b)
  }

  /// Numbers by value, then names by code point (`2` before `10`, digits before letters).
  static func naturalPrecedes(_ a: String, _ b: String) -> Bool {
    let na = isIndex(a) ? Int(a) : nil
    let nb = isIndex(b) ? Int(b) : nil
    switch (na, nb) {
    case (let x?, let y?): return x < y
    case (_?, nil): return true
    case (nil, _?): return false
    default: return a < b
    }
  }

  // MARK: Kinds

  static func kind(of module: Module, name: String, record: ModuleRecord?, architecture: Architecture) -> ModuleKind {
    let weight = module.tensors.first { $0.name == "weight" }?.info.shape
    let bias = module.tensors.contains { $0.name == "bias" }
    if let record, let w = weight {
      switch (record.kind, w.count) {
      case (.linear, 2): return .linear(inFeatures: w[1], outFeatures: w[0], bias: bias)
      case (.conv1d, 2): return .conv1D(inFeatures: w[0], outFeatures: w[1], bias: bias)
      case (.embedding, 2): return .embedding(numEmbeddings: w[0], embeddingDim: w[1])
      case (.conv, 3...5):
        return .conv(dimensions: w.count - 2, inChannels: w[1], outChannels: w[0], kernel: Array(w[2...]), bias: bias)
      case (.layernorm, _): return .layerNorm(shape: w, bias: bias)
      case (.other, 1): return bias ? .other : .rmsNorm(shape: w)
      case (.other, _): return module.tensors.contains(where: { $0.info.shape.count == 3 }) ? .experts : .other
      default: break  // a recorded kind whose weight does not fit it: judge by shape
      }
    } else if let record, record.kind == .other, !module.tensors.isEmpty {
      return module.tensors.contains(where: { $0.info.shape.count == 3 }) ? .experts : .other
    }
    if let w = weight {
      switch w.count {
      case 2:
        if Architecture.conventionalEmbeddingNames.contains(name) {
          return .embedding(numEmbeddings: w[0], embeddingDim: w[1])
        }
        return .linear(inFeatures: w[1], outFeatures: w[0], bias: bias)
      case 1:
        return bias ? .layerNorm(shape: w, bias: true) : .rmsNorm(shape: w)
      case 3, 4, 5:
        return .conv(dimensions: w.count - 2, inChannels: w[1], outChannels: w[0], kernel: Array(w[2...]), bias: bias)
      default:
        return .other
      }
    }
    if module.tensors.contains(where: { $0.info.shape.count == 3 }) { return .experts }
    return module.tensors.isEmpty ? .container : .other
  }

  static func className(of module: Module, record: ModuleRecord?) -> String {
    if let record, !record.className.isEmpty { return record.shortClassName }
    switch module.kind {
    case .linear: return "Linear"
    case .embedding: return "Embedding"
    case .conv1D: return "Conv1D"
    case .conv(let d, _, _, _, _): return "Conv\(d)d"
    case .layerNorm: return "LayerNorm"
    case .rmsNorm: return "RMSNorm"
    case .experts: return "Experts"
    case .container:
      return module.children.allSatisfy({ Int($0.name) != nil }) && !module.children.isEmpty ? "ModuleList" : "Module"
    default: return "Module"
    }
  }
}

/// Whether a name is a `ModuleList` index: ASCII digits only (as the records' `*` stands for).
func isIndex(_ name: some StringProtocol) -> Bool {
  !name.isEmpty && name.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
}
