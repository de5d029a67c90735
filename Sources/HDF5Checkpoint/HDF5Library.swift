import CHDF5
import SystemSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The process-wide gate to libhdf5.
///
/// Every call into the library happens inside ``withLock(_:)``. The system library is built
/// thread-safe here, but that is a build option nothing can check at compile time, and serialising
/// costs nothing measurable next to file I/O. The lock is recursive so that a handle released while
/// the lock is held can close itself.
enum HDF5Library {
  private static let mutex = Locked(recursive: true)

  /// Runs `body` holding the lock, with HDF5's automatic stderr error printing turned off.
  ///
  /// The thread-safe library keeps error-reporting settings per thread, so silencing once at start-up
  /// is not enough: it is repeated on every entry (a cheap call).
  static func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    try mutex.withLock { () throws(E) -> R in
      _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
      return try body()
    }
  }

  /// The messages on this thread's HDF5 error stack, outermost API call first, joined; clears the
  /// stack. Call right after a failed call, inside ``withLock(_:)``.
  static func takeErrorMessage() -> String {
    final class Lines { var items: [String] = [] }
    let lines = Lines()
    let walker: H5E_walk2_t = { _, entry, context in
      guard let entry, let context else { return 0 }
      let lines = Unmanaged<Lines>.fromOpaque(context).takeUnretainedValue()
      let function = entry.pointee.func_name.map { String(cString: $0) } ?? "?"
      let text = entry.pointee.desc.map { String(cString: $0) } ?? ""
      lines.items.append("\(function)(): \(text)")
      return 0
    }
    withExtendedLifetime(lines) {
      _ = H5Ewalk2(chdf5_e_default(), H5E_WALK_DOWNWARD, walker, Unmanaged.passUnretained(lines).toOpaque())
    }
    _ = H5Eclear2(chdf5_e_default())
    return lines.items.isEmpty ? "no message on the HDF5 error stack" : lines.items.joined(separator: "; ")
  }
}

/// An HDF5 identifier that is closed when the value goes away, so no path leaks a handle.
/// Create and drop it only inside ``HDF5Library/withLock(_:)``.
struct HDF5Handle: ~Copyable {
  let id: hid_t
  private let closer: @convention(c) (hid_t) -> herr_t

  init(_ id: hid_t, close: @convention(c) (hid_t) -> herr_t) {
    self.id = id
    self.closer = close
  }

  deinit { _ = closer(id) }

  /// Closes now and returns the library's status (closing a file flushes it, which can fail).
  consuming func close() -> herr_t {
    let (id, closer) = (self.id, self.closer)
    discard self
    return closer(id)
  }
}
