import TensorIO

/// PEFT's structural view of which state-dict keys belong to the PEFT method (PEFT ≥ 0.21,
/// `_get_tuner_state_dict_key_prefixes`): everything on tuner layers except the wrapped `base_layer`,
/// plus the tuner model's own containers, ignoring layers inside auxiliary wrappers.
extension PeftModel {
  /// The key prefixes of the PEFT method's tensors; with `adapterName`, adapter-keyed containers
  /// contribute only `<container>.<adapterName>`, and only if they hold that adapter.
  public func tunerKeyPrefixes(adapterName: String? = nil) -> Set<String> {
    Set(tunerKeyPrefixList(adapterName: adapterName))
  }

  /// ``tunerKeyPrefixes(adapterName:)`` as found, a prefix possibly repeated: what ``PrefixSet`` is built
  /// from, without hashing each prefix into a set first.
  func tunerKeyPrefixList(adapterName: String? = nil) -> [String] {
    var prefixes: [String] = []
    forEachTunerKeyPrefix { prefix, adapterDict in
      if let adapterName, let adapterDict {
        if Self.holds(adapterDict, adapterName) { prefixes.append(prefix + "." + adapterName) }
      } else {
        prefixes.append(prefix)
      }
    }
    return prefixes
  }

  /// ``tunerKeyPrefixList(adapterName:)`` for `adapterName` and for every adapter, from one walk of the tree
  /// (a load's keys need both; the walk and its path strings were a quarter of building a Llama-3-70B
  /// PEFT model, twice over).
  func tunerKeyPrefixLists(adapterName: String) -> (own: [String], every: [String]) {
    var own: [String] = []
    var every: [String] = []
    forEachTunerKeyPrefix { prefix, adapterDict in
      every.append(prefix)
      if let adapterDict {
        if Self.holds(adapterDict, adapterName) { own.append(prefix + "." + adapterName) }
      } else {
        own.append(prefix)
      }
    }
    return (own, every)
  }

  /// Every key prefix of the PEFT method's tensors, with the module when it is an adapter-keyed container
  /// (whose prefix a named list narrows to the adapter's entry).
  private func forEachTunerKeyPrefix(_ body: (_ prefix: String, _ adapterDict: Module?) -> Void) {
    var auxiliary: [String] = []
    let structural = tree.namedModules { module in
      switch module.kind {
      case .modulesToSaveWrapper, .trainableTokensWrapper, .tunerModel, .tunerLayer: true
      default: false
      }
    }
    for (name, node) in structural {
      switch tree[node].kind {
      case .modulesToSaveWrapper, .trainableTokensWrapper:
        auxiliary.append(name)
      case .tunerModel:
        forEachAttributePrefix(node, path: name, body)
      case .tunerLayer:
        if !Self.isUnder(name, auxiliary) { forEachAttributePrefix(node, path: name, body) }
      default:
        break
      }
    }
  }

  private func forEachAttributePrefix(_ node: Int, path: String, _ body: (String, Module?) -> Void) {
    let module = tree[node]
    for child in module.children where child.name != "base_layer" && child.name != "model" {
      let childModule = tree[child.node]
      body(ModuleTree.path(path, child.name), childModule.kind.isAdapterDict ? childModule : nil)
    }
    for tensor in module.tensors {
      body(ModuleTree.path(path, tensor.name), nil)
    }
  }

  /// Whether an adapter-keyed container holds `adapterName`'s entry.
  private static func holds(_ adapterDict: Module, _ adapterName: String) -> Bool {
    adapterDict.child(adapterName) != nil || adapterDict.tensors.contains(where: { $0.name == adapterName })
  }

  static func isUnder(_ name: String, _ prefixes: [String]) -> Bool {
    prefixes.contains { name == $0 || name.hasPrefix($0 + ".") }
  }
}

/// `_is_key_under_prefixes`: the key or one of its dotted ancestors is a prefix.
func isKeyUnderPrefixes(_ key: String, _ prefixes: Set<String>) -> Bool {
  PrefixSet(prefixes).covers(key)
}

/// A set of dotted key prefixes that answers "is this key, or one of its dotted ancestors, in the set"
/// without allocating: each candidate prefix of the key is hashed incrementally (FNV-1a over UTF-8)
/// and confirmed byte by byte, on the key's own UTF-8 storage.
struct PrefixSet {
  private var buckets: [UInt64: [[UInt8]]] = [:]
  /// Whether some prefix has this many bytes: a key's other dotted ancestors are not looked up (a
  /// layer's keys have a dozen ancestors, its prefixes one or two lengths).
  private var lengths: [Bool] = []
  let isEmpty: Bool

  init(_ prefixes: some Sequence<String>) {
    var isEmpty = true
    for prefix in prefixes {
      isEmpty = false
      let bytes = Array(prefix.utf8)
      let h = Self.hash(bytes[...])
      if buckets[h]?.contains(bytes) == true { continue }
      buckets[h, default: []].append(bytes)
      if bytes.count >= lengths.count { lengths += repeatElement(false, count: bytes.count + 1 - lengths.count) }
      lengths[bytes.count] = true
    }
    self.isEmpty = isEmpty
  }

  private static func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
  }

  func covers(_ key: String) -> Bool {
    guard !isEmpty else { return false }
    // A native string's bytes are read in place (comparing through the UTF-8 view was half of this test).
    if let answer = key.utf8.withContiguousStorageIfAvailable(covers) { return answer }
    return Array(key.utf8).withUnsafeBufferPointer(covers)
  }

  private func covers(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for (length, b) in key.enumerated() {
      if b == UInt8(ascii: "."), matches(h, key, length) { return true }
      h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3
    }
    return matches(h, key, key.count)
  }

  private func matches(_ h: UInt64, _ key: UnsafeBufferPointer<UInt8>, _ length: Int) -> Bool {
    guard length < lengths.count, lengths[length], let candidates = buckets[h] else { return false }
    return candidates.contains { candidate in
      guard candidate.count == length else { return false }
      for i in 0..<length where candidate[i] != key[i] { return false }
      return true
    }
  }
}

/// `_remove_adapter_name_from_state_dict_key`.
func removeAdapterName(from key: String, adapterName: String) -> String {
  guard key.isPrintableASCII && adapterName.isPrintableASCII else {
    return removeAdapterNameByCharacters(from: key, adapterName: adapterName)
  }
  // Printable ASCII (one byte, one character): the `.<name>` to remove is found by bytes, and the key is
  // copied once, or not at all when it has none (the default remap asks this for every adapter key).
  let bytes = key.utf8
  let name = adapterName.utf8
  guard let lastDot = bytes.lastIndex(of: UInt8(ascii: ".")) else { return key }
  /// Whether `.<name>` ends at `end`.
  func endsWithName(_ end: String.Index) -> String.Index? {
    let length = bytes.distance(from: bytes.startIndex, to: end)
    guard length > name.count else { return nil }
    let dot = bytes.index(end, offsetBy: -(name.count + 1))
    guard bytes[dot] == UInt8(ascii: "."), bytes[bytes.index(after: dot)..<end].elementsEqual(name) else { return nil }
    return dot
  }
  if let dot = endsWithName(bytes.endIndex) { return String(key[..<dot]) }
  guard let dot = endsWithName(lastDot) else { return key }
  // `append(contentsOf:)` of a substring: `String + Substring` is the generic operator, whose first use was
  // instantiated at run time (a protocol-conformance scan of the whole executable).
  var removed = String(key[..<dot])
  removed.append(contentsOf: key[lastDot...])
  return removed
}

/// ``removeAdapterName(from:adapterName:)`` with Swift's comparisons by characters: the definition, used
/// for keys that are not printable ASCII.
func removeAdapterNameByCharacters(from key: String, adapterName: String) -> String {
  guard key.contains(".") else { return key }
  let suffix = "." + adapterName
  if key.hasSuffix(suffix) { return String(key.dropLast(suffix.count)) }
  let (head, last) = splitKey(key)
  let trimmed = head.hasSuffix(suffix) ? String(head.dropLast(suffix.count)) : head
  return trimmed + "." + last
}
