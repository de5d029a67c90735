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

/// Writes text to standard output without a newline (for the progress bar).
func writeOut(_ text: String) {
  var bytes = Array(text.utf8)
  bytes.withUnsafeMutableBytes { raw in
    var offset = 0
    while offset < raw.count {
      let n = systemWrite(1, raw.baseAddress! + offset, raw.count - offset)
      if n <= 0 { return }
      offset += n
    }
  }
}

/// Seconds on a monotonic clock.
enum Monotonic {
  static func seconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }
}

enum ProcessID {
  static var current: Int32 { getpid() }
}

enum TemporaryFolder {
  /// `$TMPDIR`; else `/dev/shm` where it is a writable folder (generated cases are many small
  /// files, written and deleted at once: memory beats a disk that syncs every file); else `/tmp`.
  static func base() -> String {
    if let value = getenv("TMPDIR") {
      let text = String(cString: value)
      if !text.isEmpty { return text }
    }
    var info = stat()
    if stat("/dev/shm", &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, access("/dev/shm", W_OK) == 0 {
      return "/dev/shm"
    }
    return "/tmp"
  }
}

/// A small mutex.
final class Lock: @unchecked Sendable {
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  init() {
    mutex = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
  }
  func withLock<T>(_ body: () throws -> T) rethrows -> T {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }
  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }
}
