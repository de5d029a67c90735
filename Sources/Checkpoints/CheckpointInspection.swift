import TensorIO

/// What `adaptest inspect` shows: the tensors of a file or folder with sizes and totals.
public struct CheckpointInspection: Sendable {
  /// `file`, `model` or `adapter`.
  public var kind: String
  public var path: String
  public var format: CheckpointFormat
  public var files: [String]
  public var sharded: Bool
  public var metadata: [String: String]
  /// `model_type` or `peft_type` from the folder's config.
  public var configType: String?
  public var tensors: [TensorEntry]

  /// Inspects what `path` points at.
  public init(path: String, formats: CheckpointFormats) throws {
    let opened = try OpenedCheckpoint.open(path, formats: formats)
    let weights = try opened.checkpoint
    self.path = path
    format = weights.format
    files = weights.files.map(\.path)
    sharded = weights.index != nil
    metadata = weights.metadata
    tensors = Array(weights.tensors)
    switch opened {
    case .file:
      kind = "file"
      configType = nil
    case .model(let model):
      kind = "model"
      configType = model.folder.config["model_type"]?.stringValue
    case .adapter(let adapter):
      kind = "adapter"
      configType = adapter.folder.config["peft_type"]?.stringValue
    }
  }

  /// Inspects weights opened elsewhere (a model or adapter found through a Hub reference).
  /// - Parameters:
  ///   - kind: `model` or `adapter`.
  ///   - path: what to show as the checkpoint's name.
  ///   - configType: `model_type` or `peft_type`.
  public init(kind: String, path: String, configType: String?, weights: Checkpoint) {
    self.kind = kind
    self.path = path
    self.configType = configType
    format = weights.format
    files = weights.files.map(\.path)
    sharded = weights.index != nil
    metadata = weights.metadata
    tensors = Array(weights.tensors)
  }

  /// Total bytes of all tensors (sizes were validated by the codec when the file was opened).
  public var totalBytes: Int { tensors.reduce(0) { $0 + ((try? $1.info.byteCount()) ?? 0) } }

  /// Tensor counts per dtype, in dtype order.
  public var countsByDType: [(DType, Int)] {
    var counts: [DType: Int] = [:]
    for entry in tensors { counts[entry.info.dtype, default: 0] += 1 }
    return DType.allCases.compactMap { dtype in counts[dtype].map { (dtype, $0) } }
  }

  /// Deterministic JSON.
  public var json: JSONValue {
    let tensorValues: [JSONValue] = tensors.map { entry in
      var object = JSONObject()
      object["name"] = .string(entry.name)
      object["dtype"] = .string(entry.info.dtype.name)
      object["shape"] = .array(entry.info.shape.map { .number(String($0)) })
      object["bytes"] = .number(String((try? entry.info.byteCount()) ?? 0))
      if sharded { object["file"] = .string(FileSystem.lastComponent(entry.file)) }
      return .object(object)
    }
    var root = JSONObject()
    root["path"] = .string(path)
    root["kind"] = .string(kind)
    root["format"] = .string(format.rawValue)
    if let configType { root["config_type"] = .string(configType) }
    root["files"] = .array(files.map { .string(FileSystem.lastComponent($0)) })
    root["metadata"] = .object(JSONObject(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
    root["tensors"] = .array(tensorValues)
    root["totals"] = .object(
      JSONObject([
        ("tensors", .number(String(tensors.count))),
        ("bytes", .number(String(totalBytes))),
        ("by_dtype", .object(JSONObject(countsByDType.map { ($0.0.name, .number(String($0.1))) }))),
      ]))
    return .object(root)
  }

  /// A human-readable table; untrusted names are escaped for the terminal.
  public var text: String {
    var lines: [String] = []
    var header = "\(kind) \(DisplayText.terminalSafe(path)) (\(format.rawValue)"
    if let configType { header += ", \(DisplayText.terminalSafe(configType))" }
    if sharded { header += ", \(files.count) shards" }
    lines.append(header + ")")
    let rows = tensors.map { entry in
      [
        DisplayText.terminalSafe(entry.name), entry.info.dtype.name,
        "[" + entry.info.shape.map(String.init).joined(separator: ", ") + "]",
        String((try? entry.info.byteCount()) ?? 0),
      ]
    }
    let titles = ["NAME", "DTYPE", "SHAPE", "BYTES"]
    var widths = titles.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    func formatRow(_ row: [String]) -> String {
      row.enumerated().map { i, cell in
        i == 3
          ? String(repeating: " ", count: widths[i] - cell.count) + cell
          : cell + String(repeating: " ", count: widths[i] - cell.count)
      }.joined(separator: "  ")
    }
    lines.append(formatRow(titles))
    lines += rows.map(formatRow)
    let byType = countsByDType.map { "\($0.0.name): \($0.1)" }.joined(separator: ", ")
    lines.append("\(tensors.count) tensors, \(totalBytes) bytes (\(byType.isEmpty ? "none" : byType))")
    if !metadata.isEmpty {
      lines.append(
        "metadata: "
          + metadata.sorted { $0.key < $1.key }.map { "\(DisplayText.terminalSafe($0.key))=\(DisplayText.terminalSafe($0.value))" }
          .joined(separator: ", "))
    }
    return lines.joined(separator: "\n")
  }
}
