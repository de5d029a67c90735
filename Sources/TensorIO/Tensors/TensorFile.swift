/// A checkpoint file opened for reading: its tensor table, metadata and lazily read bytes.
///
/// This is the seam between formats: the safetensors and HDF5 codecs implement it, and everything
/// above works on tables.
public protocol TensorFileReader: Sendable {
  /// The file it was read from.
  var path: String { get }
  /// Its format.
  var format: CheckpointFormat { get }
  /// Tensors in file order.
  var tensors: TensorTable { get }
  /// Free-form string metadata (safetensors `__metadata__`; HDF5 root attributes).
  var metadata: [String: String] { get }
  /// The bytes of one tensor: a zero-copy view where the format allows it.
  /// - Throws: a format error naming the file and tensor (for example when the name is absent).
  func bytes(of name: String) throws -> TensorBytes
}

/// Where a tensor's bytes come from when writing.
public enum TensorPayload: Sendable {
  /// Copy these bytes (their count must equal the tensor's byte count).
  case bytes(TensorBytes)
  /// Generate the bytes into the destination buffer (deterministic synthesis).
  case generate(@Sendable (UnsafeMutableRawBufferPointer) -> Void)
  /// Leave the region unwritten: a hole in a sparse file that reads back as zeros.
  case hole
}

/// One tensor to write.
public struct WritableTensor: Sendable {
  public var name: String
  public var info: TensorInfo
  public var payload: TensorPayload

  public init(name: String, info: TensorInfo, payload: TensorPayload) {
    self.name = name
    self.info = info
    self.payload = payload
  }
}

/// A format's writer: deterministic bytes for the same tensors and metadata.
public protocol TensorFileWriter: Sendable {
  /// The format it writes.
  var format: CheckpointFormat { get }
  /// Writes one file atomically.
  /// - Throws: a format error naming the file and tensor, or ``FileError``.
  func write(_ tensors: [WritableTensor], metadata: [String: String], to path: String) throws
}
