import TensorIO

/// One tensor registered on a module: a parameter or a buffer.
public struct ModuleTensor: Hashable, Sendable {
  /// The attribute name (`weight`, `bias`, `default`, `gate_up_proj`).
  public var name: String
  public var info: TensorInfo
  /// Whether it is a buffer rather than a parameter.
  public var isBuffer: Bool
  /// Buffers registered with `persistent=False` are not in the state dict.
  public var persistent: Bool
  /// The state-dict key of the tensor this one is tied to (the same storage), if any.
  public var tiedTo: String?

  public init(name: String, info: TensorInfo, isBuffer: Bool = false, persistent: Bool = true, tiedTo: String? = nil) {
    self.name = name
    self.info = info
    self.isBuffer = isBuffer
    self.persistent = persistent
    self.tiedTo = tiedTo
  }
}

/// A module: its kind, class name, own tensors and children, each in torch registration order.
public struct Module: Hashable, Sendable {
  public var kind: ModuleKind
  /// The Python class name (`Linear`, `LlamaRMSNorm`, `ModuleDict`), for messages.
  public var className: String
  /// The fully qualified class (`transformers.models.falcon.modeling_falcon.FalconLinear`) when recorded.
  public var pythonClass: String?
  public var tensors: [ModuleTensor]
  /// Children as indices into the owning ``ModuleTree``; one module may be the child of several
  /// parents (PEFT's shared `vera_A`), which torch's `state_dict()` visits under every path.
  public var children: [(name: String, node: Int)]

  public init(kind: ModuleKind, className: String, tensors: [ModuleTensor] = [], children: [(String, Int)] = []) {
    self.kind = kind
    self.className = className
    self.tensors = tensors
    self.children = children.map { (name: $0.0, node: $0.1) }
  }

  public func child(_ name: String) -> Int? { children.first { $0.name == name }?.node }

  /// ``child(_:)`` for a part of a path. A `ModuleList`'s items are registered in index order, so item
  /// `i` is looked at first (a path through the 80 layers of a large model scanned them one by one); a
  /// module's children have distinct names (``ModuleTree/setChild(_:_:_:)`` replaces, and no other spelling
  /// of an ASCII number equals it), so the first match is that one.
  func child(named name: Substring) -> Int? {
    childPosition(named: name).map { children[$0].node }
  }

  /// The position in ``children`` of the child ``child(named:)`` finds.
  func childPosition(named name: Substring) -> Int? {
    if let i = Int(name), i >= 0, i < children.count, children[i].name == name {
      return i
    }
    return children.firstIndex { $0.name == name }
  }

  /// ``childPosition(named:)`` for a name given as ASCII bytes (a part of an ASCII key, read in place):
  /// walking keys through substrings stepped and rounded them character by character, a fifth of torch's load.
  func childPosition(ascii name: UnsafeBufferPointer<UInt8>) -> Int? {
    if let i = Self.decimal(name), i < children.count, Self.equal(children[i].name, name) { return i }
    if let i = children.firstIndex(where: { Self.equal($0.name, name) }) { return i }
    // Swift compares strings by canonical equivalence: a non-ASCII name (KELVIN SIGN) can equal an ASCII one.
    guard children.contains(where: { !$0.name.isASCII }) else { return nil }
    return childPosition(named: Substring(decoding: name, as: UTF8.self))
  }

  /// Whether a persistent tensor (a state-dict entry) of this module has the name given as ASCII bytes.
  func hasStateDictTensor(ascii name: UnsafeBufferPointer<UInt8>) -> Bool {
    let isKept = { (tensor: ModuleTensor) in !tensor.isBuffer || tensor.persistent }
    if tensors.contains(where: { Self.equal($0.name, name) && isKept($0) }) { return true }
    guard tensors.contains(where: { !$0.name.isASCII }) else { return false }
    let text = String(decoding: name, as: UTF8.self)
    return tensors.contains { $0.name == text && isKept($0) }
  }

  /// The value of a name made of decimal digits only (what can be a `ModuleList` index), else nil.
  private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
    var value = 0
    for b in bytes {
      guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
      value = value * 10 + Int(b - UInt8(ascii: "0"))
    }
    return value
  }

  private static func equal(_ name: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let utf8 = name.utf8
    guard utf8.count == bytes.count else { return false }
    return utf8.withContiguousStorageIfAvailable { $0.elementsEqual(bytes) } ?? utf8.elementsEqual(bytes)
  }


  public static func == (lhs: Module, rhs: Module) -> Bool {
    lhs.kind == rhs.kind && lhs.className == rhs.className && lhs.pythonClass == rhs.pythonClass
      && lhs.tensors == rhs.tensors
      && lhs.children.elementsEqual(rhs.children) { $0.name == $1.name && $0.node == $1.node }
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(kind)
    hasher.combine(className)
    hasher.combine(tensors)
    for c in children {
      hasher.combine(c.name)
      hasher.combine(c.node)
    }
  }
}

/// A torch-like module tree stored as an arena of ``Module`` values, so that modules can be shared
/// between parents and replaced in place, as PEFT does when it injects tuner layers.
public struct ModuleTree: Hashable, Sendable {
  public private(set) var modules: [Module]
  /// The root module's index.
  public var root: Int

  public init(root: Module) {
    modules = [root]
    self.root = 0
  }

  /// Makes room for `count` more modules: a model built from a shared base copies the base's modules at
  /// its first addition, then grew its copy again and again as layers were wrapped (a fifth of an injection).
  mutating func reserveCapacity(adding count: Int) {
    modules.reserveCapacity(modules.count + count)
  }

  /// Adds a module and returns its index (not yet attached to any parent).
  public mutating func add(_ module: Module) -> Int {
    modules.append(module)
    return modules.count - 1
  }

  public subscript(index: Int) -> Module {
    get { modules[index] }
    set { modules[index] = newValue }
  }

  /// Registers `child` under `name` on `parent`, replacing an existing child of that name in place
  /// (torch keeps the registration position when an attribute is reassigned).
  public mutating func setChild(_ parent: Int, _ name: String, _ child: Int) {
    if let i = modules[parent].children.firstIndex(where: { $0.name == name }) {
      modules[parent].children[i].node = child
    } else {
      modules[parent].children.append((name, child))
    }
  }

  /// Registers `child` under a name the parent does not have yet (the caller knows it is new).
  mutating func appendChild(_ parent: Int, _ name: String, _ child: Int) {
    modules[parent].children.append((name, child))
  }

  /// Registers a tensor on a module, replacing one of the same name in place.
  public mutating func setTensor(_ module: Int, _ tensor: ModuleTensor) {
    if let i = modules[module].tensors.firstIndex(where: { $0.name == tensor.name }) {
      modules[module].tensors[i] = tensor
    } else {
      modules[module].tensors.append(tensor)
    }
  }

  /// The module at a dotted path below `from` (root by default), following children only.
  public func module(at path: String, from start: Int? = nil) -> Int? {
    var node = start ?? root
    if path.isEmpty { return node }
    // Part by part without allocating one (called for every targeted module, several times per injection),
    // on the path's bytes where they are ASCII.
    if path.isASCII, let found = path.utf8.withContiguousStorageIfAvailable({ module(atASCII: $0, from: node) }) {
      return found
    }
    var rest = path[...]
    while true {
      let dot = rest.firstDot()
      let part = dot.map { rest[..<$0] } ?? rest
      guard let next = modules[node].child(named: part) else { return nil }
      node = next
      guard let dot else { return node }
      rest = rest[rest.index(after: dot)...]
    }
  }

  /// ``module(at:from:)`` for an ASCII path's bytes.
  private func module(atASCII path: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
    var node = start
    var partStart = 0
    for end in 0...path.count where end == path.count || path[end] == UInt8(ascii: ".") {
      let part = UnsafeBufferPointer(rebasing: path[partStart..<end])
      guard let position = modules[node].childPosition(ascii: part) else { return nil }
      node = modules[node].children[position].node
      partStart = end + 1
    }
    return node
  }

  /// `named_modules()`: pre-order, each module once (the first path that reaches it), root as `""`.
  public func namedModules(from start: Int? = nil, removeDuplicates: Bool = true) -> [(name: String, node: Int)] {
    var result: [(name: String, node: Int)] = []
    // By index, not hashed: a walk marks every module of the model.
    var seen = [Bool](repeating: false, count: removeDuplicates ? modules.count : 0)
    var stack: [(String, Int)] = [("", start ?? root)]
    while let (name, node) = stack.popLast() {
      if removeDuplicates {
        guard !seen[node] else { continue }
        seen[node] = true
      }
      result.append((name, node))
      for child in modules[node].children.reversed() {
        stack.append((Self.path(name, child.name), child.node))
      }
    }
    return result
  }

  /// The last dotted component of every name ``namedModules(from:removeDuplicates:)`` gives from the root
  /// (the root's own `""` included), without building the names: the same walk, each module under the first
  /// path that reaches it.
  func moduleNameEnds() -> Set<String> {
    var result: Set<String> = []
    var seen = [Bool](repeating: false, count: modules.count)
    var stack: [(String, Int)] = [("", root)]
    while let (name, node) = stack.popLast() {
      guard !seen[node] else { continue }
      seen[node] = true
      result.insert(name)
      for child in modules[node].children.reversed() { stack.append((child.name, child.node)) }
    }
    return result
  }

  /// `parent.child` (`child` under the root), built in one allocation: every module name and key of a
  /// walk is built so.
  static func path(_ parent: String, _ child: String, separator: Bool = true) -> String {
    if parent.isEmpty { return child }
    return concatenated(parent, separator ? UInt8(ascii: ".") : nil, child, nil)
  }

  /// `prefix + child + "."`, in one allocation.
  static func childPrefix(_ prefix: String, _ child: String) -> String {
    concatenated(prefix, nil, child, UInt8(ascii: "."))
  }

  /// `a`, then `between` if any, `b`, then `after` if any: the bytes copied whole into the string's one
  /// allocation (reserving, then appending each part was most of listing a model's keys).
  private static func concatenated(_ a: String, _ between: UInt8?, _ b: String, _ after: UInt8?) -> String {
    a.withUTF8Bytes { x in
      b.withUTF8Bytes { y in
        let count = x.count + y.count + (between == nil ? 0 : 1) + (after == nil ? 0 : 1)
        return String(unsafeUninitializedCapacity: count) { buffer in
          var at = buffer.initialize(fromContentsOf: x)
          if let between { buffer[at] = between; at += 1 }
          at = buffer[at...].initialize(fromContentsOf: y)
          if let after { buffer[at] = after; at += 1 }
          return at
        }
      }
    }
  }

  /// ``namedModules(from:removeDuplicates:)`` (deduplicated, from the root) with only the modules
  /// `isWanted` accepts, in the same order under the same names, without building the names of
  /// subtrees that hold none of them. PEFT's key prefixes ask this for a few tuner layers several times
  /// per load, and naming every module of the model for it was a tenth of a simulated load (`perf record`).
  func namedModules(where isWanted: (Module) -> Bool) -> [(name: String, node: Int)] {
    let holds = holding(isWanted)
    var result: [(name: String, node: Int)] = []
    var seen = [Bool](repeating: false, count: modules.count)
    var stack: [(String, Int)] = [("", root)]
    while let (name, node) = stack.popLast() {
      guard !seen[node] else { continue }
      seen[node] = true
      if isWanted(modules[node]) { result.append((name, node)) }
      for child in modules[node].children.reversed() {
        // A subtree without a wanted module is not walked: its modules would only be marked seen, and a
        // module seen there holds nothing wanted wherever else it appears.
        guard holds[child.node] == true else { continue }
        stack.append((Self.path(name, child.name), child.node))
      }
    }
    return result
  }

  /// Which modules have a wanted one at or below them (modules may be shared: computed once each).
  private func holding(_ isWanted: (Module) -> Bool) -> [Bool?] {
    var holds = [Bool?](repeating: nil, count: modules.count)
    var pending: [(node: Int, expanded: Bool)] = [(root, false)]
    while let (node, expanded) = pending.popLast() {
      if expanded {
        holds[node] = isWanted(modules[node]) || modules[node].children.contains { holds[$0.node] == true }
        continue
      }
      guard holds[node] == nil else { continue }
      holds[node] = false  // provisional: a cycle back here counts as holding nothing
      pending.append((node, true))
      for child in modules[node].children where holds[child.node] == nil { pending.append((child.node, false)) }
    }
    return holds
  }

  /// The keys of ``stateDictEntries(from:prefix:)`` (from the root) whose tensor `isWanted` accepts, in the
  /// same order, without building the keys of subtrees that hold none (PEFT's tied-module check asks for the
  /// one or two tied weights of the whole model at every injection).
  func stateDictKeys(where isWanted: (ModuleTensor) -> Bool) -> [String] {
    func isKept(_ tensor: ModuleTensor) -> Bool { (!tensor.isBuffer || tensor.persistent) && isWanted(tensor) }
    let holds = holding { $0.tensors.contains(where: isKept) }
    var keys: [String] = []
    var stack: [(String, Int)] = [("", root)]
    while let (path, node) = stack.popLast() {
      let module = modules[node]
      for tensor in module.tensors where isKept(tensor) { keys.append(Self.path(path, tensor.name, separator: false)) }
      for child in module.children.reversed() where holds[child.node] == true {
        stack.append((Self.childPrefix(path, child.name), child.node))
      }
    }
    return keys
  }

  /// `state_dict()`: every parameter and persistent buffer under every path, in torch order (a
  /// module's own tensors, then its children depth-first in registration order).
  public func stateDict(from start: Int? = nil, prefix: String = "") -> StateDict {
    StateDict(uniqueEntries: stateDictEntries(from: start, prefix: prefix))
  }

  /// ``stateDict(from:prefix:)``'s entries as torch's walk visits them, a key repeated if two paths
  /// spell it alike (torch's `load_state_dict` checks each visit; the state dict keeps one).
  func stateDictEntries(from start: Int? = nil, prefix: String = "") -> [StateDict.Entry] {
    var entries: [StateDict.Entry] = []
    var stack: [(String, Int)] = [(prefix, start ?? root)]
    while let (path, node) = stack.popLast() {
      // Read in place: a copy of the module retained each of its arrays.
      for tensor in modules[node].tensors where !tensor.isBuffer || tensor.persistent {
        entries.append(StateDict.Entry(key: Self.path(path, tensor.name, separator: false), info: tensor.info, tiedTo: tensor.tiedTo))
      }
      for child in modules[node].children.reversed() {
        stack.append((Self.childPrefix(path, child.name), child.node))
      }
    }
    return entries
  }
}
