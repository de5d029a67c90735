#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import TensorIO

/// The codecs Adaptest can read and write, by format. The seam between folder handling and the
/// individual codecs: tests can register others.
public struct CheckpointFormats: Sendable {
  /// Opens one file of a format.
  public typealias Opener = @Sendable (_ path: String) throws -> any TensorFileReader

  public var openers: [CheckpointFormat: Opener]
  public var writers: [CheckpointFormat: any TensorFileWriter]

  public init(openers: [CheckpointFormat: Opener], writers: [CheckpointFormat: any TensorFileWriter]) {
    self.openers = openers
    self.writers = writers
  }

  /// Opens a single checkpoint file, recognising its format by content.
  /// - Throws: ``TensorIO/LayoutError/unsupportedPickle(path:)`` for PyTorch pickles,
  ///   ``TensorIO/LayoutError/unknownFormat(path:)``, or the codec's own error.
  public func openFile(_ path: String) throws -> any TensorFileReader {
    switch FileSystem.kind(of: path) {
    case .file: break
    case .directory: throw FileError(operation: "open", path: path, errno: EISDIR)
    case .other: throw LayoutError.specialFile(path: path, kind: FileSystem.specialKind(of: path) ?? "not a regular file")
    case .missing: throw LayoutError.notFound(path: path)
    }
    let format: CheckpointFormat
    switch try SniffedFormat.sniff(path: path) {
    case .safetensors: format = .safetensors
    case .hdf5: format = .hdf5
    case .pickle, .pytorchZip: throw LayoutError.unsupportedPickle(path: path)
    case .unknown: throw LayoutError.unknownFormat(path: path)
    }
    guard let open = openers[format] else { throw LayoutError.unknownFormat(path: path) }
    return try open(path)
  }

  /// The writer for a format.
  public func writer(for format: CheckpointFormat) throws -> any TensorFileWriter {
    guard let writer = writers[format] else { throw CheckpointError.noWriter(format) }
    return writer
  }
}
