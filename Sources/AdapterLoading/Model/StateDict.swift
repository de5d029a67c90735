import TensorIO

/// An ordered `key → tensor info` table, as `torch.nn.Module.state_dict()` or a checkpoint gives it.
public struct StateDict: Hashable, Sendable, RandomAccessCollection {
  /// One key.
  public struct Entry: Hashable, Sendable {
    public var key: String
    public var info: TensorInfo
    /// The key of the tensor it shares storage with, when it is a tied alias.
    public var tiedTo: String?
    public init(key: String, info: TensorInfo, tiedTo: String? = nil) {
      self.key = key
      self.info = info
      self.tiedTo = tiedTo
    }
  }

  public private(set) var entries: [Entry]
  private var index: [String: Int]

  public init() {
    entries = []
    index = [:]
  }

  /// Builds a table; a repeated key keeps its first position and takes the last value (Python dict
  /// assignment semantics).
  public init(_ entries: some Sequence<Entry>) {
    self.init(uniqueEntries: Array(entries))
  }

  /// Builds a table from entries that usually have distinct keys: one hash per key, and Python's dict
  /// assignment only when a key repeats (remaps and state dicts build several tables per simulated load).
  init(uniqueEntries: [Entry]) {
    entries = uniqueEntries
    index = [String: Int](minimumCapacity: uniqueEntries.count)
    for (i, entry) in uniqueEntries.enumerated() where index.updateValue(i, forKey: entry.key) != nil {
      // A repeated key: assigned one by one, as a Python dict does.
      entries = []
      index = [:]
      for e in uniqueEntries { self[e.key] = e }
      return
    }
  }

  /// A checkpoint's table (names, dtypes, shapes), in file order.
  public init(_ table: TensorTable) {
    self.init(uniqueEntries: table.entries.map { Entry(key: $0.name, info: $0.info) })
  }

  public subscript(key: String) -> Entry? {
    get { index[key].map { entries[$0] } }
    set {
      if let i = index[key] {
        if let newValue {
          entries[i] = newValue
        } else {
          entries.remove(at: i)
          index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.key, $0) })
        }
      } else if let newValue {
        index[key] = entries.count
        entries.append(newValue)
      }
    }
  }

  public func contains(_ key: String) -> Bool { index[key] != nil }
  public var keys: [String] { entries.map(\.key) }

  /// Removes several keys at once (linear time).
  public mutating func remove(_ keys: Set<String>) {
    guard !keys.isEmpty else { return }
    entries.removeAll { keys.contains($0.key) }
    index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.key, $0) })
  }

  public var startIndex: Int { entries.startIndex }
  public var endIndex: Int { entries.endIndex }
  public subscript(position: Int) -> Entry { entries[position] }

  public static func == (lhs: StateDict, rhs: StateDict) -> Bool { lhs.entries == rhs.entries }
  public func hash(into hasher: inout Hasher) { hasher.combine(entries) }
}
