#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import TensorIO

/// Converts checkpoints between formats bit-exactly: single files, or whole model/adapter folders
/// with their shard layout and every non-weight file (configs, tokenizer files) carried over.
public struct CheckpointConversion: Sendable {
  public let formats: CheckpointFormats

  public init(formats: CheckpointFormats) {
    self.formats = formats
  }

  /// What a conversion wrote.
  public struct Summary: Sendable, Hashable {
    public var tensorCount: Int
    public var byteCount: Int
    public var files: [String]
  }

  /// Converts `input` (a file or folder) to `output` in `format`.
  /// A folder is assembled in a temporary sibling and renamed into place, so `output` is never
  /// half-written; an existing `output` is an error unless `overwrite` is set.
  public func convert(_ input: String, to output: String, format: CheckpointFormat, overwrite: Bool = false)
    throws -> Summary
  {
    if FileSystem.kind(of: output) != .missing, !overwrite { throw CheckpointError.destinationExists(path: output) }
    switch try OpenedCheckpoint.open(input, formats: formats) {
    case .file(let reader):
      let source = try Checkpoint(files: [reader], index: nil, format: reader.format)
      try Self.checkSpace(for: try Self.byteCount(source), at: output)
      let (tensors, failure) = Self.streamed(source)
      // Written beside the output and renamed in only if every tensor was read.
      let staging = AtomicFile.temporaryPath(for: output)
      do {
        try formats.writer(for: format).write(tensors, metadata: reader.metadata, to: staging)
        if let error = failure.error { throw error }
        guard rename(staging, output) == 0 else { throw FileError(operation: "rename", path: output, errno: errno) }
      } catch {
        unlink(staging)
        throw error
      }
      return Summary(tensorCount: tensors.count, byteCount: try Self.byteCount(tensors), files: [output])
    case .model(let model):
      return try convertFolder(
        input, to: output, weights: model.weights, stem: FolderLayout.modelWeightsStem, format: format,
        overwrite: overwrite)
    case .adapter(let adapter):
      return try convertFolder(
        input, to: output, weights: adapter.weights, stem: FolderLayout.adapterWeightsStem, format: format,
        overwrite: overwrite)
    }
  }

  private func convertFolder(
    _ input: String, to output: String, weights: Checkpoint, stem: String, format: CheckpointFormat,
    overwrite: Bool
  ) throws -> Summary {
    var total = 0
    for file in weights.files {
      let (sum, overflow) = total.addingReportingOverflow(try Self.byteCount(try Checkpoint(files: [file], index: nil, format: file.format)))
      total = overflow ? Int.max : sum
    }
    try Self.checkSpace(for: total, at: output)
    let staging = AtomicFile.temporaryPath(for: output)
    try FileSystem.createDirectory(staging)
    do {
      let weightFiles = Set(weights.files.map { Self.relativePath($0.path, in: input) })
      let indexName = weights.index.map { FileSystem.lastComponent($0.path) }
      for name in try FileSystem.contents(ofDirectory: input)
      where !weightFiles.contains(name) && name != indexName
        && FileSystem.isFile(FileSystem.join(input, name))
      {
        // A symlink to a file elsewhere (`/etc/…`) would be copied into the output: refused.
        try FolderLayout.requireInside(FileSystem.join(input, name), folder: input)
        try AtomicFile.write(try FileSystem.read(FileSystem.join(input, name)), to: FileSystem.join(staging, name))
      }
      let writer = try formats.writer(for: format)
      var written: [String] = []
      var tensorCount = 0
      var byteCount = 0
      var weightMap = JSONObject()
      for file in weights.files {
        let (tensors, failure) = Self.streamed(try Checkpoint(files: [file], index: nil, format: file.format))
        // Shards keep their paths inside the folder (and so their numbering); only the extension
        // changes. Two shards named alike in different subfolders stay two files.
        let name = Self.renamed(Self.relativePath(file.path, in: input), from: weights.format, to: format)
        if let slash = name.lastIndex(of: "/") {
          try FileSystem.createDirectory(FileSystem.join(staging, String(name[..<slash])))
        }
        try writer.write(tensors, metadata: file.metadata, to: FileSystem.join(staging, name))
        if let error = failure.error { throw error }
        written.append(FileSystem.join(output, name))
        tensorCount += tensors.count
        byteCount += try Self.byteCount(tensors)
        for tensor in tensors { weightMap[tensor.name] = .string(name) }
      }
      if let index = weights.index {
        var metadata = index.metadata
        metadata["total_size"] = .number(String(byteCount))
        let json = JSONValue.object(JSONObject([("metadata", .object(metadata)), ("weight_map", .object(weightMap))]))
        let name = "\(stem).\(format.fileExtension).index.json"
        try AtomicFile.write(text: JSONWriter.pythonSorted.string(json) + "\n", to: FileSystem.join(staging, name))
        written.append(FileSystem.join(output, name))
      }
      try AtomicFile.publishFolder(staging, to: output, replacing: overwrite)
      return Summary(tensorCount: tensorCount, byteCount: byteCount, files: written)
    } catch {
      try? FileSystem.removeTree(staging)
      throw error
    }
  }

  /// A shard's path relative to the folder it was opened from (`sub/model.safetensors`).
  static func relativePath(_ path: String, in folder: String) -> String {
    let prefix = folder.hasSuffix("/") ? folder : folder + "/"
    return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : FileSystem.lastComponent(path)
  }

  /// `model-00001-of-00002.safetensors` → `model-00001-of-00002.h5`.
  static func renamed(_ name: String, from: CheckpointFormat, to: CheckpointFormat) -> String {
    let suffix = "." + from.fileExtension
    let stem = name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : name
    return stem + "." + to.fileExtension
  }

  /// Every tensor of a checkpoint as a writable tensor whose payload is a view of its bytes.
  public static func writable(_ checkpoint: Checkpoint) throws -> [WritableTensor] {
    try checkpoint.tensors.map { entry in
      WritableTensor(name: entry.name, info: entry.info, payload: .bytes(try checkpoint.bytes(of: entry.name)))
    }
  }

  /// Every tensor of a checkpoint as a writable tensor whose bytes are read only when the writer asks
  /// for them, one tensor at a time, straight into the output: memory stays flat in the tensor sizes
  /// (an HDF5 file's tensors are read into memory, so holding all of them made a 1 MB file cost
  /// gigabytes). A read that fails leaves the region zeroed and is recorded in the returned box; the
  /// caller throws it after the write, before the output is renamed into place.
  static func streamed(_ checkpoint: Checkpoint) -> ([WritableTensor], ReadFailure) {
    let failure = ReadFailure()
    let tensors = checkpoint.tensors.map { entry in
      let name = entry.name
      return WritableTensor(
        name: name, info: entry.info,
        payload: .generate { out in
          guard failure.error == nil else { return }
          do {
            let bytes = try checkpoint.bytes(of: name)
            bytes.withUnsafeBytes { raw in
              guard raw.count == out.count, let source = raw.baseAddress, let target = out.baseAddress else {
                failure.error = CheckpointError.readSizeMismatch(tensor: name, expected: out.count, actual: raw.count)
                return
              }
              target.copyMemory(from: source, byteCount: raw.count)
            }
            // A mapped source's pages would otherwise stay resident until the whole file is done.
            bytes.releasePages()
          } catch {
            failure.error = error
          }
        })
    }
    return (tensors, failure)
  }

  /// The first read error of a streamed write. The writers call payloads one after another on the
  /// calling thread, so the box is never touched concurrently.
  final class ReadFailure: @unchecked Sendable {
    var error: (any Error)?
  }

  private static func byteCount(_ checkpoint: Checkpoint) throws -> Int {
    var total = 0
    for entry in checkpoint.tensors {
      let (sum, overflow) = total.addingReportingOverflow(try entry.info.byteCount())
      total = overflow ? Int.max : sum
    }
    return total
  }

  /// Refuses a conversion whose output would not fit in the free space of the output's file system
  /// (an HDF5 dataset that was never written can claim a tebibyte in a 2 KB file).
  static func checkSpace(for bytes: Int, at output: String) throws {
    let slash = output.lastIndex(of: "/")
    let parent = slash.map { $0 == output.startIndex ? "/" : String(output[..<$0]) } ?? "."
    var info = statvfs()
    guard statvfs(parent, &info) == 0 else { return }
    let (free, overflow) = Int(clamping: info.f_bavail).multipliedReportingOverflow(by: Int(clamping: info.f_frsize))
    if !overflow, bytes > free { throw CheckpointError.insufficientSpace(path: output, needed: bytes, available: free) }
  }

  private static func byteCount(_ tensors: [WritableTensor]) throws -> Int {
    try tensors.reduce(0) { $0 + (try $1.info.byteCount()) }
  }
}
