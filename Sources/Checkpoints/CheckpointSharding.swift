import TensorIO

/// How transformers splits a checkpoint into shard files, for any format.
public enum CheckpointSharding {
  /// Splits tensors in their given order, greedily, the way `huggingface_hub`'s
  /// `split_state_dict_into_shards_factory` does: a tensor that would push the current shard over
  /// `maxShardSize` bytes starts a new shard, and a tensor larger than the limit gets a shard of
  /// its own.
  /// - Throws: ``CheckpointError/tensorSize(tensor:_:)`` if a tensor's size cannot be computed.
  public static func split(_ tensors: [WritableTensor], maxShardSize: Int) throws -> [[WritableTensor]] {
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
  /// - Throws: ``CheckpointError/tensorSize(tensor:_:)`` if a size cannot be computed or the
  ///   total overflows.
  public static func split(_ tensors: [WritableTensor], shardCount count: Int) throws -> [[WritableTensor]] {
    let count = max(1, min(count, tensors.count))
    var sizes: [Int] = []
    var total = 0
    for tensor in tensors {
      let size = try byteCount(tensor)
      sizes.append(size)
      let (sum, overflow) = total.addingReportingOverflow(size)
      guard !overflow else { throw CheckpointError.tensorSize(tensor: tensor.name, .overflow) }
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

  static func byteCount(_ tensor: WritableTensor) throws -> Int {
    do {
      return try tensor.info.byteCount()
    } catch {
      throw CheckpointError.tensorSize(tensor: tensor.name, error)
    }
  }
}
