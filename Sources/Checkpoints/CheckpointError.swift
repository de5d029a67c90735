import TensorIO

/// Failures of folder-level checkpoint handling that are not a single codec's.
public enum CheckpointError: Error, Hashable, Sendable, CustomStringConvertible {
  /// No writer is registered for the format.
  case noWriter(CheckpointFormat)
  /// The same tensor name occurs in two shards.
  case duplicateTensorAcrossShards(tensor: String, first: String, second: String)
  /// The destination of a write already exists and overwriting was not asked for.
  case destinationExists(path: String)
  /// A shard count that cannot be used.
  case invalidShardCount(Int)
  /// A path that is neither a checkpoint file nor a model or adapter folder.
  case notACheckpoint(path: String)
  /// A tensor to write whose byte size cannot be computed.
  case tensorSize(tensor: String, TensorSizeError)
  /// Two tensors to write with the same name.
  case duplicateTensor(String)
  /// A reader returned another number of bytes than the tensor's dtype and shape need.
  case readSizeMismatch(tensor: String, expected: Int, actual: Int)
  /// A conversion's output needs more bytes than its file system has free.
  case insufficientSpace(path: String, needed: Int, available: Int)

  public var description: String {
    switch self {
    case .noWriter(let format): "no writer for \(format.rawValue)"
    case .duplicateTensorAcrossShards(let tensor, let first, let second):
      "tensor '\(tensor)' is stored in both \(first) and \(second)"
    case .destinationExists(let path): "\(path) already exists"
    case .invalidShardCount(let n): "invalid shard count \(n): must be at least 1"
    case .tensorSize(let tensor, let error): "tensor '\(tensor)': \(error)"
    case .duplicateTensor(let name): "tensor '\(name)' is given twice"
    case .readSizeMismatch(let tensor, let expected, let actual):
      "tensor '\(tensor)': read \(actual) bytes, its dtype and shape need \(expected)"
    case .insufficientSpace(let path, let needed, let available):
      "\(path): the output needs \(needed) bytes, its file system has \(available) free; nothing was written"
    case .notACheckpoint(let path):
      "\(path): not a checkpoint file and no config.json or adapter_config.json in it"
    }
  }
}
