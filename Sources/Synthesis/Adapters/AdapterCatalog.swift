import AdapterLoading
import SystemSupport
import TensorIO

/// The save side of PEFT, from AdapterLoading's tuner catalog: which tensors an adapter config gives
/// on a synthesized base, under which checkpoint and model keys. (Only injection and saving are used
/// here, never the load simulation.)
public enum AdapterCatalog {
  /// AdapterLoading's view of a synthesized base: its config and the tensors it saves.
  public static func baseModel(_ base: BaseModelDescription) throws(SynthesisError) -> BaseModel {
    // Planning a case reads its bases several times, and a matrix row shares them.
    try baseModels.value(for: base) { () throws(SynthesisError) in try readBase(base) }
  }

  private static let baseModels = Memo<BaseModelDescription, BaseModel>(capacity: 256)

  private static func readBase(_ base: BaseModelDescription) throws(SynthesisError) -> BaseModel {
    var table = TensorTable()
    for spec in base.savedTensors {
      try? table.append(TensorEntry(name: spec.name, info: base.info(of: spec), file: "model.safetensors"))
    }
    do {
      return try BaseModel(config: base.config, weights: table, source: "synthesized \(base.family.rawValue)")
    } catch {
      throw SynthesisError(field: "base", .invalidValue("the adapter catalog cannot read the base: \(error)"))
    }
  }

  /// `target_modules` as PEFT writes it after injection: the architecture's defaults when the config
  /// gives none, `all-linear` expanded to module names. `nil` when nothing matches.
  public static func resolvedTargetModules(config json: JSONObject, base: BaseModelDescription) throws(SynthesisError)
    -> JSONValue?
  {
    // Every case of a matrix row without `target_modules` resolves the same config on the same base.
    try resolvedTargets.value(for: SaveKey(config: json, base: base, adapterName: "default")) { () throws(SynthesisError) in
      try resolveTargetModules(config: json, base: base)
    }
  }

  private static let resolvedTargets = Memo<SaveKey, JSONValue?>(capacity: 4096)

  static func resolveTargetModules(config json: JSONObject, base: BaseModelDescription) throws(SynthesisError)
    -> JSONValue?
  {
    let config: AdapterConfig
    do { config = try AdapterConfig(json: json, source: "adapter_config.json") } catch {
      throw SynthesisError(field: "config", .invalidValue("\(error)"))
    }
    var warnings: [PythonWarning] = []
    guard let peft = try? PeftModel(base: try baseModel(base), config: config, warnings: &warnings),
      let resolved = peft.config(of: "default")?.targetModules
    else { return nil }
    switch resolved {
    case .names(let names): return .array(names.sorted().map { .string($0) })
    case .pattern(let pattern): return .string(pattern)
    }
  }

  /// The tensors `save_pretrained` writes for an adapter with this `adapter_config.json` on `base`,
  /// registered under `adapterName`; `nil` when no module matches the targets
  /// (`NoMatchingPeftModuleError`).
  /// - Throws: ``SynthesisError`` at `adapter.config` when the config is invalid or PEFT would refuse it.
  public static func savedTensors(
    config json: JSONObject, base: BaseModelDescription, adapterName: String = "default"
  ) throws(SynthesisError) -> [AdapterTensor]? {
    // A matrix saves the same adapter on the same base for every mutation of the other axes.
    try saved.value(for: SaveKey(config: json, base: base, adapterName: adapterName)) { () throws(SynthesisError) in
      try save(config: json, base: base, adapterName: adapterName)
    }
  }

  /// ``savedTensors(config:base:adapterName:)`` as the parameters a loading adapter of that name fills,
  /// keyed by the names a checkpoint may give them (none when no module matches the targets).
  public static func expectedParameters(
    config json: JSONObject, base: BaseModelDescription, adapterName: String
  ) throws(SynthesisError) -> ExpectedParameters {
    try expected.value(for: SaveKey(config: json, base: base, adapterName: adapterName)) { () throws(SynthesisError) in
      ExpectedParameters(try savedTensors(config: json, base: base, adapterName: adapterName) ?? [], adapterName: adapterName)
    }
  }

  private static let expected = Memo<SaveKey, ExpectedParameters>(capacity: 8192)

  private struct SaveKey: Hashable, Sendable {
    var config: JSONObject
    var base: BaseModelDescription
    var adapterName: String

    // Hashed by what tells a row's configs apart (the tuner and its targets), not by every member: each
    // planned case looks up three of these, and hashing whole configs was 2 % of planning the matrix.
    // Equal keys still hash alike (`==` compares whole configs); configs differing elsewhere share a bucket.
    func hash(into hasher: inout Hasher) {
      hasher.combine(base)
      hasher.combine(adapterName)
      hasher.combine(config.count)
      hasher.combine(config["peft_type"])
      hasher.combine(config["target_modules"])
    }
  }

  /// Large enough for the default matrix's distinct saves (each tuner's config on each architecture's
  /// training base and its four loading bases: 10 × 40 × 5 = 2,000): a full memo starts over, and at 256
  /// it did so every few hundred cases, so that most saves ran again (`perf record` of the planning:
  /// `AdapterCatalog.save` under `Memo.value` was 58 % of it). A few kilobytes each.
  private static let saved = Memo<SaveKey, [AdapterTensor]?>(capacity: 8192)

  static func save(config json: JSONObject, base: BaseModelDescription, adapterName: String) throws(SynthesisError)
    -> [AdapterTensor]?
  {
    let config: AdapterConfig
    do { config = try AdapterConfig(json: json, source: "adapter_config.json") } catch {
      throw SynthesisError(field: "config", .invalidValue("\(error)"))
    }
    let model = try baseModel(base)
    var warnings: [PythonWarning] = []
    let peft: PeftModel
    do {
      peft = try PeftModel(base: model, adapterName: adapterName, config: config, warnings: &warnings)
    } catch {
      if error.kind == "NoMatchingPeftModuleError" { return nil }
      throw SynthesisError(field: "config", .invalidValue("PEFT would refuse this adapter: \(error)"))
    }
    // The model's state dict is built by walking its module tree: once.
    let stateDict = peft.stateDict
    let saved: SavedCheckpoint
    do { saved = try peft.adapterCheckpoint(adapterName, saveEmbeddingLayers: .auto(), stateDict: stateDict) } catch {
      throw SynthesisError(field: "config", .invalidValue("PEFT cannot save this adapter: \(error)"))
    }
    if saved.stateDict.isEmpty {
      // OSF on GPT-2's Conv1D layers: the targets match, the tuner leaves them alone, nothing is trained.
      throw SynthesisError(
        field: "config", .invalidValue("PEFT would save an empty adapter: the tuner leaves every targeted module alone"))
    }
    guard let tuner = TunerCatalog.standard.tuner(for: config.peftType) else {
      throw SynthesisError(field: "peft_type", .invalidValue("the adapter catalog has no tuner \(config.peftType)"))
    }
    var modelKeyByCheckpointKey: [String: String] = [:]
    for entry in stateDict {
      let checkpointKey = tuner.checkpointKey(forModelKey: entry.key, adapterName: adapterName)
      if checkpointKey != entry.key, modelKeyByCheckpointKey[checkpointKey] == nil {
        modelKeyByCheckpointKey[checkpointKey] = entry.key
      }
    }
    // A key of this adapter's containers saved with the adapter name in it, model key and checkpoint key
    // alike (ShadowPEFT's `<container>.default.`): the number of components after the name.
    // Found on first need (a walk of the model): most tuners save no key that is also a model key.
    var namedPrefixes: Set<String>?
    func savedNameDepth(_ key: String) -> Int? {
      guard modelKeyByCheckpointKey[key] == nil, stateDict.contains(key) else { return nil }
      if namedPrefixes == nil {
        namedPrefixes = peft.tunerKeyPrefixes(adapterName: adapterName).filter { $0.hasSuffix("." + adapterName) }
      }
      guard let prefix = namedPrefixes?.filter({ key.hasPrefix($0 + ".") }).max(by: { $0.count < $1.count }) else {
        return nil
      }
      return key.split(separator: ".", omittingEmptySubsequences: false).count
        - prefix.split(separator: ".", omittingEmptySubsequences: false).count
    }
    let embeddingPrefixes = base.stateDict.compactMap { $0.embedding == nil ? nil : $0.modulePath + "." }
    // An adaption prompt's wrapper parameters are saved under their model keys: no adapter name, no base weight.
    let keysAsSaved = config.peftType == .adaptionPrompt
    return saved.stateDict.map { entry in
      if !keysAsSaved, let depth = savedNameDepth(entry.key) {
        let role: AdapterTensor.Role = entry.key.hasPrefix(AdapterMutation.peftPrefix) ? .adapter : .shared
        return AdapterTensor(
          name: entry.key, shape: entry.info.shape, role: role, adapterNameDepth: depth, dtype: entry.info.dtype,
          replacesSavedName: true)
      }
      return tensor(
        entry.key, info: entry.info,
        modelKey: keysAsSaved ? nil : modelKeyByCheckpointKey[entry.key] ?? auxiliaryModelKey(entry.key, adapterName, stateDict),
        adapterName: adapterName, isBaseWeight: !keysAsSaved && stateDict.contains(entry.key), embeddingPrefixes: embeddingPrefixes,
        isPromptLearning: config.isPromptLearning || keysAsSaved,
        isTunerState: config.peftType == .shira && entry.key.hasSuffix(".shira_indices"))
    }
  }

  /// The model key of an auxiliary wrapper's tensor, which the tuner's key mapping does not cover:
  /// `modules_to_save` copies (`lm_head.weight` → `lm_head.modules_to_save.<name>.weight`) and
  /// trainable-token deltas (`…trainable_tokens_delta` → `…trainable_tokens_delta.<name>`), and
  /// DoRA magnitudes, saved without the `.weight` their model key has. `modelKeys` is the model's state dict.
  static func auxiliaryModelKey(_ key: String, _ adapterName: String, _ modelKeys: StateDict) -> String? {
    guard !modelKeys.contains(key) else { return nil }
    var components = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    let last = components.removeLast()
    let candidates = [
      key + "." + adapterName,
      key + "." + adapterName + ".weight",
      (components + ["modules_to_save", adapterName, last]).joined(separator: "."),
      (components + [adapterName, last]).joined(separator: "."),
    ]
    return candidates.first { modelKeys.contains($0) }
  }

  /// A saved entry as a rule-table tensor: where the adapter name goes, and what role it has.
  /// `embeddingPrefixes` are the embedding modules' paths, each followed by a dot.
  static func tensor(
    _ key: String, info: TensorInfo, modelKey: String?, adapterName: String, isBaseWeight: Bool,
    embeddingPrefixes: [String], isPromptLearning: Bool, isTunerState: Bool = false
  ) -> AdapterTensor {
    let prefix = AdapterMutation.peftPrefix
    let modulePath = key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key
    let reachesVocabulary = embeddingPrefixes.contains { modulePath.hasPrefix($0) }
    guard let modelKey else {
      if isPromptLearning {
        return AdapterTensor(name: key, shape: info.shape, dtype: info.dtype, fixedModelKey: key)
      }
      let role: AdapterTensor.Role = isBaseWeight ? .baseWeight : (isTunerState ? .tunerState : .adapter)
      return AdapterTensor(name: key, shape: info.shape, role: role, adapterNameDepth: 0, dtype: info.dtype)
    }
    // The model key is the checkpoint key with something inserted: find it between the common
    // leading and trailing components (split at each "." byte, as Python's `str.split` splits at each code
    // point, not at grapheme boundaries: splitting by characters was also a sixth of a save).
    // The components are byte ranges of the keys' own storage (slices of the UTF-8 views retained the
    // strings, a component each: half of this function).
    var keyBytes = key
    var modelBytes = modelKey
    var name = adapterName
    let (componentCount, lead, trail, inserted) = keyBytes.withUTF8 { c in
      modelBytes.withUTF8 { m in
        name.withUTF8 { n in
          let cr = Self.components(c)
          let mr = Self.components(m)
          func same(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
            a.count == b.count && a.indices.allSatisfy { c[$0] == m[b.lowerBound + $0 - a.lowerBound] }
          }
          var lead = 0
          while lead < cr.count, lead < mr.count, same(cr[lead], mr[lead]) { lead += 1 }
          var trail = 0
          while trail < cr.count - lead, trail < mr.count - lead, same(cr[cr.count - 1 - trail], mr[mr.count - 1 - trail]) {
            trail += 1
          }
          let inserted = mr[lead..<(mr.count - trail)].map { range in
            let component = UnsafeBufferPointer(rebasing: m[range])
            return component.elementsEqual(n) ? "{name}" : String(decoding: component, as: UTF8.self)
          }
          return (cr.count, lead, trail, inserted)
        }
      }
    }
    let role: AdapterTensor.Role =
      key.hasPrefix("base_model.") && !key.hasPrefix(prefix) ? .shared : (reachesVocabulary ? .vocabulary : .adapter)
    guard lead + trail == componentCount, !inserted.isEmpty else {
      return AdapterTensor(name: key, shape: info.shape, role: role, dtype: info.dtype, fixedModelKey: modelKey)
    }
    return AdapterTensor(
      name: key, shape: info.shape, role: role, adapterNameDepth: trail,
      adapterNameInfix: inserted.joined(separator: "."), dtype: info.dtype)
  }

  /// The byte ranges between the `.` bytes of a key, empty ones included (Python's `str.split(".")`).
  private static func components(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var start = 0
    for i in bytes.indices where bytes[i] == UInt8(ascii: ".") {
      ranges.append(start..<i)
      start = i + 1
    }
    ranges.append(start..<bytes.count)
    return ranges
  }
}
