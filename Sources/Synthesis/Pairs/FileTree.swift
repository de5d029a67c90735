import TensorIO

/// Folder operations for atomic pair output.
enum FileTree {
  /// Removes a folder tree this code created, without following symlinks.
  static func remove(_ path: String) throws(FileError) { try FileSystem.removeTree(path) }

  /// Moves a complete staging folder to `destination` (see ``AtomicFile/publishFolder(_:to:replacing:)``).
  /// - Throws: ``PairWriteError/destinationExists(_:)`` when it exists and `overwrite` is not set.
  static func publish(_ staging: String, to destination: String, overwrite: Bool) throws {
    if !overwrite, FileSystem.kind(of: destination, followLinks: false) != .missing {
      throw PairWriteError.destinationExists(destination)
    }
    try AtomicFile.publishFolder(staging, to: destination, replacing: overwrite)
  }
}

/// Why a pair folder was not written.
public enum PairWriteError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The destination exists and overwriting was not asked for.
  case destinationExists(String)

  public var description: String {
    switch self {
    case .destinationExists(let path): "\(path) already exists (pass --overwrite to replace it)"
    }
  }
}
