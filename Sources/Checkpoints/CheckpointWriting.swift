import TensorIO

/// Writes checkpoints as single files or transformers-style shards with an index.
public struct CheckpointWriting: Sendable {
  public let formats: CheckpointFormats

  public init(formats: CheckpointFormats) {
    self.formats = formats
  }

  /// How to split tensors into shards.
  public enum Sharding: Sendable, Hashable {
    /// One file, `<stem>.<ext>`, no index.
    case single
    /// `n` files (tensors split in order into contiguous groups of near-equal byte size; fewer when
    /// there are fewer tensors) named `<stem>-0000i-of-0000n.<ext>`, plus `<stem>.<ext>.index.json`.
    /// One group is written as a single file without an index, as transformers does.
    case count(Int)
  }

  /// Writes `tensors` into `folder` with the file stem `stem` (`model`, `adapter_model`).
  /// Every file is written atomically; the index is written last, so a reader never sees an index
  /// that names a shard that is not complete.
  /// - Returns: the paths written, index last.
  @discardableResult
  public func write(
    _ tensors: [WritableTensor], metadata: [String: String], folder: String, stem: String,
    format: CheckpointFormat, sharding: Sharding = .single
  ) throws -> [String] {
    let writer = try formats.writer(for: format)
    switch sharding {
    case .single:
      let path = FileSystem.join(folder, "\(stem).\(format.fileExtension)")
      try writer.write(tensors, metadata: metadata, to: path)
      return [path]
    case .count(let n):
      guard n >= 1 else { throw CheckpointError.invalidShardCount(n) }
      let groups = try Self.split(tensors, into: n)
      // As transformers: a checkpoint that fits in one shard is a plain file without an index.
      if groups.count == 1 { return try write(tensors, metadata: metadata, folder: folder, stem: stem, format: format) }
      var written: [String] = []
      var weightMap = JSONObject()
      var totalSize = 0
      for (i, group) in groups.enumerated() {
        let name = FolderLayout.shardName(stem: stem, index: i + 1, of: groups.count, format: format)
        let path = FileSystem.join(folder, name)
        try writer.write(group, metadata: metadata, to: path)
        written.append(path)
        for tensor in group {
          weightMap[tensor.name] = .string(name)
          totalSize += try tensor.info.byteCount()
        }
      }
      let index = JSONValue.object(
        JSONObject([
          ("metadata", .object(JSONObject([("total_size", .number(String(totalSize)))]))),
          ("weight_map", .object(weightMap)),
        ]))
      let indexPath = FileSystem.join(folder, "\(stem).\(format.fileExtension).index.json")
      // As transformers writes it: json.dumps(index, indent=2, sort_keys=True) + "\n".
      try AtomicFile.write(text: JSONWriter.pythonSorted.string(index) + "\n", to: indexPath)
      written.append(indexPath)
      return written
    }
  }

  /// Splits tensors, keeping their order, into `min(n, count)` non-empty groups of similar byte size.
  static func split(_ tensors: [WritableTensor], into n: Int) throws -> [[WritableTensor]] {
    guard !tensors.isEmpty else { return [[]] }
    let sizes = try tensors.map { try $0.info.byteCount() }
    let total = sizes.reduce(0, +)
    let target = max(1, (total + n - 1) / n)
    var groups: [[WritableTensor]] = [[]]
    var current = 0
    for (placed, (tensor, size)) in zip(tensors, sizes).enumerated() {
      let remainingTensors = tensors.count - placed
      let remainingGroups = n - groups.count
      if !groups[groups.count - 1].isEmpty, groups.count < n,
        current + size > target || remainingTensors <= remainingGroups
      {
        groups.append([])
        current = 0
      }
      groups[groups.count - 1].append(tensor)
      current += size
    }
    return groups
  }
}
