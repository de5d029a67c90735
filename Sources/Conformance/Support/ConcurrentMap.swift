import Dispatch
import SystemSupport

extension Array where Element: Sendable {
  /// `transform` of every element, in the array's order, computed on the machine's cores: for
  /// independent pieces of a run's planning (case files, expectation files, matrix combinations), which
  /// one after the other kept a core idle.
  ///
  /// - Parameter chunk: elements taken together, one after the other, by one core. Neighbours that share
  ///   memoized work (a matrix row's combinations save the same adapter) then do not both make it at once.
  func concurrentMap<T: Sendable>(chunk: Int = 1, _ transform: @Sendable (Element) -> T) -> [T] {
    let chunk = Swift.max(1, chunk)
    let slots = Locked([T?](repeating: nil, count: count))
    DispatchQueue.concurrentPerform(iterations: (count + chunk - 1) / chunk) { c in
      for i in c * chunk..<Swift.min(count, (c + 1) * chunk) {
        let value = transform(self[i])
        slots.withLock { $0[i] = value }
      }
    }
    // Every slot is filled: `concurrentPerform` returns after the last iteration.
    return slots.value.compactMap { $0 }
  }
}
