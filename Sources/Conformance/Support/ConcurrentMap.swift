import Dispatch
import SystemSupport

extension Array where Element: Sendable {
  /// `transform` of every element, in the array's order, computed on the machine's cores: for
  /// independent pieces of a run's planning (case files, expectation files, matrix combinations), which
  /// one after the other kept a core idle.
  func concurrentMap<T: Sendable>(_ transform: @Sendable (Element) -> T) -> [T] {
    let slots = Locked([T?](repeating: nil, count: count))
    DispatchQueue.concurrentPerform(iterations: count) { i in
      let value = transform(self[i])
      slots.withLock { $0[i] = value }
    }
    // Every slot is filled: `concurrentPerform` returns after the last iteration.
    return slots.value.compactMap { $0 }
  }
}
