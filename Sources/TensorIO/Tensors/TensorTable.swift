/// One named tensor in a checkpoint, with where its bytes live.
public struct TensorEntry: Hashable, Sendable {
  /// The tensor's name as stored (`base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`).
  public var name: String
  /// Its dtype and shape.
  public var info: TensorInfo
  /// Byte range of its data inside ``file``'s data section, when the format has one (safetensors).
  public var dataOffsets: Range<Int>?
  /// The file holding the tensor; differs between entries of a sharded checkpoint.
  public var file: String

  public init(name: String, info: TensorInfo, dataOffsets: Range<Int>? = nil, file: String) {
    self.name = name
    self.info = info
    self.dataOffsets = dataOffsets
    self.file = file
  }
}

/// An ordered table of tensors: names in file order, unique, with constant-time lookup.
///
/// Order matters for reproducing what loaders report (torch returns keys in state-dict order), so
/// this is not a dictionary.
public struct TensorTable: Sendable, Hashable, RandomAccessCollection {
  public private(set) var entries: [TensorEntry]
  private var index: TensorNameIndex

  public init() {
    entries = []
    index = TensorNameIndex()
  }

  /// Builds a table, rejecting duplicate names.
  /// - Throws: ``DuplicateTensorName`` naming the first repeated tensor.
  public init(_ entries: some Sequence<TensorEntry>) throws(DuplicateTensorName) {
    self.init()
    for entry in entries { try append(entry) }
  }

  /// Adopts entries whose names the caller already indexed (`index.position(of: entries[i].name) == i`
  /// for every `i`, names unique), so a codec that hashed every name while parsing does not hash
  /// them again. Visible to the package's codecs only.
  package init(entries: [TensorEntry], index: TensorNameIndex) {
    self.entries = entries
    self.index = index
  }

  /// The same tensors, each in `file`: the table of a byte-identical copy of a one-file checkpoint. The
  /// names' index is kept, not built again.
  package func relocated(to file: String) -> TensorTable {
    var moved = self
    for i in moved.entries.indices where moved.entries[i].file != file { moved.entries[i].file = file }
    return moved
  }

  /// Appends an entry.
  /// - Throws: ``DuplicateTensorName`` if the name is already present.
  public mutating func append(_ entry: TensorEntry) throws(DuplicateTensorName) {
    guard index.insert(entry.name, at: entries.count, in: entries) == nil else {
      throw DuplicateTensorName(name: entry.name)
    }
    entries.append(entry)
  }

  /// Inserts or replaces: a repeated name takes the new entry's value and the *last* position,
  /// which is how a JSON object read "last wins" orders its keys.
  public mutating func upsert(_ entry: TensorEntry) {
    guard let position = index.position(of: entry.name, in: entries) else {
      _ = index.insert(entry.name, at: entries.count, in: entries)
      entries.append(entry)
      return
    }
    // The entries after it move up one; indexing the names again costs what renumbering them did.
    entries.remove(at: position)
    entries.append(entry)
    index = TensorNameIndex(entries)
  }

  /// The entry with that name, if any.
  public subscript(name: String) -> TensorEntry? {
    index.position(of: name, in: entries).map { entries[$0] }
  }

  /// Whether a tensor with that name exists.
  public func contains(name: String) -> Bool { index.position(of: name, in: entries) != nil }

  /// Names in table order.
  public var names: [String] { entries.map(\.name) }

  public var startIndex: Int { entries.startIndex }
  public var endIndex: Int { entries.endIndex }
  public subscript(position: Int) -> TensorEntry { entries[position] }

  public static func == (lhs: TensorTable, rhs: TensorTable) -> Bool { lhs.entries == rhs.entries }
  public func hash(into hasher: inout Hasher) { hasher.combine(entries) }
}

/// A tensor name occurs twice where names must be unique.
public struct DuplicateTensorName: Error, Hashable, Sendable, CustomStringConvertible {
  public var name: String
  public init(name: String) { self.name = name }
  public var description: String { "duplicate tensor name '\(name)'" }
}
