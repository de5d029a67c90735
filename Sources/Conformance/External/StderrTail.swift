#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import Dispatch
import SystemSupport

/// Drains a child's stderr on a background thread and keeps its last bytes for reports.
final class StderrTail: Sendable {
  private let storage = Locked<(bytes: [UInt8], ended: Bool)>(([], false))
  private let capacity: Int

  /// Starts reading `fd` until end of file; closes it then.
  init(fd: Int32, capacity: Int = 64 * 1024) {
    self.capacity = capacity
    DispatchQueue.global(qos: .utility).async { [self] in
      var chunk = [UInt8](repeating: 0, count: 16384)
      while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        storage.withLock { state in
          state.bytes.append(contentsOf: chunk[..<n])
          if state.bytes.count > capacity { state.bytes.removeFirst(state.bytes.count - capacity) }
        }
      }
      close(fd)
      storage.withLock { $0.ended = true }
    }
  }

  /// Waits up to `seconds` for the writer to close stderr (after the process ended), so that
  /// its last words are in the tail.
  func awaitEnd(seconds: Double) {
    let deadline = Monotonic.now + seconds
    while !storage.withLock({ $0.ended }) && Monotonic.now < deadline { usleep(5_000) }
  }

  /// The last `lines` lines (at most `characters` characters) of what was written so far.
  func tail(lines: Int = 20, characters: Int = 4000) -> String {
    let bytes = storage.withLock { $0.bytes }
    let text = String(decoding: bytes, as: UTF8.self)
    let kept = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1).joined(separator: "\n")
    let trimmed = kept.hasSuffix("\n") ? String(kept.dropLast()) : kept
    return trimmed.count > characters ? "…" + String(trimmed.suffix(characters)) : trimmed
  }
}
