import SystemSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes files so that readers see either the old content or the complete new content, never a
/// half-written file: data goes to a temporary file in the same folder, is flushed, then renamed
/// over the destination.
public enum AtomicFile {
  /// Writes `bytes` to `path` atomically.
  /// - Throws: ``FileError``.
  public static func write(_ bytes: some Collection<UInt8>, to path: String) throws(FileError) {
    try write(to: path) { (fd) throws(FileError) in
      let array = Array(bytes)
      let result = array.withUnsafeBytes { raw in Result { () throws(FileError) in try writeAll(fd: fd, raw, path: path) } }
      try result.get()
    }
  }

  /// Writes UTF-8 text to `path` atomically.
  public static func write(text: String, to path: String) throws(FileError) {
    // From the text's own UTF-8 storage: report files are megabytes, and a copy of each made the rendering
    // core fault in as much memory again.
    var text = text
    try write(to: path) { (fd) throws(FileError) in
      let result = text.withUTF8 { utf8 in
        Result { () throws(FileError) in try writeAll(fd: fd, UnsafeRawBufferPointer(utf8), path: path) }
      }
      try result.get()
    }
  }

  /// Creates a temporary file next to `path`, lets `body` fill it through its descriptor, then
  /// syncs and renames it into place. On failure the temporary file is removed. The descriptor is
  /// open for reading and writing, so `body` may also map the file to fill it in place.
  public static func write(to path: String, _ body: (Int32) throws(FileError) -> Void) throws(FileError) {
    let temporary = temporaryPath(for: path)
    let fd = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw FileError(operation: "create", path: temporary, errno: errno) }
    do throws(FileError) {
      try body(fd)
      guard fsync(fd) == 0 else { throw FileError(operation: "fsync", path: temporary, errno: errno) }
      guard close(fd) == 0 else { throw FileError(operation: "close", path: temporary, errno: errno) }
    } catch {
      close(fd)
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      let code = errno
      unlink(temporary)
      throw FileError(operation: "rename", path: path, errno: code)
    }
  }

  /// A unique sibling path for a temporary file or folder.
  public static func temporaryPath(for path: String) -> String {
    let slash = path.lastIndex(of: "/")
    let folder = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    return "\(folder).\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  }

  /// Writes all of `bytes` at the descriptor's current position, retrying short writes.
  public static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(FileError) {
    let code = FileDescriptor.writeAll(fd, bytes)
    if code != 0 { throw FileError(operation: "write", path: path, errno: code) }
  }

  /// Moves a complete staging folder to `destination`. An existing destination is replaced only
  /// when `replacing`: it is renamed aside first and removed once the new folder is in place, so at
  /// every moment `destination` is the old folder or the new one, never a mixture; if the switch
  /// fails the old folder is put back. An old folder that cannot be removed stays beside the new
  /// one under a temporary name rather than failing a write that succeeded.
  public static func publishFolder(_ staging: String, to destination: String, replacing: Bool) throws(FileError) {
    guard FileSystem.kind(of: destination, followLinks: false) != .missing else {
      guard rename(staging, destination) == 0 else { throw FileError(operation: "rename", path: destination, errno: errno) }
      return
    }
    guard replacing else { throw FileError(operation: "rename", path: destination, errno: EEXIST) }
    let aside = temporaryPath(for: destination)
    guard rename(destination, aside) == 0 else { throw FileError(operation: "rename", path: destination, errno: errno) }
    guard rename(staging, destination) == 0 else {
      let code = errno
      _ = rename(aside, destination)
      throw FileError(operation: "rename", path: destination, errno: code)
    }
    try? FileSystem.removeTree(aside)
  }
}
