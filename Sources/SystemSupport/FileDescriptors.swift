#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Plain file-descriptor I/O, named apart from the many Swift `write` methods in scope.
package enum FileDescriptor {
  /// Writes all of `bytes`, retrying short writes and `EINTR`.
  /// - Returns: 0, or the `errno` of the write that failed.
  @discardableResult
  package static func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>) -> Int32 {
    var copy = Array(bytes)
    return copy.withUnsafeMutableBytes { raw -> Int32 in
      var offset = 0
      while offset < raw.count {
        let n = posixWrite(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return errno
        }
        if n == 0 { return EIO }
        offset += n
      }
      return 0
    }
  }

  /// Writes `text` as UTF-8 (best effort: for messages on stdout and stderr).
  package static func write(_ fd: Int32, text: String) { writeAll(fd, Array(text.utf8)) }

  /// Whether the descriptor is a terminal.
  package static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

  /// The `strerror` text of an `errno` value.
  package static func message(_ code: Int32) -> String { String(cString: strerror(code)) }
}

// At file scope `write` is the C function, not `FileDescriptor.write`.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
