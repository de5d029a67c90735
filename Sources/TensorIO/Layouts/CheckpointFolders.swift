/// A transformers model folder: its `config.json` and its weight files.
public struct ModelFolder: Sendable, Hashable {
  public var path: String
  /// `config.json`, parsed, fields in written order.
  public var config: JSONObject
  public var weights: WeightFiles

  /// Locates the config and weights of a model folder.
  /// - Parameter linkRoot: the folder symlinks may lead into (default: the folder itself); a Hugging Face
  ///   cache snapshot links into its repository's `blobs/`.
  /// - Throws: ``LayoutError`` or ``FileError``.
  public init(path: String, linkRoot: String? = nil) throws {
    try FolderLayout.requireFolder(path)
    self.path = path
    config = try Self.readConfig(folder: path, name: FolderLayout.modelConfig, linkRoot: linkRoot)
    weights = try FolderLayout.findWeights(
      in: path, stem: FolderLayout.modelWeightsStem, allowShards: true, linkRoot: linkRoot)
  }

  static func readConfig(folder: String, name: String, linkRoot: String? = nil) throws -> JSONObject {
    let configPath = FileSystem.join(folder, name)
    guard FileSystem.isFile(configPath) else { throw LayoutError.missingConfig(folder: folder, expected: name) }
    try FolderLayout.requireInside(configPath, folder: linkRoot ?? folder)
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
  /// - Parameter linkRoot: the folder symlinks may lead into (default: the folder itself).
  /// - Throws: ``LayoutError`` or ``FileError``.
  public init(path: String, linkRoot: String? = nil) throws {
    try FolderLayout.requireFolder(path)
    self.path = path
    config = try ModelFolder.readConfig(folder: path, name: FolderLayout.adapterConfig, linkRoot: linkRoot)
    weights = try FolderLayout.findWeights(
      in: path, stem: FolderLayout.adapterWeightsStem, allowShards: false, linkRoot: linkRoot)
  }
}
