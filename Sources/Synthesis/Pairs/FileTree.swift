#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import TensorIO

/// Folder operations for atomic pair output.
enum FileTree {
  /// Removes a folder tree this code created, without following symlinks.
  static func remove(_ path: String) throws(FileError) {
    if FileSystem.kind(of: path, followLinks: false) == .directory {
      for name in try FileSystem.contents(ofDirectory: path) { try remove(FileSystem.join(path, name)) }
      guard rmdir(path) == 0 else { throw FileError(operation: "rmdir", path: path, errno: errno) }
    } else if unlink(path) != 0 {
      throw FileError(operation: "unlink", path: path, errno: errno)
    }
  }

  /// Moves a complete staging folder to `destination`. An existing destination is an error unless
  /// `overwrite`, in which case it is first renamed aside, so at every moment `destination` is
  /// either the old folder, absent for an instant, or the new one, never a mixture.
  static func publish(_ staging: String, to destination: String, overwrite: Bool) throws {
    if FileSystem.kind(of: destination, followLinks: false) != .missing {
      guard overwrite else { throw PairWriteError.destinationExists(destination) }
      let aside = AtomicFile.temporaryPath(for: destination)
      guard rename(destination, aside) == 0 else { throw FileError(operation: "rename", path: destination, errno: errno) }
      guard rename(staging, destination) == 0 else {
        let code = errno
        _ = rename(aside, destination)
        throw FileError(operation: "rename", path: destination, errno: code)
      }
      try remove(aside)
      return
    }
    guard rename(staging, destination) == 0 else { throw FileError(operation: "rename", path: destination, errno: errno) }
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
