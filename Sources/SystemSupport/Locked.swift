#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A value behind a pthread mutex. `Synchronization.Mutex` needs newer Apple OSes than the
/// package's, and a recursive variant serves the one library (libhdf5) that re-enters.
package final class Locked<Value>: @unchecked Sendable {
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private var stored: Value

  /// - Parameter recursive: whether the thread holding the lock may take it again.
  package init(_ value: Value, recursive: Bool = false) {
    stored = value
    mutex = .allocate(capacity: 1)
    var attributes = pthread_mutexattr_t()
    pthread_mutexattr_init(&attributes)
    if recursive { pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE)) }
    pthread_mutex_init(mutex, &attributes)
    pthread_mutexattr_destroy(&attributes)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  package func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body(&stored)
  }

  /// Runs `body` holding the lock without touching the value: the form a recursive lock re-enters
  /// through (a nested `inout` access to the value would be an exclusivity violation).
  package func withLockHeld<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  package var value: Value {
    get { withLock { $0 } }
    set { withLock { $0 = newValue } }
  }
}

extension Locked where Value == Void {
  /// A plain lock guarding no value.
  package convenience init(recursive: Bool = false) { self.init((), recursive: recursive) }

  package func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R { try withLockHeld(body) }
}

/// A flag that can be claimed once, from any thread.
package final class Once: Sendable {
  private let claimed = Locked(false)

  package init() {}

  /// True for the first caller only.
  package func claim() -> Bool {
    claimed.withLock { done in
      defer { done = true }
      return !done
    }
  }
}
