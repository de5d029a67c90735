import SystemSupport
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Which bytes a path names right now: device, inode, size, modification and status-change times.
/// Two equal identities mean the file was not replaced or rewritten in between: replacing gives a new
/// inode, writing a new modification time, and any change to the inode (a new link, new permissions,
/// an inode number reused by a new file) a new status-change time, which no program can set.
struct FileIdentity: Hashable, Sendable {
  var device: UInt64
  var inode: UInt64
  var size: Int64
  var modifiedSeconds: Int64
  var modifiedNanoseconds: Int64
  var changedSeconds: Int64
  var changedNanoseconds: Int64

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
      changedSeconds = Int64(info.st_ctimespec.tv_sec)
      changedNanoseconds = Int64(info.st_ctimespec.tv_nsec)
    #else
      modifiedSeconds = Int64(info.st_mtim.tv_sec)
      modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
      changedSeconds = Int64(info.st_ctim.tv_sec)
      changedNanoseconds = Int64(info.st_ctim.tv_nsec)
    #endif
  }

  /// Device and inode: the file, wherever its folder is moved.
  var file: [UInt64] { [device, inode] }
}

/// The files this process's ``HDF5Writer`` wrote, by device and inode (generated pairs are written
/// into a staging folder that is then renamed into place, so the path changes), with their identity
/// when written: the only HDF5 files read in-process under ``HDF5Isolation/childProcess(_:)``, because
/// their bytes are known to be the writer's own.
enum HDF5TrustedFiles {
  private static let written = Locked<[[UInt64]: FileIdentity]>([:])

  /// Records the file just renamed into place at `path`.
  static func register(_ path: String) {
    guard let identity = try? FileIdentity(path: path) else { return }
    written.withLock { files in
      // A bound on what a very long run keeps: forgetting only costs an isolated open later.
      if files.count >= 1 << 16 { files.removeAll() }
      files[identity.file] = identity
    }
  }

  /// Whether `path` names a file this process wrote, unchanged since.
  static func contains(_ path: String) -> Bool {
    guard let identity = try? FileIdentity(path: path) else { return false }
    return written.withLock { $0[identity.file] } == identity
  }
}

/// Trust in files this build's writer wrote that outlives the process: a token of each file's identity
/// when written, for a private cache of Adaptest's own pairs to keep beside them. A later process
/// trusts the file again only while its identity is unchanged (so a file rewritten or replaced since
/// is validated as any other).
public enum HDF5WrittenFiles {
  /// The token of `path` if this process wrote it and it is unchanged since; nil otherwise.
  public static func token(for path: String) -> String? {
    guard HDF5TrustedFiles.contains(path), let identity = try? FileIdentity(path: path) else { return nil }
    return identity.token
  }

  /// Trusts `path` in this process if its identity is still the one `token` recorded.
  /// - Returns: whether it is trusted now.
  @discardableResult
  public static func trust(_ path: String, token: String) -> Bool {
    guard let identity = try? FileIdentity(path: path), identity.token == token else { return false }
    HDF5TrustedFiles.register(path)
    return true
  }
}

extension FileIdentity {
  /// Every field, in one line.
  var token: String {
    "\(device):\(inode):\(size):\(modifiedSeconds).\(modifiedNanoseconds):\(changedSeconds).\(changedNanoseconds)"
  }
}
