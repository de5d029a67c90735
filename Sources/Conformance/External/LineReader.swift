import SystemSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads `\n`-terminated lines from a pipe with a deadline and a length limit.
struct LineReader {
  enum Read: Equatable {
    case line([UInt8])
    /// The other end closed the pipe (the process exited or closed stdout).
    case endOfFile
    case timedOut
    /// A line longer than the limit; its first bytes are kept for the report.
    case tooLong(prefix: [UInt8])
    case failed(Int32)
  }

  let fd: Int32
  let limit: Int
  private var buffer: [UInt8] = []
  private var scanned = 0

  init(fd: Int32, limit: Int) {
    self.fd = fd
    self.limit = limit
  }

  /// The next line (without its `\n`), waiting at most `timeout` seconds.
  mutating func readLine(timeout: Double) -> Read {
    let deadline = Monotonic.now + timeout
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      if let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
        if newline > limit { return .tooLong(prefix: Array(buffer.prefix(200))) }
        let line = Array(buffer[..<newline])
        buffer.removeSubrange(...newline)
        scanned = 0
        return .line(line)
      }
      scanned = buffer.count
      if buffer.count > limit { return .tooLong(prefix: Array(buffer.prefix(200))) }
      let remaining = deadline - Monotonic.now
      if remaining <= 0 { return .timedOut }
      var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = Glibc.poll(&descriptor, 1, Int32(min(remaining * 1000, 1_000_000).rounded(.up)))
      if ready < 0 {
        if errno == EINTR { continue }
        return .failed(errno)
      }
      if ready == 0 { continue }
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        return .failed(errno)
      }
      if n == 0 { return .endOfFile }
      buffer.append(contentsOf: chunk[..<n])
    }
  }
}
