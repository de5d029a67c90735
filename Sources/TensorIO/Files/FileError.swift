/// An operating-system failure while reading or writing a file.
public struct FileError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What was being done: `open`, `stat`, `mmap`, `write`, `rename`, …
  public var operation: String
  /// The file concerned.
  public var path: String
  /// The `errno` value.
  public var errno: Int32

  public init(operation: String, path: String, errno: Int32) {
    self.operation = operation
    self.path = path
    self.errno = errno
  }

  public var description: String {
    "\(path): \(operation) failed: \(String(cString: strerror(errno)))"
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
