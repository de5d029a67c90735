import SystemSupport
import TensorIO

/// The model structures recorded from transformers (``ModelStructureTable/recorded``, one line per model
/// type: `<model_type>\t<json>`), looked up lazily: the first lookup indexes the line starts (a scan of the
/// table's bytes), and each model type is decoded only when asked for.
public enum ModelStructureTable {
  /// The transformers release the table was recorded from.
  public static var transformersVersion: String { index.version }

  /// Every model type the table has a line for (those that failed to build included, with their reason).
  public static var modelTypes: [String] { index.lines.keys.sorted() }

  /// The recorded structure of a `model_type`, or `nil` when transformers does not register it.
  public static func structure(forModelType modelType: String) -> ModelStructure? {
    guard let range = index.lines[modelType] else { return nil }
    return cache.value(for: modelType) {
      recorded.withUTF8Buffer { buffer in
        let slice = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[range])
        guard let json = try? JSONValue.parse(slice), let object = json.objectValue else { return nil }
        return ModelStructureDecoder(version: index.version).decode(modelType, object)
      }
    }
  }

  /// The recorded line of a model type, as committed (for the test that re-records it).
  static func recordedLine(forModelType modelType: String) -> String? {
    guard let range = index.lines[modelType] else { return nil }
    return recorded.withUTF8Buffer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
  }

  // MARK: Index

  private struct Index: Sendable {
    var version = ""
    var legacy: Range<Int>? = nil
    var peft: Range<Int>? = nil
    var lines: [String: Range<Int>] = [:]
  }

  /// The `#peft` line: PEFT's per-model-type defaults (``PEFTModelDefaults`` decodes it).
  static let peftHeader: JSONValue? = recorded.withUTF8Buffer { buffer in
    guard let range = index.peft else { return nil }
    return try? JSONValue.parse(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[range]))
  }

  /// transformers' legacy renamings, applied on load to every model.
  static let legacy: [WeightTransform] = recorded.withUTF8Buffer { buffer in
    guard let range = index.legacy,
      let json = try? JSONValue.parse(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[range]))
    else { return [] }
    return json.arrayValue?.compactMap(ModelStructureDecoder.transform) ?? []
  }

  private static let index: Index = recorded.withUTF8Buffer { buffer in
    var index = Index()
    var start = 0
    let tab = UInt8(ascii: "\t")
    let newline = UInt8(ascii: "\n")
    while start < buffer.count {
      let end = ByteSearch.firstIndex(of: newline, in: buffer, from: start)
      let separator = min(ByteSearch.firstIndex(of: tab, in: buffer, from: start), end)
      if separator < end {
        let key = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<separator]), as: UTF8.self)
        if key == "#transformers" {
          index.version = String(decoding: UnsafeBufferPointer(rebasing: buffer[(separator + 1)..<end]), as: UTF8.self)
        } else if key == "#legacy" {
          index.legacy = (separator + 1)..<end
        } else if key == "#peft" {
          index.peft = (separator + 1)..<end
        } else {
          index.lines[key] = (separator + 1)..<end
        }
      }
      start = end + 1
    }
    return index
  }

  private static let cache = StructureCache()
}

/// Decoded model types, kept for the process (each is decoded once).
private final class StructureCache: Sendable {
  private let values = Locked<[String: ModelStructure?]>([:])

  func value(for key: String, _ make: () -> ModelStructure?) -> ModelStructure? {
    if let hit = values.withLock({ $0[key] }) { return hit }
    let made = make()
    values.withLock { $0[key] = made }
    return made
  }
}

/// Decodes one recorded line (the recorder's JSON shape).
struct ModelStructureDecoder {
  let version: String

  func decode(_ modelType: String, _ object: JSONObject) -> ModelStructure {
    var structure = ModelStructure(
      modelType: modelType, transformersVersion: version,
      tieWordEmbeddingsDefault: object["tie_word_embeddings"]?.boolValue,
      conversionRegistered: object["conversion_registered"]?.boolValue ?? false,
      classes: [:], skipped: [:])
    for (name, reason) in object["skipped"]?.objectValue ?? JSONObject() {
      structure.skipped[name] = reason.stringValue ?? ""
    }
    let classes = object["classes"]?.objectValue ?? JSONObject()
    var decoded: [String: (ClassStructure, backbone: String?)] = [:]
    for (name, value) in classes {
      guard let record = value.objectValue else { continue }
      decoded[name] = (classStructure(name, record), record["backbone"]?.stringValue)
    }
    for (name, (var cls, backbone)) in decoded {
      // A head class refers to the bare class for its backbone: graft that tree under the prefix.
      if let backbone, let bare = decoded[backbone]?.0 {
        for (pattern, module) in bare.modules {
          let path = pattern.isEmpty ? cls.basePrefix : cls.basePrefix + "." + pattern
          cls.modules[path] = module
        }
        if cls.pythonModule.isEmpty { cls.pythonModule = bare.pythonModule }
      }
      structure.classes[name] = cls
    }
    return structure
  }

  private func classStructure(_ name: String, _ record: JSONObject) -> ClassStructure {
    var cls = ClassStructure(
      name: name,
      tasks: record["tasks"]?.arrayValue?.compactMap(\.stringValue) ?? [],
      basePrefix: record["prefix"]?.stringValue ?? "",
      holdsBackbone: record["backbone_attr"]?.boolValue ?? false,
      canGenerate: record["generate"]?.boolValue ?? false,
      hasPrepareInputs: record["prepare_inputs"]?.boolValue ?? record["generate"]?.boolValue ?? false,
      inputEmbedding: record["input"]?.stringValue,
      outputEmbedding: record["output"]?.stringValue,
      tiedWeights: [],
      ignoreOnLoadUnexpected: record["ignore_unexpected"]?.arrayValue?.compactMap(\.stringValue) ?? [],
      ignoreOnLoadMissing: record["ignore_missing"]?.arrayValue?.compactMap(\.stringValue) ?? [],
      conversion: record["conversion"]?.arrayValue?.compactMap(Self.transform) ?? [],
      pythonModule: record["module"]?.stringValue ?? "",
      modules: [:])
    for (target, source) in record["tied"]?.objectValue ?? JSONObject() {
      guard let source = source.stringValue, !target.hasPrefix("!") else { continue }
      cls.tiedWeights.append((target, source))
    }
    for entry in record["modules"]?.arrayValue ?? [] {
      guard let fields = entry.arrayValue, fields.count == 5, let pattern = fields[0].stringValue else { continue }
      let tensors = fields[3].arrayValue?.compactMap(\.stringValue) ?? []
      cls.modules[pattern] = ModuleRecord(
        kind: ModuleRecord.LayerKind(rawValue: fields[1].stringValue ?? "") ?? .other,
        className: fields[2].stringValue ?? "",
        tensors: tensors.filter { !$0.hasPrefix("-") },
        nonPersistentBuffers: tensors.filter { $0.hasPrefix("-") }.map { String($0.dropFirst()) },
        children: fields[4].arrayValue?.compactMap(\.stringValue) ?? [])
    }
    return cls
  }

  static func transform(_ value: JSONValue) -> WeightTransform? {
    guard let object = value.objectValue, let operation = object["op"]?.stringValue else { return nil }
    return WeightTransform(
      operation: operation,
      sourcePatterns: object["source"]?.arrayValue?.compactMap(\.stringValue) ?? [],
      targetPatterns: object["target"]?.arrayValue?.compactMap(\.stringValue) ?? [],
      prefixToAdd: object["prefix_to_add"]?.stringValue,
      prefixToRemove: object["prefix_to_remove"]?.stringValue,
      modelPrefix: object["model_prefix"]?.stringValue,
      regex: object["regex"]?.stringValue,
      replacement: object["replacement"]?.stringValue,
      groups: Dictionary(
        (object["groups"]?.objectValue ?? JSONObject()).compactMap { k, v in v.intValue.map { (k, $0) } },
        uniquingKeysWith: { a, _ in a }),
      scope: object["scope"]?.stringValue)
  }
}
