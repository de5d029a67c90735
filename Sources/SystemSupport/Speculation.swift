/// Work done before it is known to be wanted, on a thread of its own, so that it overlaps what must come
/// first: `check` reads its base model on the other core while ArgumentParser's reflection, a third of a
/// check, parses the command line (Benchmarks/README.md).
///
/// A plan, run on the new thread, makes values by key through ``attempt(_:_:)``; the consumer asks for
/// them with ``take(_:)``. A value made is handed over (waited for while it is being made); a key the
/// plan has not reached is claimed by the consumer, who makes the value itself as it would without
/// speculation, and the plan then skips it. ``end()`` stops the plan at its next attempt. Making must
/// be pure and side-effect free: a value taken must be the one the consumer would have made.
package final class Speculation<Key: Hashable & Sendable, Value: Sendable>: Sendable {
  private enum Slot {
    /// Being made; consumers waiting for it.
    case making(waiting: [CheckedContinuation<Value?, Never>])
    /// Made: the value, or nil when making found none.
    case made(Value?)
    /// Asked for before the plan reached it: the consumer makes it.
    case claimed
  }

  private struct State {
    var slots: [Key: Slot] = [:]
    var ended = false
  }

  private let state = Locked(State())

  /// Starts `plan` on a new thread, on another CPU than the caller's where there is one; if no thread can be
  /// started, nothing is speculated.
  package init(_ plan: @escaping @Sendable (Speculation) -> Void) {
    let started = ThreadJob { [self] in
      plan(self)
      end()
    }.start(avoidingCurrentCPU: true)
    if !started { end() }
  }

  /// For the plan: makes `key`'s value with `make` unless the speculation ended or the key was already
  /// made or claimed; returns the value made now (nil when skipped or none was found).
  @discardableResult
  package func attempt(_ key: Key, _ make: () -> Value?) -> Value? {
    let begin = state.withLock { state -> Bool in
      guard !state.ended, state.slots[key] == nil else { return false }
      state.slots[key] = .making(waiting: [])
      return true
    }
    guard begin else { return nil }
    let value = make()
    let waiting = state.withLock { state -> [CheckedContinuation<Value?, Never>] in
      defer { state.slots[key] = .made(value) }
      if case .making(let waiting)? = state.slots[key] { return waiting }
      return []
    }
    for consumer in waiting { consumer.resume(returning: value) }
    return value
  }

  /// The value speculated for `key`: the one made (nil if making found none), waited for while being
  /// made; nil, and the key claimed, when the plan has not reached it.
  package func take(_ key: Key) async -> Value? {
    await withCheckedContinuation { consumer in
      let ready: Value?? = state.withLock { state in
        switch state.slots[key] {
        case .making(let waiting)?:
          state.slots[key] = .making(waiting: waiting + [consumer])
          return .none
        case .made(let value)?:
          return .some(value)
        case .claimed?, nil:
          state.slots[key] = .claimed
          return .some(nil)
        }
      }
      if let ready { consumer.resume(returning: ready) }
    }
  }

  /// Stops the plan at its next attempt (one under way finishes). Values already made stay.
  package func end() {
    state.withLock { $0.ended = true }
  }
}
