import TensorIO

/// What the validator process answers on its stdout: one JSON object, either the checkpoint's
/// contents (`{"tensors": […], "metadata": {…}}`) or the typed error (`{"error": {…}}`).
enum HDF5ValidationReport {
  struct Contents {
    var tensors: TensorTable
    var metadata: [String: String]
    var datasetPaths: [String: String]
  }

  // MARK: Encoding (in the validator)

  static func encode(tensors: TensorTable, metadata: [String: String], datasetPaths: [String: String]) -> String {
    let rows: [JSONValue] = tensors.map { entry in
      .object(
        JSONObject([
          ("name", .string(entry.name)), ("dtype", .string(entry.info.dtype.name)),
          ("shape", .array(entry.info.shape.map { .number(String($0)) })),
          ("dataset", .string(datasetPaths[entry.name] ?? "")),
        ]))
    }
    let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    let meta = JSONObject(keys.map { ($0, JSONValue.string(metadata[$0] ?? "")) })
    return JSONWriter.compact.string(.object(JSONObject([("tensors", .array(rows)), ("metadata", .object(meta))])))
  }

  static func encode(_ error: HDF5CheckpointError) -> String {
    let fields: [String]
    switch error {
    case .notHDF5: fields = []
    case .corruptFile(_, let message): fields = [message]
    case .notAdaptestLayout(_, let reason): fields = [reason]
    case .unsupportedVersion(_, let version): fields = [String(version)]
    case .invalidLayout(_, let object, let reason): fields = [object, reason]
    case .unknownDType(_, let tensor, let dtype): fields = [tensor, dtype]
    case .dtypeMismatch(_, let tensor, let dtype, let stored): fields = [tensor, dtype.name, stored]
    case .shapeMismatch(_, let tensor, let reason): fields = [tensor, reason]
    case .unreadableDataset(_, let tensor, let message): fields = [tensor, message]
    case .tensorNotFound(_, let tensor): fields = [tensor]
    case .nameCollision(_, let tensor): fields = [tensor]
    case .invalidTensor(_, let tensor, let reason): fields = [tensor, reason.description]
    case .payloadSizeMismatch(_, let tensor, let expected, let actual): fields = [tensor, String(expected), String(actual)]
    case .allocationFailed(_, let tensor, let byteCount): fields = [tensor, String(byteCount)]
    case .library(_, let object, let operation, let message): fields = [object, operation, message]
    case .file(let error): fields = [error.operation, String(error.errno)]
    case .isolationFailed(_, let reason): fields = [reason]
    }
    let object = JSONObject([("code", .string(error.code)), ("fields", .array(fields.map(JSONValue.string)))])
    return JSONWriter.compact.string(.object(JSONObject([("error", .object(object))])))
  }

  // MARK: Decoding (in the caller)

  /// The contents, or the validator's error, for the file at `path` (errors name `path`).
  /// - Throws: ``HDF5CheckpointError/isolationFailed(file:reason:)`` when the answer is not a report.
  static func decode(_ bytes: [UInt8], path: String) throws(HDF5CheckpointError) -> Result<Contents, HDF5CheckpointError> {
    func garbage(_ detail: String) -> HDF5CheckpointError {
      .isolationFailed(file: path, reason: "the validator's answer is not a report (\(detail))")
    }
    guard let root = try? JSONValue.parse(bytes, duplicateKeys: .reject), let object = root.objectValue else {
      throw garbage("not a JSON object")
    }
    if let error = object["error"] {
      guard let code = error["code"]?.stringValue, let items = error["fields"]?.arrayValue else { throw garbage("error") }
      let fields = items.compactMap(\.stringValue)
      guard fields.count == items.count, let decoded = decodeError(code, fields, path: path) else { throw garbage("error \(code)") }
      return .failure(decoded)
    }
    guard let rows = object["tensors"]?.arrayValue, let meta = object["metadata"]?.objectValue else {
      throw garbage("no tensors")
    }
    var contents = Contents(tensors: TensorTable(), metadata: [:], datasetPaths: [:])
    for row in rows {
      guard let name = row["name"]?.stringValue, let dtype = row["dtype"]?.stringValue.flatMap(DType.init(name:)),
        let dims = row["shape"]?.arrayValue, let dataset = row["dataset"]?.stringValue
      else { throw garbage("tensor row") }
      let shape = dims.compactMap(\.intValue)
      guard shape.count == dims.count, (try? TensorInfo(dtype: dtype, shape: shape).byteCount()) != nil else {
        throw garbage("shape of '\(name)'")
      }
      do {
        try contents.tensors.append(TensorEntry(name: name, info: TensorInfo(dtype: dtype, shape: shape), file: path))
      } catch {
        throw garbage("tensor '\(name)' twice")
      }
      contents.datasetPaths[name] = dataset
    }
    for (key, value) in meta {
      guard let text = value.stringValue else { throw garbage("metadata") }
      contents.metadata[key] = text
    }
    return .success(contents)
  }

  private static func decodeError(_ code: String, _ f: [String], path file: String) -> HDF5CheckpointError? {
    switch (code, f.count) {
    case ("not-hdf5", 0): return .notHDF5(file: file)
    case ("corrupt-file", 1): return .corruptFile(file: file, message: f[0])
    case ("not-adaptest-layout", 1): return .notAdaptestLayout(file: file, reason: f[0])
    case ("unsupported-version", 1): return Int64(f[0]).map { .unsupportedVersion(file: file, version: $0) }
    case ("invalid-layout", 2): return .invalidLayout(file: file, object: f[0], reason: f[1])
    case ("unknown-dtype", 2): return .unknownDType(file: file, tensor: f[0], dtype: f[1])
    case ("dtype-mismatch", 3): return DType(name: f[1]).map { .dtypeMismatch(file: file, tensor: f[0], dtype: $0, stored: f[2]) }
    case ("shape-mismatch", 2): return .shapeMismatch(file: file, tensor: f[0], reason: f[1])
    case ("unreadable-dataset", 2): return .unreadableDataset(file: file, tensor: f[0], message: f[1])
    case ("tensor-not-found", 1): return .tensorNotFound(file: file, tensor: f[0])
    case ("name-collision", 1): return .nameCollision(file: file, tensor: f[0])
    case ("allocation-failed", 2): return Int(f[1]).map { .allocationFailed(file: file, tensor: f[0], byteCount: $0) }
    case ("library", 3): return .library(file: file, object: f[0], operation: f[1], message: f[2])
    case ("file", 2): return Int32(f[1]).map { .file(FileError(operation: f[0], path: file, errno: $0)) }
    case ("isolation-failed", 1): return .isolationFailed(file: file, reason: f[0])
    default: return nil
    }
  }
}
