import SystemSupport
import TensorIO

/// The validator's reports kept by the bytes they answer for, in a folder of a private cache of this
/// executable (``HDF5Validator/keptReports``). A report is a function of the file's bytes and the validator
/// that made it (the layout refuses links to other files), so bytes validated once need no child process
/// again: a cached default run started one for each of the corpus's ~50 malformed HDF5 files, a copy of
/// this 150 MB executable each (`strace -f -e execve` of the run).
///
/// Only small files are kept: the key hashes every byte, and for a large checkpoint that would cost more
/// than the validation, which reads its layout and not its data.
struct KeptValidationReports {
  let folder: String

  /// The largest file whose report is kept (the corpus's malformed files are a few kilobytes).
  static let maxFileBytes = 1 << 20

  /// Where the report of `path`'s bytes is kept, read and hashed now with the limits the validator runs
  /// under (libhdf5 short of memory may answer with a library error rather than an allocation failure, so a
  /// report is only reused under the same limits); nil for a file larger than ``maxFileBytes``, an unreadable
  /// one, or one no longer the file `identity` describes once read.
  func entry(for path: String, identity: FileIdentity, limits: HDF5Validator.Limits) -> String? {
    guard identity.size <= Self.maxFileBytes, let bytes = try? FileSystem.read(path, atMost: Self.maxFileBytes),
      (try? FileIdentity(path: path)) == identity
    else { return nil }
    var hasher = SHA256()
    hasher.update("memory \(limits.memoryBytes) cpu \(limits.cpuSeconds)\n")
    hasher.update(bytes)
    return FileSystem.join(folder, hasher.finalize())
  }

  /// The report kept at `entry`, if any (at most `limit` bytes, as the validator's answer).
  static func report(at entry: String, limit: Int) -> [UInt8]? {
    (try? FileSystem.read(entry, atMost: limit)) ?? nil
  }

  /// Keeps `report` for the bytes of `entry` if it says what the bytes alone decide (best effort).
  /// An error about the file's access, the process's memory or the isolation itself is not a property
  /// of the bytes; nor is a report that names the file's path or its folder.
  static func keep(
    _ report: [UInt8], of result: Result<HDF5ValidationReport.Contents, HDF5CheckpointError>, path: String, at entry: String
  ) {
    if case .failure(let error) = result, !error.isDecidedByBytes { return }
    let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
    let named = report.withUnsafeBufferPointer { report in
      [path, folder].contains { !$0.isEmpty && ByteSearch.contains(report, Array($0.utf8)) }
    }
    guard !named else { return }
    try? FileSystem.createDirectory(String(entry[..<(entry.lastIndex(of: "/") ?? entry.startIndex)]))
    try? AtomicFile.write(report, to: entry)
  }
}

extension HDF5CheckpointError {
  /// Whether the validator answers this for a file's bytes wherever and however it runs.
  fileprivate var isDecidedByBytes: Bool {
    switch self {
    case .notHDF5, .corruptFile, .notAdaptestLayout, .unsupportedVersion, .invalidLayout, .unknownDType, .dtypeMismatch,
      .shapeMismatch, .unreadableDataset, .tensorNotFound, .nameCollision, .invalidTensor, .payloadSizeMismatch, .library:
      true
    case .allocationFailed, .file, .isolationFailed:
      false
    }
  }
}
