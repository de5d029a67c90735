import TensorIO

/// The weights of a model or adapter opened for reading: one file, or every shard of an index,
/// merged into one table. Each entry's `file` says which shard holds it.
public struct Checkpoint: Sendable {
  /// All tensors: a single file's order, or shard by shard in index order.
  public let tensors: TensorTable
  /// The open files, in shard order.
  public let files: [any TensorFileReader]
  /// The format of the files.
  public let format: CheckpointFormat
  /// The index, for a sharded checkpoint.
  public let index: ShardIndex?
  private let fileIndexByPath: [String: Int]

  /// Opens every file of `weights` and cross-checks a shard index against the shards' contents.
  /// - Throws: the codec's error, ``TensorIO/LayoutError`` for index/shard disagreements, or
  ///   ``CheckpointError/duplicateTensorAcrossShards(tensor:first:second:)``.
  public init(weights: WeightFiles, formats: CheckpointFormats) throws {
    var files: [any TensorFileReader] = []
    for path in weights.files { files.append(try formats.openFile(path)) }
    try self.init(files: files, index: weights.index, format: weights.format)
  }

  /// Wraps already-open files.
  public init(files: [any TensorFileReader], index: ShardIndex?, format: CheckpointFormat) throws {
    // One file without an index (most checkpoints): its table already holds unique names in file
    // order, so it is the checkpoint's table as it is, without hashing every name twice more.
    if files.count == 1, index == nil {
      self.tensors = files[0].tensors
      self.files = files
      self.index = nil
      self.format = format
      self.fileIndexByPath = [files[0].path: 0]
      return
    }
    var table = TensorTable()
    var owner: [String: String] = [:]
    for file in files {
      for entry in file.tensors {
        if let first = owner[entry.name] {
          throw CheckpointError.duplicateTensorAcrossShards(tensor: entry.name, first: first, second: file.path)
        }
        owner[entry.name] = file.path
        try? table.append(entry)
      }
    }
    if let index {
      let folder = Self.folder(of: index.path)
      var mapped = Set<String>()
      for (tensor, shard) in index.weightMap {
        mapped.insert(tensor)
        let shardPath = FileSystem.join(folder, shard)
        guard owner[tensor] == shardPath else {
          throw LayoutError.tensorMissingFromShard(index: index.path, tensor: tensor, shard: shard)
        }
      }
      for entry in table where !mapped.contains(entry.name) {
        throw LayoutError.tensorNotInIndex(
          index: index.path, tensor: entry.name, shard: FileSystem.lastComponent(entry.file))
      }
    }
    self.tensors = table
    self.files = files
    self.index = index
    self.format = format
    self.fileIndexByPath = Dictionary(files.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { a, _ in a })
  }

  /// Metadata of the first file (shards repeat it).
  public var metadata: [String: String] { files.first?.metadata ?? [:] }

  /// The bytes of one tensor, from whichever shard holds it.
  /// - Throws: the codec's `tensorNotFound`-style error when the name is absent.
  public func bytes(of name: String) throws -> TensorBytes {
    guard let entry = tensors[name], let i = fileIndexByPath[entry.file] else {
      // Let the (first) codec raise its own typed not-found error.
      guard let first = files.first else { throw LayoutError.noWeights(folder: "", looked: []) }
      return try first.bytes(of: name)
    }
    return try files[i].bytes(of: name)
  }

  private static func folder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    return String(path[..<slash])
  }
}
