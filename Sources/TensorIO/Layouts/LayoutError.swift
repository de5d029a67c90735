/// A Hugging Face model or adapter folder that cannot be used.
public enum LayoutError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The path is neither a checkpoint file nor a folder.
  case notFound(path: String)
  /// The folder has no `config.json` / `adapter_config.json`.
  case missingConfig(folder: String, expected: String)
  /// The folder has no weights file Adaptest can read.
  case noWeights(folder: String, looked: [String])
  /// A PyTorch pickle / zip checkpoint: never unpickled (it can run code).
  case unsupportedPickle(path: String)
  /// A file whose content is no checkpoint format Adaptest knows.
  case unknownFormat(path: String)
  /// A JSON file (config or index) that is not valid JSON.
  case invalidJSON(path: String, JSONError)
  /// A JSON file whose structure is wrong: `detail` says which field.
  case invalidField(path: String, field: String, detail: String)
  /// A shard index names a shard file that does not exist.
  case missingShard(index: String, shard: String)
  /// A shard index names a tensor its shard does not contain.
  case tensorMissingFromShard(index: String, tensor: String, shard: String)
  /// A shard holds a tensor the index does not list under it.
  case tensorNotInIndex(index: String, tensor: String, shard: String)
  /// A shard path escapes the folder (`../x`, absolute paths).
  case shardOutsideFolder(index: String, shard: String)
  /// A file of the folder is a symlink that leads out of it.
  case linkOutsideFolder(path: String)
  /// The path exists but is a FIFO, a device or a socket (`kind` says which); never opened.
  case specialFile(path: String, kind: String)
  /// A folder was expected and the path is a file.
  case notAFolder(path: String)

  public var description: String {
    switch self {
    case .notFound(let path): "\(path): no such file or folder"
    case .missingConfig(let folder, let expected): "\(folder): no \(expected)"
    case .noWeights(let folder, let looked):
      "\(folder): no weights file (looked for \(looked.joined(separator: ", ")))"
    case .unsupportedPickle(let path):
      "\(path): PyTorch pickle checkpoints are not supported (loading one can run arbitrary code): "
        + "convert it to safetensors first"
    case .unknownFormat(let path): "\(path): not a safetensors or HDF5 checkpoint"
    case .invalidJSON(let path, let error): "\(path): invalid JSON: \(error)"
    case .invalidField(let path, let field, let detail): "\(path): \(field): \(detail)"
    case .missingShard(let index, let shard): "\(index): shard '\(shard)' does not exist"
    case .tensorMissingFromShard(let index, let tensor, let shard):
      "\(index): tensor '\(tensor)' is mapped to '\(shard)', which does not contain it"
    case .tensorNotInIndex(let index, let tensor, let shard):
      "\(index): shard '\(shard)' contains tensor '\(tensor)', which the index does not map to it"
    case .shardOutsideFolder(let index, let shard): "\(index): shard path '\(shard)' leaves the folder"
    case .linkOutsideFolder(let path): "\(path): a symlink that leads out of its folder; refused"
    case .specialFile(let path, let kind): "\(path): \(kind), not a checkpoint file or folder"
    case .notAFolder(let path): "\(path): a file, where a folder is expected"
    }
  }
}
