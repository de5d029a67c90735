/// Results of a pure function kept by argument, at most `capacity` of them, safe to share between
/// threads. For work repeated across many inputs that share a part (every case of a matrix row
/// builds the same base); a full table is emptied rather than evicted piecemeal, since the
/// repeats come in runs.
package final class Memo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
  /// A key with its hash, made before the lock is taken: threads hashing large keys (a whole config,
  /// a file's bytes) do not wait for each other.
  private struct Hashed: Hashable, Sendable {
    let key: Key
    let hash: Int

    init(_ key: Key) {
      self.key = key
      hash = key.hashValue
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    static func == (a: Hashed, b: Hashed) -> Bool { a.hash == b.hash && a.key == b.key }
  }

  private let table: Locked<[Hashed: Value]>
  private let capacity: Int

  package init(capacity: Int) {
    table = Locked([:])
    self.capacity = max(1, capacity)
  }

  /// The value for `key`, made by `make` the first time (outside the lock, so threads making
  /// different values do not wait for each other; a value made twice is the same value).
  package func value<E: Error>(for key: Key, make: () throws(E) -> Value) throws(E) -> Value {
    let hashed = Hashed(key)
    if let found = table.withLock({ $0[hashed] }) { return found }
    let made = try make()
    table.withLock { stored in
      if stored.count >= capacity { stored.removeAll(keepingCapacity: true) }
      stored[hashed] = made
    }
    return made
  }
}
