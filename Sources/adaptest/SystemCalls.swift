#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `write(2)`, named apart from the many Swift `write` methods in scope.
func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }

/// Whether a file descriptor is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
