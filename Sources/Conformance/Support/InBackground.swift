import Dispatch
import SystemSupport

/// Work started on another core while the caller goes on; ``value`` waits for its result.
final class InBackground<T: Sendable>: Sendable {
  private let done = DispatchGroup()
  private let result = Locked<T?>(nil)

  init(_ work: @escaping @Sendable () -> T) {
    DispatchQueue.global().async(group: done) { [result] in
      let value = work()
      result.withLock { $0 = value }
    }
  }

  /// The result, once the work is done.
  var value: T {
    done.wait()
    guard let value = result.value else { preconditionFailure("the group is left only after the result is stored") }
    return value
  }
}
