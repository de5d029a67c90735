/// A JSON document as a value, with object members kept in their written order.
///
/// Used for small configuration files (`config.json`, `adapter_config.json`, shard indexes), where
/// keeping unknown fields and their order matters more than speed.
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  /// A number, kept as its literal text so it round-trips exactly (`1e-05` stays `1e-05`).
  case number(String)
  case string(String)
  case array([JSONValue])
  case object(JSONObject)

  /// How to treat a key that occurs twice in one object.
  public enum DuplicateKeys: Sendable {
    /// Throw ``JSONError/Reason/duplicateKey(_:)``.
    case reject
    /// Keep the last value, as Python's `json` and serde do.
    case lastWins
  }

  /// Parses a complete JSON text.
  /// - Throws: ``JSONError`` with the byte offset of the first problem.
  public static func parse(
    _ bytes: UnsafeRawBufferPointer, duplicateKeys: DuplicateKeys = .lastWins,
    depthLimit: Int = JSONScanner.defaultDepthLimit
  ) throws(JSONError) -> JSONValue {
    var scanner = JSONScanner(bytes: bytes, depthLimit: depthLimit)
    let value = try parseValue(&scanner, duplicateKeys)
    try scanner.expectEnd()
    return value
  }

  /// Parses a complete JSON text from bytes.
  public static func parse(
    _ bytes: some Collection<UInt8>, duplicateKeys: DuplicateKeys = .lastWins
  ) throws(JSONError) -> JSONValue {
    let array = Array(bytes)
    return try array.withUnsafeBytes { raw in
      Result { () throws(JSONError) in try parse(raw, duplicateKeys: duplicateKeys) }
    }.get()
  }

  /// Parses a complete JSON text from a string.
  public static func parse(_ text: String, duplicateKeys: DuplicateKeys = .lastWins) throws(JSONError) -> JSONValue {
    try parse(Array(text.utf8), duplicateKeys: duplicateKeys)
  }

  private static func parseValue(_ scanner: inout JSONScanner, _ duplicates: DuplicateKeys) throws(JSONError)
    -> JSONValue
  {
    switch try scanner.peekToken() {
    case .null:
      _ = try scanner.readNullIfPresent()
      return .null
    case .bool: return .bool(try scanner.readBool())
    case .number: return .number(String(try scanner.readNumberText()))
    case .string: return .string(try scanner.readString())
    case .array:
      try scanner.beginArray()
      var elements: [JSONValue] = []
      var first = true
      while try scanner.hasNextElement(first: first) {
        first = false
        elements.append(try parseValue(&scanner, duplicates))
      }
      return .array(elements)
    case .object:
      let start = scanner.position
      try scanner.beginObject()
      var object = JSONObject()
      var first = true
      while let key = try scanner.nextKey(first: first) {
        first = false
        let value = try parseValue(&scanner, duplicates)
        if object[key] != nil, duplicates == .reject { throw JSONError(.duplicateKey(key), at: start) }
        object[key] = value
      }
      return .object(object)
    }
  }

  // MARK: Accessors

  /// The string, if this is one.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The boolean, if this is one.
  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  /// The number as an exact integer, if it is written as one and fits.
  public var intValue: Int? {
    if case .number(let text) = self { return Int(text) }
    return nil
  }

  /// The number as a double.
  public var doubleValue: Double? {
    if case .number(let text) = self { return Double(text) }
    return nil
  }

  /// The array, if this is one.
  public var arrayValue: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }

  /// The object, if this is one.
  public var objectValue: JSONObject? {
    if case .object(let o) = self { return o }
    return nil
  }

  /// Whether this is `null`.
  public var isNull: Bool { self == .null }

  /// Member lookup for objects; `nil` otherwise.
  public subscript(key: String) -> JSONValue? { objectValue?[key] }

  /// The JSON type's name, for error messages.
  public var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "boolean"
    case .number: "number"
    case .string: "string"
    case .array: "array"
    case .object: "object"
    }
  }
}

/// A JSON object: members in insertion order, keys unique (assigning an existing key replaces its
/// value in place).
public struct JSONObject: Sendable, Hashable, Sequence {
  public private(set) var members: [(key: String, value: JSONValue)] = []
  /// Each key's position, once there are more than ``scannedCount`` members; until then it stays empty
  /// and a key is found by comparing it with each: every case's configs, manifests and results are
  /// objects of a few members, and hashing each key into a dictionary cost more than the comparisons.
  private var index: [String: Int] = [:]

  /// The most members an object looks a key up among by scanning them.
  package static let scannedCount = 12

  public init() {}

  public init(_ members: [(String, JSONValue)]) {
    for (k, v) in members { self[k] = v }
  }

  /// An object from members whose keys are usually distinct (another object's, reordered): set as they are
  /// and indexed once, rather than each key looked up as it is added (a third of building an adapter config);
  /// a repeated key falls back to assignment one by one.
  package init(distinctMembers: [(key: String, value: JSONValue)]) {
    self.init()
    var index = [String: Int](minimumCapacity: distinctMembers.count)
    guard distinctMembers.count > Self.scannedCount,
      !distinctMembers.enumerated().contains(where: { index.updateValue($0.offset, forKey: $0.element.key) != nil })
    else {
      for member in distinctMembers { self[member.key] = member.value }
      return
    }
    members = distinctMembers
    self.index = index
  }

  /// The position of `key` among the members.
  private func position(of key: String) -> Int? {
    guard members.count > Self.scannedCount else { return members.firstIndex { $0.key == key } }
    return index[key]
  }

  public subscript(key: String) -> JSONValue? {
    get { position(of: key).map { members[$0].value } }
    set {
      if let i = position(of: key) {
        if let newValue {
          members[i].value = newValue
        } else {
          members.remove(at: i)
          index = members.count > Self.scannedCount ? Self.positions(members) : [:]
        }
      } else if let newValue {
        members.append((key, newValue))
        if members.count > Self.scannedCount {
          if index.isEmpty { index = Self.positions(members) } else { index[key] = members.count - 1 }
        }
      }
    }
  }

  private static func positions(_ members: [(key: String, value: JSONValue)]) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1.key, $0) })
  }

  public var keys: [String] { members.map(\.key) }
  public var count: Int { members.count }

  public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> { members.makeIterator() }

  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
    guard lhs.members.count == rhs.members.count else { return false }
    // Copies of one object share their members' storage: memo keys holding a config read once compare in
    // constant time, as arrays of equatable elements do.
    let shared = lhs.members.withUnsafeBufferPointer { l in
      rhs.members.withUnsafeBufferPointer { r in l.baseAddress == r.baseAddress }
    }
    return shared || zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
  }

  public func hash(into hasher: inout Hasher) {
    for member in members {
      hasher.combine(member.key)
      hasher.combine(member.value)
    }
  }
}
