import SystemSupport

/// A sharded checkpoint's index (`model.safetensors.index.json`): which file holds each tensor.
public struct ShardIndex: Sendable, Hashable {
  /// The index file.
  public var path: String
  /// `metadata` as written (usually `{"total_size": N}`).
  public var metadata: JSONObject
  /// Tensor name → shard file name (relative to the index's folder), in written order.
  public var weightMap: [(tensor: String, shard: String)]

  public init(path: String, metadata: JSONObject, weightMap: [(tensor: String, shard: String)]) {
    self.path = path
    self.metadata = metadata
    self.weightMap = weightMap
  }

  /// Shard file names, each once, in name order (`model-00001-of-00003…` first).
  public var shards: [String] {
    Set(weightMap.map(\.shard)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// Reads and validates an index file.
  /// - Throws: ``LayoutError`` naming the field at fault, or ``FileError``.
  public static func read(path: String) throws -> ShardIndex {
    try decode(try readJSON(path: path), path: path)
  }

  /// Validates an index held in memory (the bytes of a `*.index.json`).
  /// - Parameter path: the name to report in errors.
  /// - Throws: ``LayoutError`` (``LayoutError/invalidJSON(path:_:)`` for text that is not JSON).
  public static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> ShardIndex {
    let json: JSONValue
    do {
      json = try JSONValue.parse(bytes)
    } catch {
      throw LayoutError.invalidJSON(path: path, error)
    }
    return try decode(json, path: path)
  }

  private static func decode(_ json: JSONValue, path: String) throws -> ShardIndex {
    guard let root = json.objectValue else {
      throw LayoutError.invalidField(path: path, field: "(root)", detail: "expected an object, found \(json.typeName)")
    }
    let metadata: JSONObject
    switch root["metadata"] {
    case nil, .null?: metadata = JSONObject()
    case .object(let object)?: metadata = object
    case let other?:
      throw LayoutError.invalidField(path: path, field: "metadata", detail: "expected an object, found \(other.typeName)")
    }
    guard let map = root["weight_map"]?.objectValue else {
      throw LayoutError.invalidField(path: path, field: "weight_map", detail: "missing or not an object")
    }
    var weightMap: [(String, String)] = []
    for (tensor, value) in map {
      guard let shard = value.stringValue else {
        throw LayoutError.invalidField(
          path: path, field: "weight_map.\(tensor)", detail: "expected a file name, found \(value.typeName)")
      }
      guard !shard.hasPrefix("/"), !shard.split(separator: "/").contains("..") else {
        throw LayoutError.shardOutsideFolder(index: path, shard: shard)
      }
      weightMap.append((tensor, shard))
    }
    return ShardIndex(path: path, metadata: metadata, weightMap: weightMap)
  }

  public static func == (lhs: ShardIndex, rhs: ShardIndex) -> Bool {
    lhs.path == rhs.path && lhs.metadata == rhs.metadata
      && lhs.weightMap.elementsEqual(rhs.weightMap) { $0.tensor == $1.tensor && $0.shard == $1.shard }
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(path)
    for entry in weightMap {
      hasher.combine(entry.tensor)
      hasher.combine(entry.shard)
    }
  }
}

/// Reads a small JSON file into a value, mapping parse failures to ``LayoutError/invalidJSON(path:_:)``.
public func readJSON(path: String) throws -> JSONValue {
  let bytes = try FileSystem.read(path)
  do {
    guard bytes.count <= ParsedJSONFiles.sizeLimit else { return try bytes.withUnsafeBytes { raw in try JSONValue.parse(raw) } }
    return try ParsedJSONFiles.shared.value(for: FileContent(bytes)) { () throws(JSONError) in
      try JSONValue.parse(bytes)
    }
  } catch let error as JSONError {
    throw LayoutError.invalidJSON(path: path, error)
  }
}

/// Small JSON files already parsed by this process, by content: a run reads the same configs from
/// thousands of case folders (parsing them was a sixth of reading a case, `perf record` of a default run).
/// Parsing is a function of the bytes alone, so a file with the same bytes gets the same value. Bounded:
/// files up to 32 KiB, 256 of them (a full memo starts over).
enum ParsedJSONFiles {
  static let sizeLimit = 32 * 1024
  static let shared = Memo<FileContent, JSONValue>(capacity: 256)
}

/// A file's bytes as a memo key, hashed in one pass over the buffer.
struct FileContent: Hashable, Sendable {
  let bytes: [UInt8]

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  func hash(into hasher: inout Hasher) {
    bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
  }
}
