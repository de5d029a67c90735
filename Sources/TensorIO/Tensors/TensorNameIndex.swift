/// Positions of a table's entries by name: open addressing over 8-byte slots, each a fragment of the name's hash
/// and the entry's position; the names themselves are read from the entries.
///
/// A `[String: Int]` holds a copy of every name (a retain each) and writes each insertion into two arrays 24 bytes
/// a slot apart; for the 18,867 names of a Qwen3-30B-A3B header that is three quarters of a megabyte written at
/// random, whose cache misses were a tenth of parsing it. These slots take a third of that and
/// hold no names. Names compare as Swift strings do, as the dictionary compared them. Positions take 40 bits: a
/// table of 2^40 entries would need 88 TB of them.
package struct TensorNameIndex: Sendable {
  /// 0 is empty; otherwise the hash's top 24 bits above `position + 1`.
  private var slots: [UInt64]
  package private(set) var count = 0
  /// `String`'s own hash; tests pass one that collides on purpose.
  private let hash: @Sendable (String) -> UInt64

  private static let positionBits: UInt64 = 40
  private static let positionMask: UInt64 = (1 << positionBits) - 1

  /// An index with room for `capacity` names before it grows.
  package init(capacity: Int = 0, hash: @escaping @Sendable (String) -> UInt64 = Self.stringHash) {
    slots = [UInt64](repeating: 0, count: Self.slotCount(for: capacity))
    self.hash = hash
  }

  /// An index of `entries`' names, each at its position; a repeated name keeps its first position.
  package init(_ entries: [TensorEntry], hash: @escaping @Sendable (String) -> UInt64 = Self.stringHash) {
    self.init(capacity: entries.count, hash: hash)
    for position in entries.indices { _ = insert(entries[position].name, at: position, in: entries) }
  }

  /// The position of the entry named `name`, if any.
  package func position(of name: String, in entries: [TensorEntry]) -> Int? {
    let (slot, _) = find(name, hash(name), in: entries)
    return slot.flatMap { Self.position(slots[$0]) }
  }

  /// Records `name` at `position` unless it is present: then returns where it is and changes nothing.
  /// `entries` must hold every position recorded so far (not yet `position` itself).
  package mutating func insert(_ name: String, at position: Int, in entries: [TensorEntry]) -> Int? {
    let hashed = hash(name)
    let (found, free) = find(name, hashed, in: entries)
    if let found { return Self.position(slots[found]) }
    slots[free] = Self.slot(hash: hashed, position: position)
    count += 1
    if count * 4 > slots.count * 3 { grow(in: entries, adding: (hashed, position)) }
    return nil
  }

  /// Moves an entry already recorded to `position` (its name at its old position in `entries`).
  package mutating func move(_ name: String, to position: Int, in entries: [TensorEntry]) {
    let hashed = hash(name)
    guard let found = find(name, hashed, in: entries).found else { return }
    slots[found] = Self.slot(hash: hashed, position: position)
  }

  /// The slot holding `name`, else the empty slot where it would go.
  private func find(_ name: String, _ hash: UInt64, in entries: [TensorEntry]) -> (found: Int?, free: Int) {
    let mask = slots.count - 1
    let fragment = hash >> Self.positionBits
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let value = slots[slot]
      if value == 0 { return (nil, slot) }
      if value >> Self.positionBits == fragment, let position = Self.position(value), position < entries.count,
        entries[position].name == name
      {
        return (slot, slot)
      }
      slot = (slot + 1) & mask
    }
  }

  /// Doubles the slots. The entry just recorded at `pending` may not be in `entries` yet, so its hash is passed.
  private mutating func grow(in entries: [TensorEntry], adding pending: (hash: UInt64, position: Int)) {
    let old = slots
    slots = [UInt64](repeating: 0, count: old.count * 2)
    let mask = slots.count - 1
    for value in old where value != 0 {
      guard let position = Self.position(value) else { continue }
      let hashed = position == pending.position ? pending.hash : hash(entries[position].name)
      var slot = Int(truncatingIfNeeded: hashed) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Self.slot(hash: hashed, position: position)
    }
  }

  package static let stringHash: @Sendable (String) -> UInt64 = { UInt64(bitPattern: Int64($0.hashValue)) }

  private static func slot(hash: UInt64, position: Int) -> UInt64 {
    (hash >> positionBits) << positionBits | (UInt64(position) + 1) & positionMask
  }

  private static func position(_ value: UInt64) -> Int? {
    let stored = value & positionMask
    return stored == 0 ? nil : Int(stored - 1)
  }

  /// A power of two keeping `capacity` names at most three quarters full.
  private static func slotCount(for capacity: Int) -> Int {
    var count = 8
    while count * 3 < max(capacity, 1) * 4 { count *= 2 }
    return count
  }
}
