/// A transformers model folder: its `config.json` and its weight files.
public struct ModelFolder: Sendable, Hashable {
  public var path: String
  /// `config.json`, parsed, fields in written order.
  public var config: JSONObject
  public var weights: WeightFiles

  /// Locates the config and weights of a model folder.
  /// - Throws: ``LayoutError`` or ``FileError``.
  public init(path: String) throws {
    try FolderLayout.requireFolder(path)
    self.path = path
    config = try Self.readConfig(folder: path, name: FolderLayout.modelConfig)
    weights = try FolderLayout.findWeights(in: path, stem: FolderLayout.modelWeightsStem, allowShards: true)
  }

  static func readConfig(folder: String, name: String) throws -> JSONObject {
    let configPath = FileSystem.join(folder, name)
    guard FileSystem.isFile(configPath) else { throw LayoutError.missingConfig(folder: folder, expected: name) }
    try FolderLayout.requireInside(configPath, folder: folder)
    let json = try readJSON(path: configPath)
    guard let object = json.objectValue else {
      throw LayoutError.invalidField(path: configPath, field: "(root)", detail: "expected an object, found \(json.typeName)")
    }
    return object
  }
}

/// A PEFT adapter folder: `adapter_config.json` and one weights file (PEFT never shards adapters).
public struct AdapterFolder: Sendable, Hashable {
  public var path: String
  /// `adapter_config.json`, parsed, fields in written order.
  public var config: JSONObject
  public var weights: WeightFiles

  /// Locates the config and weights of an adapter folder.
  /// - Throws: ``LayoutError`` or ``FileError``.
  public init(path: String) throws {
    try FolderLayout.requireFolder(path)
    self.path = path
    config = try ModelFolder.readConfig(folder: path, name: FolderLayout.adapterConfig)
    weights = try FolderLayout.findWeights(in: path, stem: FolderLayout.adapterWeightsStem, allowShards: false)
  }
}
