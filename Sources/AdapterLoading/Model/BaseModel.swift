import TensorIO

/// A base model as `transformers` would instantiate it: its module tree (kinds, shapes, tied weights)
/// and therefore its `state_dict()` in torch order, built from `config.json` and the names, dtypes and
/// shapes of its weights (no tensor data is needed).
///
/// The model class is `config.json`'s `architectures[0]`. Checkpoint names are normalized as
/// transformers 5 does on load (its renamings, the base-model prefix added or stripped key by key,
/// MoE expert fusion, keys the class does not have dropped), tied weights are added under every name
/// they have in the model, and siblings are ordered as the class registers them (``Architecture``).
/// For a class transformers does not register, the structure is inferred from the checkpoint and
/// ``inferences`` says what was inferred.
public struct BaseModel: Sendable, Hashable {
  /// `config.json`.
  public var config: JSONObject
  public var architecture: Architecture
  /// The Python class (`LlamaForCausalLM`); `""` when `config.json` names none.
  public var modelClass: String
  public var tree: ModuleTree
  /// `tie_word_embeddings` as transformers resolves it.
  public var tieWordEmbeddings: Bool
  /// `config.vocab_size`, when given.
  public var vocabSize: Int?
  /// Path of the module `get_input_embeddings()` returns.
  public var inputEmbeddingPath: String?
  /// Path of the module `get_output_embeddings()` returns (`lm_head`), `nil` for models without one.
  public var outputEmbeddingPath: String?
  /// What the normalization did, in plain words (for `--verbose`).
  public var notes: [String]
  /// What was inferred rather than recorded from transformers, each with what it rests on; empty for
  /// a recorded class.
  public var inferences: [String]

  /// The deepest module nesting accepted: Python's default recursion limit, which torch's recursive
  /// module walks hit first.
  public static let maximumDepth = 1000

  /// The model's `state_dict()`: names and infos in torch order, tied weights under every name.
  public var stateDict: StateDict { tree.stateDict() }

  /// Builds the model.
  /// - Parameters:
  ///   - config: `config.json`.
  ///   - weights: the weights' table (every shard merged).
  ///   - source: the folder, for messages.
  /// - Throws: ``BaseModelError`` when a weight cannot be placed (inconsistent expert shapes, a name
  ///   that is both a tensor and a module).
  public init(config: JSONObject, weights: TensorTable, source: String = "model") throws(BaseModelError) {
    self.config = config
    let modelType = config["model_type"]?.stringValue ?? ""
    modelClass = config["architectures"]?.arrayValue?.first?.stringValue ?? ""
    architecture = Architecture.resolve(modelType: modelType, modelClass: modelClass)
    vocabSize = config["vocab_size"]?.intValue
    tieWordEmbeddings = config["tie_word_embeddings"]?.boolValue ?? architecture.defaultTieWordEmbeddings
    notes = []
    inferences = []
    if case .inferred(let facts) = architecture.provenance { inferences = facts }
    tree = ModuleTree(root: Module(kind: .container, className: "Module"))
    var keys = weights.entries.map { (key: $0.name, info: $0.info) }
    try Self.validateNames(keys, source: source)
    keys = renamed(keys)
    if let fusion = architecture.expertFusion {
      keys = try ExpertFuser(fusion: fusion, source: source).fuse(keys, notes: &notes)
    }
    keys = architecture.isRecorded ? placedAsRecorded(keys) : placedAsInferred(keys)
    var builder = TreeBuilder(architecture: architecture, source: source, expectedKeys: keys.count)
    if !architecture.isRecorded { builder.vocabularyRows = vocabSize }
    for entry in withTiedWeights(keys) { try builder.insert(key: entry.key, info: entry.info, tiedTo: entry.tiedTo) }
    tree = try builder.finish()
    if architecture.isRecorded, builder.unrecordedModules > 0 {
      notes.append("\(builder.unrecordedModules) module(s) not in the recorded \(modelClass) (a config variant): "
        + "placed after the recorded sibling that precedes them by convention")
    }
    locateEmbeddings()
    if !architecture.isRecorded { noteEmbeddingsTakenByShape() }
  }

  /// Names torch can register: valid dotted names, nested no deeper than torch's recursive module walks
  /// (`named_modules`, `state_dict`) reach before Python's recursion limit — paths that deep would also
  /// cost quadratic time here.
  private static func validateNames(_ keys: [(key: String, info: TensorInfo)], source: String) throws(BaseModelError) {
    for (key, _) in keys {
      // One pass over the bytes for both checks (19k names on a real-size MoE base).
      guard let depth = dottedDepth(key) else {
        throw BaseModelError(source: source, subject: key, detail: "not a valid parameter name")
      }
      guard depth < maximumDepth else {
        throw BaseModelError(
          source: source, subject: String(key.prefix(80)) + "…",
          detail: "has \(depth + 1) dot-separated parts; torch cannot nest modules deeper than Python's recursion "
            + "limit (\(maximumDepth))")
      }
    }
  }

  /// For an inferred architecture, says which embeddings were recognized by shape rather than by name.
  private mutating func noteEmbeddingsTakenByShape() {
    let byShape = tree.namedModules().filter { entry in
      guard case .embedding = tree[entry.node].kind else { return false }
      let name = entry.name.split(separator: ".").last.map(String.init) ?? entry.name
      return !Architecture.conventionalEmbeddingNames.contains(name)
    }.map(\.name)
    if !byShape.isEmpty {
      inferences.append("taken for embeddings by shape (vocab_size rows, no bias): \(byShape.joined(separator: ", "))")
    }
  }

  // MARK: Head kind

  /// Whether the class can generate (`PeftModelForCausalLM` needs its `prepare_inputs_for_generation`).
  var canGenerate: Bool {
    if let recorded = architecture.recordedClass { return recorded.hasPrepareInputs }
    return ["ForCausalLM", "LMHeadModel", "ForConditionalGeneration", "WithLMHead"].contains { modelClass.hasSuffix($0) }
  }

  /// Whether the class is a task head over a backbone rather than the bare model.
  var isHeadModel: Bool {
    if let recorded = architecture.recordedClass { return !recorded.tasks.contains("base") }
    return !modelClass.isEmpty && (!modelClass.hasSuffix("Model") || modelClass.hasSuffix("LMHeadModel"))
  }

  // MARK: Normalization

  /// transformers' renamings (the class's conversion, then the legacy ones), each key through all of them.
  private mutating func renamed(_ keys: [(key: String, info: TensorInfo)]) -> [(key: String, info: TensorInfo)] {
    let renamings = architecture.keyRenamings
    guard !renamings.isEmpty else { return keys }
    var count = 0
    var example = ""
    var result = keys
    // Renaming by renaming (each key still goes through all of them in order): a `KeyRenaming` copied
    // out of the array once per key and renaming was a third of this on 19k-tensor checkpoints.
    var joined = JoinedKeys(result)
    for renaming in renamings where renaming.mayMatchAny(of: &joined) {
      var renamedAny = false
      for i in result.indices {
        if let next = renaming.apply(to: result[i].key) {
          result[i].key = next
          renamedAny = true
        }
      }
      // The next renaming sees the keys as this one left them.
      if renamedAny { joined = JoinedKeys(result) }
    }
    for (entry, after) in zip(keys, result) where after.key != entry.key {
      if count == 0 { example = "\(entry.key) → \(after.key)" }
      count += 1
    }
    if count > 0 { notes.append("renamed \(count) checkpoint key(s) as transformers does on load, e.g. \(example)") }
    return result
  }

  /// transformers 5's placement of each key against the recorded class (`rename_source_key`): the base
  /// prefix stripped when the key is the model's without it, else added when the key is the model's
  /// with it; keys the class cannot hold (a head the class lacks, an old buffer) are dropped.
  private mutating func placedAsRecorded(_ keys: [(key: String, info: TensorInfo)]) -> [(key: String, info: TensorInfo)] {
    let records = architecture.records
    let prefix = architecture.baseModelPrefix
    let dottedPrefix = prefix + "."
    // The prefix's node, looked up once: "is `prefix.key` recorded" is then "is `key` recorded below it".
    let prefixNode = prefix.isEmpty ? nil : records.node(at: prefix[...])
    let rootChildren = Set((records.record(RecordTrie.root)?.children ?? []).map { $0[...] })
    let rootTensors = Set(records.record(RecordTrie.root)?.tensors ?? [])
    let ignore = (architecture.recordedClass?.ignoreOnLoadUnexpected ?? []).compactMap {
      try? PythonRegex($0, field: "_keys_to_ignore_on_load_unexpected")
    }
    var added = 0
    var stripped = 0
    var dropped: [String] = []
    var result: [(key: String, info: TensorInfo)] = []
    result.reserveCapacity(keys.count)
    for (original, info) in keys {
      var key = original
      if !prefix.isEmpty {
        let withoutPrefix = key.hasPrefix(dottedPrefix) ? key.utf8.dropFirst(dottedPrefix.utf8.count) : nil
        if let withoutPrefix, records.recognizes(Substring(withoutPrefix)) {
          key = String(Substring(withoutPrefix))
          stripped += 1
        } else if let prefixNode, records.recognizes(key[...], from: prefixNode) {
          key = dottedPrefix + key
          added += 1
        }
      }
      let known = records.recognizes(key[...])
      let outside: Bool
      if let dot = key.utf8.firstIndex(of: UInt8(ascii: ".")) {
        outside = !rootChildren.contains(key[..<dot])
      } else {
        outside = !rootTensors.contains(key)
      }
      if !known && (outside || records.isNonPersistentBuffer(key[...]) || ignore.contains(where: { (try? $0.search(key)) ?? false })) {
        dropped.append(original)
        continue
      }
      result.append((key, info))
    }
    if added > 0 { notes.append("checkpoint saved from the base model: added the '\(prefix).' prefix to \(added) key(s)") }
    if stripped > 0 { notes.append("checkpoint saved from a head model: removed the '\(prefix).' prefix from \(stripped) key(s)") }
    if !dropped.isEmpty {
      notes.append("ignored \(dropped.count) checkpoint tensor(s) \(modelClass) does not have (transformers drops them on load), e.g. \(dropped[0])")
    }
    return result
  }

  /// A class transformers does not register: the checkpoint's names are the model's (remote code saves
  /// its own state dict); the backbone prefix and heads are inferred from the key tree.
  private mutating func placedAsInferred(_ keys: [(key: String, info: TensorInfo)]) -> [(key: String, info: TensorInfo)] {
    let inference = KeyTreeInference(keys: keys.map(\.key), modelClass: modelClass)
    architecture.baseModelPrefix = inference.backbone ?? architecture.baseModelPrefix
    architecture.holdsBackbone = inference.backbone != nil && isHeadModel
    inferences.append(contentsOf: inference.facts)
    inferences.append(
      "key order follows transformers' common conventions (embeddings, layers, attention before MLP, norms, heads): "
        + "the real class may register its modules in another order, which changes only the order of reported keys")
    return keys
  }

  // MARK: Ties

  /// The checkpoint's keys plus every tied alias the model has (`_tied_weights_keys` when
  /// `tie_word_embeddings` is on): a target saved too is marked tied, a target not saved is added.
  private mutating func withTiedWeights(_ keys: [(key: String, info: TensorInfo)])
    -> [(key: String, info: TensorInfo, tiedTo: String?)]
  {
    var result = keys.map { (key: $0.key, info: $0.info, tiedTo: String?.none) }
    guard tieWordEmbeddings else { return result }
    var position: [String: Int] = [:]
    for (i, entry) in result.enumerated() { position[entry.key] = i }
    var added: [String] = []
    for (target, source) in tiedWeightPairs(position) {
      guard let s = position[source] else { continue }
      if let t = position[target] {
        result[t].tiedTo = source
      } else {
        position[target] = result.count
        result.append((target, result[s].info, source))
        added.append(target)
      }
    }
    if !added.isEmpty {
      notes.append("tied weight(s) present in the state dict but not in the file: \(added.joined(separator: ", "))")
      if !architecture.isRecorded {
        let why = config["tie_word_embeddings"] == nil
          ? "config.json does not say tie_word_embeddings; transformers' PretrainedConfig default (true) assumed"
          : "tie_word_embeddings is true"
        inferences.append("\(added.joined(separator: ", ")) taken as tied to the input embeddings (\(why))")
      }
    }
    return result
  }

  /// `(target, source)` state-dict keys of the tied weights: the recorded class's, with layer indices
  /// filled in from the checkpoint; for an inferred class, the output head tied to the input embeddings.
  func tiedWeightPairs(_ keys: [String: Int]) -> [(target: String, source: String)] {
    if let recorded = architecture.recordedClass {
      var pairs: [(String, String)] = []
      for (target, source) in recorded.tiedWeights {
        guard target.contains("*") else {
          pairs.append((target, source))
          continue
        }
        // `a.*.b` → every index the checkpoint has for the source.
        for key in keys.keys.sorted() where ModuleRecord.pattern(of: key) == source {
          let indices = key.split(separator: ".").filter { isIndex($0) }
          var filled = target
          for index in indices {
            if let star = filled.firstRange(of: "*") { filled.replaceSubrange(star, with: index) }
          }
          // A pattern that loses a fixed index (Zamba ties every layer's shared block to the first
          // hybrid layer's) cannot be filled back: never tie a weight to itself.
          if filled != key { pairs.append((filled, key)) }
        }
      }
      return pairs
    }
    guard canGenerate, let input = KeyTreeInference.inputEmbeddingKey(in: keys) else { return [] }
    return [("lm_head.weight", input)]
  }

  // MARK: Embeddings

  private mutating func locateEmbeddings() {
    if let recorded = architecture.recordedClass {
      inputEmbeddingPath = recorded.inputEmbedding.flatMap { tree.module(at: $0) != nil ? $0 : nil }
      outputEmbeddingPath = recorded.outputEmbedding.flatMap { tree.module(at: $0) != nil ? $0 : nil }
      if inputEmbeddingPath != nil || recorded.inputEmbedding == nil { return }
    }
    let modules = tree.namedModules()
    for name in KeyTreeInference.inputEmbeddingNames {
      if let hit = modules.first(where: { ($0.name == name || $0.name.hasSuffix("." + name)) && isEmbedding($0.node) }) {
        inputEmbeddingPath = hit.name
        break
      }
    }
    if inputEmbeddingPath == nil {
      inputEmbeddingPath = modules.first { isEmbedding($0.node) }?.name
    }
    if !architecture.isRecorded, canGenerate, tree.module(at: "lm_head") != nil {
      outputEmbeddingPath = "lm_head"
    }
  }

  private func isEmbedding(_ node: Int) -> Bool {
    if case .embedding = tree[node].kind { return true }
    return false
  }
}

/// A dotted name torch can register: non-empty parts (no leading, trailing or doubled dot). Scanned on
/// bytes: this runs once per tensor of very large checkpoints.
func isValidParameterName(_ key: String) -> Bool { dottedDepth(key) != nil }

/// The number of dots in a valid parameter name (non-empty parts only), nil for an invalid one.
func dottedDepth(_ key: String) -> Int? {
  let dot = UInt8(ascii: ".")
  // In place: `withUTF8` on a copy retained and released each of a base's names.
  return key.withUTF8Bytes { bytes -> Int? in
    guard let first = bytes.first, let last = bytes.last, first != dot, last != dot else { return nil }
    var dots = 0
    var position = 0
    var previous: UInt8 = 0
    #if _endian(little)
      // Eight bytes a step (every name of a base is read here: 19k on a real-size MoE): a mask with 0x80 in
      // each byte that is a dot; two dots side by side are adjacent bits eight apart.
      let raw = UnsafeRawBufferPointer(bytes)
      let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
      var lastWasDot: UInt64 = 0
      while position + 8 <= bytes.count {
        let word = raw.loadUnaligned(fromByteOffset: position, as: UInt64.self) ^ 0x2E2E_2E2E_2E2E_2E2E
        let dotMask = ~(((word & low) &+ low) | word | low)
        if dotMask & (dotMask >> 8 | lastWasDot) != 0 { return nil }
        // The dots summed by a multiply (a byte each, 0 or 1): a portable build has no popcount instruction.
        dots += Int(truncatingIfNeeded: ((dotMask >> 7) &* 0x0101_0101_0101_0101) >> 56)
        lastWasDot = dotMask >> 56
        position += 8
      }
      if lastWasDot != 0 { previous = dot }
    #endif
    while position < bytes.count {
      let byte = bytes[position]
      if byte == dot {
        if previous == dot { return nil }
        dots += 1
      }
      previous = byte
      position += 1
    }
    return dots
  }
}

func splitKey(_ key: String) -> (module: String, tensor: String) {
  guard let dot = key.lastIndex(of: ".") else { return ("", key) }
  return (String(key[..<dot]), String(key[key.index(after: dot)...]))
}

func parentPath(_ path: String) -> String {
  if path.isASCII {
    guard let dot = path.utf8.lastIndex(of: UInt8(ascii: ".")) else { return "" }
    return String(path[..<dot])
  }
  guard let dot = path.lastIndex(of: ".") else { return "" }
  return String(path[..<dot])
}
