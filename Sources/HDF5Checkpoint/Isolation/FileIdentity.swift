import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Which bytes a path names right now: device, inode, size and modification time. Two equal
/// identities mean the file was not replaced or rewritten in between (a rename gives a new inode).
struct FileIdentity: Hashable, Sendable {
  var device: UInt64
  var inode: UInt64
  var size: Int64
  var modifiedSeconds: Int64
  var modifiedNanoseconds: Int64

  /// The identity of the regular file at `path`.
  init(path: String) throws(FileError) {
    var info = stat()
    guard stat(path, &info) == 0 else { throw FileError(operation: "stat", path: path, errno: errno) }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw FileError(operation: "open (not a regular file)", path: path, errno: EISDIR)
    }
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    size = Int64(info.st_size)
    #if canImport(Darwin)
      modifiedSeconds = Int64(info.st_mtimespec.tv_sec)
      modifiedNanoseconds = Int64(info.st_mtimespec.tv_nsec)
    #else
      modifiedSeconds = Int64(info.st_mtim.tv_sec)
      modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
    #endif
  }
}

/// The files this process's ``HDF5Writer`` wrote, by path and identity: the only HDF5 files read
/// in-process under ``HDF5Isolation/childProcess(_:)``, because their bytes are known to be the
/// writer's own.
enum HDF5TrustedFiles {
  private static let written = Locked<[String: FileIdentity]>([:])

  /// Records the file just renamed into place at `path`.
  static func register(_ path: String) {
    guard let identity = try? FileIdentity(path: path) else { return }
    written.withLock { files in
      // A bound on what a very long run keeps: forgetting only costs an isolated open later.
      if files.count >= 1 << 16 { files.removeAll() }
      files[path] = identity
    }
  }

  /// Whether `path` still names exactly the bytes this process wrote there.
  static func contains(_ path: String) -> Bool {
    guard let expected = written.withLock({ $0[path] }), let identity = try? FileIdentity(path: path) else { return false }
    return identity == expected
  }
}
