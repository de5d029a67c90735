import TensorIO

/// Writes checkpoints as single files or transformers-style shards with an index, in any format.
public struct CheckpointWriting: Sendable {
  public let formats: CheckpointFormats

  public init(formats: CheckpointFormats) {
    self.formats = formats
  }

  /// How to split tensors into shards.
  public enum Sharding: Sendable, Hashable {
    /// One file, `<stem>.<ext>`, no index.
    case single
    /// `n` contiguous shards of about equal byte size (``CheckpointSharding/split(_:shardCount:)``).
    case count(Int)
    /// transformers' `max_shard_size` rule (``CheckpointSharding/split(_:maxShardSize:)``).
    case maxShardSize(Int)
  }

  /// Writes `tensors` into `folder` with the file stem `stem` (`model`, `adapter_model`).
  ///
  /// Shards are named `<stem>-0000i-of-0000n.<ext>` and listed by `<stem>.<ext>.index.json`
  /// (`{"metadata": {"total_size": …}, "weight_map": {…}}`, written like Python's
  /// `json.dumps(indent=2, sort_keys=True)` plus a newline, as transformers does); a checkpoint
  /// that fits in one shard is a plain `<stem>.<ext>` without an index. Every file is written
  /// atomically and the index last, so a reader never sees an index naming an incomplete shard.
  /// - Parameter totalParameters: written as the index's `metadata.total_parameters`, as
  ///   transformers 5 does (the tensors alone do not tell the model's parameter count).
  /// - Returns: the files written, the index last.
  /// - Throws: ``CheckpointError``, ``TensorIO/FileError`` or the codec's error.
  @discardableResult
  public func write(
    _ tensors: [WritableTensor], metadata: [String: String], folder: String, stem: String,
    format: CheckpointFormat, sharding: Sharding = .single, totalParameters: Int? = nil
  ) throws -> [String] {
    let writer = try formats.writer(for: format)
    var names = Set<String>()
    for tensor in tensors where !names.insert(tensor.name).inserted {
      throw CheckpointError.duplicateTensor(tensor.name)
    }
    let shards: [[WritableTensor]]
    switch sharding {
    case .single: shards = [tensors]
    case .count(let n):
      guard n >= 1 else { throw CheckpointError.invalidShardCount(n) }
      shards = try CheckpointSharding.split(tensors, shardCount: n)
    case .maxShardSize(let bytes):
      guard bytes >= 1 else { throw CheckpointError.invalidShardCount(bytes) }
      shards = try CheckpointSharding.split(tensors, maxShardSize: bytes)
    }
    if shards.count == 1 {
      let path = FileSystem.join(folder, "\(stem).\(format.fileExtension)")
      try writer.write(tensors, metadata: metadata, to: path)
      return [path]
    }
    var written: [String] = []
    var weightMap = JSONObject()
    var totalSize = 0
    for (i, shard) in shards.enumerated() {
      let name = FolderLayout.shardName(stem: stem, index: i + 1, of: shards.count, format: format)
      let path = FileSystem.join(folder, name)
      try writer.write(shard, metadata: metadata, to: path)
      written.append(path)
      for tensor in shard {
        weightMap[tensor.name] = .string(name)
        totalSize += try CheckpointSharding.byteCount(tensor)
      }
    }
    var indexMetadata = JSONObject()
    if let totalParameters { indexMetadata["total_parameters"] = .number(String(totalParameters)) }
    indexMetadata["total_size"] = .number(String(totalSize))
    let index = JSONValue.object(JSONObject([("metadata", .object(indexMetadata)), ("weight_map", .object(weightMap))]))
    let indexPath = FileSystem.join(folder, "\(stem).\(format.fileExtension).index.json")
    try AtomicFile.write(text: JSONWriter.pythonSorted.string(index) + "\n", to: indexPath)
    written.append(indexPath)
    return written
  }
}
