/// An operating-system failure while reading or writing a file.
public struct FileError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What was being done: `open`, `stat`, `mmap`, `write`, `rename`, …
  public var operation: String
  /// The file concerned.
  public var path: String
  /// The `errno` value.
  public var errno: Int32
  /// Said instead of `errno`'s text when set (`a FIFO, not a regular file; refused`).
  public var note: String?

  public init(operation: String, path: String, errno: Int32, note: String? = nil) {
    self.operation = operation
    self.path = path
    self.errno = errno
    self.note = note
  }

  public var description: String {
    if let note { return "\(path): \(note)" }
    return "\(path): \(operation) failed: \(String(cString: strerror(errno)))"
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
