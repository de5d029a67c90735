import TensorIO

/// Splits a checkpoint into shard files and writes them with their index, as transformers'
/// `save_pretrained` does: `model-00001-of-00003.safetensors` … plus
/// `model.safetensors.index.json` (`{"metadata": {"total_size": …}, "weight_map": {…}}`, written
/// like Python's `json.dumps(indent=2, sort_keys=True)` with a final newline).
public enum SafeTensorsSharding {
  /// Splits tensors in their given order, greedily, the way `huggingface_hub`'s
  /// `split_state_dict_into_shards_factory` does: a tensor that would push the current shard over
  /// `maxShardSize` bytes starts a new shard, and a tensor larger than the limit gets a shard of
  /// its own.
  /// - Throws: ``SafeTensorsError`` if a tensor's size cannot be computed.
  public static func split(_ tensors: [WritableTensor], maxShardSize: Int) throws(SafeTensorsError) -> [[WritableTensor]] {
    var shards: [[WritableTensor]] = []
    var current: [WritableTensor] = []
    var currentSize = 0
    for tensor in tensors {
      let size = try byteCount(tensor)
      if size > maxShardSize {
        shards.append([tensor])
        continue
      }
      if currentSize > maxShardSize - size {
        shards.append(current)
        current = []
        currentSize = 0
      }
      current.append(tensor)
      currentSize += size
    }
    if !current.isEmpty || shards.isEmpty { shards.append(current) }
    return shards
  }

  /// Splits tensors, in order, into `count` contiguous non-empty shards of about equal byte size
  /// (fewer when there are fewer tensors; one empty shard when there are none).
  /// - Throws: ``SafeTensorsError`` if a tensor's size cannot be computed.
  public static func split(_ tensors: [WritableTensor], shardCount count: Int) throws(SafeTensorsError)
    -> [[WritableTensor]]
  {
    let count = max(1, min(count, tensors.count))
    var sizes: [Int] = []
    var total = 0
    for tensor in tensors {
      let size = try byteCount(tensor)
      sizes.append(size)
      let (sum, overflow) = total.addingReportingOverflow(size)
      guard !overflow else { throw SafeTensorsError(file: "", kind: .validationOverflow(tensor: tensor.name)) }
      total = sum
    }
    var shards: [[WritableTensor]] = [[]]
    var before = 0
    for (index, tensor) in tensors.enumerated() {
      let shardsLeft = count - shards.count
      if shardsLeft > 0, !shards[shards.count - 1].isEmpty {
        // Start the next shard once the bytes so far reach its share (exact, in double width),
        // or when every remaining tensor is needed to fill the remaining shards.
        let reached = before.multipliedFullWidth(by: count) >= total.multipliedFullWidth(by: shards.count)
        if reached || tensors.count - index == shardsLeft { shards.append([]) }
      }
      shards[shards.count - 1].append(tensor)
      before += sizes[index]
    }
    return shards
  }

  /// Writes `shards` into `folder`. One shard is written as `<stem>.safetensors` with no index,
  /// as transformers does; more are named by ``FolderLayout/shardName(stem:index:of:format:)``
  /// and listed by `<stem>.safetensors.index.json`.
  /// - Parameters:
  ///   - metadata: `__metadata__` of every shard (transformers writes `{"format": "pt"}`).
  ///   - totalParameters: written as the index's `metadata.total_parameters` when given, as
  ///     transformers 5 does (it counts the model's parameters, which the tensors alone do not tell).
  /// - Returns: the files written, with the index for a sharded checkpoint.
  /// - Throws: ``SafeTensorsError`` or ``FileError``.
  @discardableResult
  public static func write(
    _ shards: [[WritableTensor]], metadata: [String: String], to folder: String,
    stem: String = FolderLayout.modelWeightsStem, totalParameters: Int? = nil
  ) throws -> WeightFiles {
    let writer = SafeTensorsWriter()
    let format = CheckpointFormat.safetensors
    var names = Set<String>()
    for tensor in shards.joined() where !names.insert(tensor.name).inserted {
      throw SafeTensorsError(file: folder, kind: .duplicateKey(tensor: tensor.name))
    }
    if shards.count <= 1 {
      let path = FileSystem.join(folder, "\(stem).\(format.fileExtension)")
      try writer.write(shards.first ?? [], metadata: metadata, to: path)
      return WeightFiles(format: format, files: [path])
    }
    var files: [String] = []
    var weightMap = JSONObject()
    var totalSize = 0
    for (i, shard) in shards.enumerated() {
      let name = FolderLayout.shardName(stem: stem, index: i + 1, of: shards.count, format: format)
      let path = FileSystem.join(folder, name)
      try writer.write(shard, metadata: metadata, to: path)
      files.append(path)
      for tensor in shard {
        weightMap[tensor.name] = .string(name)
        totalSize += try byteCount(tensor)
      }
    }
    var indexMetadata = JSONObject()
    if let totalParameters { indexMetadata["total_parameters"] = .number(String(totalParameters)) }
    indexMetadata["total_size"] = .number(String(totalSize))
    let index: JSONValue = .object(JSONObject([("metadata", .object(indexMetadata)), ("weight_map", .object(weightMap))]))
    let indexPath = FileSystem.join(folder, "\(stem).\(format.fileExtension).index.json")
    try AtomicFile.write(text: JSONWriter.pythonSorted.string(index) + "\n", to: indexPath)
    let shardIndex = ShardIndex(
      path: indexPath, metadata: indexMetadata, weightMap: weightMap.map { ($0.key, $0.value.stringValue ?? "") })
    return WeightFiles(format: format, files: files, index: shardIndex)
  }

  private static func byteCount(_ tensor: WritableTensor) throws(SafeTensorsError) -> Int {
    do {
      return try tensor.info.byteCount()
    } catch {
      let kind: SafeTensorsError.Kind
      switch error {
      case .overflow: kind = .validationOverflow(tensor: tensor.name)
      case .misaligned: kind = .misalignedSlice(tensor: tensor.name)
      case .negativeDimension: kind = .tensorInvalidInfo(tensor: tensor.name)
      }
      throw SafeTensorsError(file: "", kind: kind)
    }
  }
}
