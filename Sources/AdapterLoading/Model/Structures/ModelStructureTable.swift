import SystemSupport
import TensorIO

/// The model structures recorded from transformers (``ModelStructureTable/recorded``: a few `#` header
/// lines, then one line per model type, `<model_type>\t<json>`, sorted by model type), looked up lazily: a
/// model type's line is found by a binary search over the table's bytes and decoded only when asked for.
public enum ModelStructureTable {
  /// The transformers release the table was recorded from.
  public static var transformersVersion: String { header.version }

  /// Every model type the table has a line for (those that failed to build included, with their reason),
  /// in the table's order: sorted by their bytes.
  public static var modelTypes: [String] {
    recorded.withUTF8Buffer { buffer in
      var types: [String] = []
      var start = header.bodyStart
      while start < buffer.count {
        let line = Line(buffer, from: start)
        types.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[line.key]), as: UTF8.self))
        start = line.end + 1
      }
      return types
    }
  }

  /// The recorded structure of a `model_type`, or `nil` when transformers does not register it.
  public static func structure(forModelType modelType: String) -> ModelStructure? {
    cache.value(for: modelType) {
      recorded.withUTF8Buffer { buffer in
        guard let range = valueRange(forModelType: modelType, in: buffer) else { return nil }
        let slice = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[range])
        guard let json = try? JSONValue.parse(slice), let object = json.objectValue else { return nil }
        return ModelStructureDecoder(version: header.version).decode(modelType, object)
      }
    }
  }

  /// The recorded line of a model type, as committed (for the test that re-records it).
  static func recordedLine(forModelType modelType: String) -> String? {
    recorded.withUTF8Buffer { buffer in
      valueRange(forModelType: modelType, in: buffer).map {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[$0]), as: UTF8.self)
      }
    }
  }

  // MARK: Lines

  /// One line of the table: its key (before the first tab) and its value (after it).
  private struct Line {
    var key: Range<Int>
    var value: Range<Int>?
    /// The position of the line's newline (or the table's end).
    var end: Int

    init(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) {
      end = ByteSearch.firstIndex(of: UInt8(ascii: "\n"), in: buffer, from: start)
      let tab = min(ByteSearch.firstIndex(of: UInt8(ascii: "\t"), in: buffer, from: start), end)
      key = start..<tab
      value = tab < end ? (tab + 1)..<end : nil
    }
  }

  /// The `#` lines before the model types.
  private struct Header: Sendable {
    var version = ""
    var legacy: Range<Int>? = nil
    var peft: Range<Int>? = nil
    /// Where the first model type's line starts.
    var bodyStart = 0
  }

  private static let header: Header = recorded.withUTF8Buffer { buffer in
    var header = Header()
    var start = 0
    while start < buffer.count, buffer[start] == UInt8(ascii: "#") {
      let line = Line(buffer, from: start)
      let key = String(decoding: UnsafeBufferPointer(rebasing: buffer[line.key]), as: UTF8.self)
      switch key {
      case "#transformers": header.version = line.value.map { String(decoding: UnsafeBufferPointer(rebasing: buffer[$0]), as: UTF8.self) } ?? ""
      case "#legacy": header.legacy = line.value
      case "#peft": header.peft = line.value
      default: break
      }
      start = line.end + 1
    }
    header.bodyStart = min(start, buffer.count)
    return header
  }

  /// The JSON of a model type's line: a binary search over the lines, which the embedding script writes
  /// sorted by model type (by bytes). A lookup reads a dozen of the table's 3 MB rather than indexing every
  /// line first: that scan, its page faults and 600 dictionary entries were part of every `check`.
  private static func valueRange(forModelType modelType: String, in buffer: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
    var wanted = modelType
    return wanted.withUTF8 { wanted -> Range<Int>? in
      // `low` and `high` stay at line starts (or the table's end).
      var low = header.bodyStart
      var high = buffer.count
      while low < high {
        var start = low + (high - low) / 2
        while start > low, buffer[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        let line = Line(buffer, from: start)
        switch ByteSearch.compare(UnsafeBufferPointer(rebasing: buffer[line.key]), wanted) {
        case 0: return line.value
        case ..<0: low = line.end + 1
        default: high = start
        }
      }
      return nil
    }
  }

  /// The `#peft` line: PEFT's per-model-type defaults (``PEFTModelDefaults`` decodes it).
  static let peftHeader: JSONValue? = recorded.withUTF8Buffer { buffer in
    guard let range = header.peft else { return nil }
    return try? JSONValue.parse(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[range]))
  }

  /// transformers' legacy renamings, applied on load to every model.
  static let legacy: [WeightTransform] = recorded.withUTF8Buffer { buffer in
    guard let range = header.legacy,
      let json = try? JSONValue.parse(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[range]))
    else { return [] }
    return json.arrayValue?.compactMap(ModelStructureDecoder.transform) ?? []
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
