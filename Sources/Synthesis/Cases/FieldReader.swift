import TensorIO

/// Reads the fields of one JSON object of a case, with errors that name the field's path and with
/// unknown fields rejected (a typo is an error, not a silently ignored field).
struct FieldReader {
  let object: JSONObject
  let path: String
  private(set) var used: Set<String> = []

  init(_ value: JSONValue, path: String) throws(SynthesisError) {
    do { object = try JSONField.object(value, at: path) } catch { throw Self.error(error) }
    self.path = path
  }

  func field(_ key: String) -> String { JSONField.member(path, key) }

  mutating func value(_ key: String) -> JSONValue? {
    used.insert(key)
    guard let value = object[key], !value.isNull else { return nil }
    return value
  }

  mutating func required(_ key: String) throws(SynthesisError) -> JSONValue {
    guard let value = value(key) else { throw SynthesisError(field: field(key), .missing) }
    return value
  }

  /// Reads a present field with `read`; absent and `null` fields are `nil`.
  private mutating func read<T>(_ key: String, _ read: (JSONValue, String) throws(JSONFieldError) -> T)
    throws(SynthesisError) -> T?
  {
    guard let value = value(key) else { return nil }
    do { return try read(value, field(key)) } catch { throw Self.error(error) }
  }

  mutating func string(_ key: String) throws(SynthesisError) -> String? { try read(key, JSONField.string) }
  mutating func int(_ key: String) throws(SynthesisError) -> Int? { try read(key, JSONField.int) }
  mutating func bool(_ key: String) throws(SynthesisError) -> Bool? { try read(key, JSONField.bool) }
  mutating func strings(_ key: String) throws(SynthesisError) -> [String]? { try read(key, JSONField.strings) }
  mutating func ints(_ key: String) throws(SynthesisError) -> [Int]? { try read(key, JSONField.ints) }
  mutating func object(_ key: String) throws(SynthesisError) -> JSONObject? { try read(key, JSONField.object) }

  mutating func requiredString(_ key: String) throws(SynthesisError) -> String {
    guard let string = try string(key) else { throw SynthesisError(field: field(key), .missing) }
    return string
  }

  mutating func requiredInt(_ key: String) throws(SynthesisError) -> Int {
    guard let value = try int(key) else { throw SynthesisError(field: field(key), .missing) }
    return value
  }

  mutating func dtype(_ key: String) throws(SynthesisError) -> DType? {
    guard let name = try string(key) else { return nil }
    guard let dtype = DType(name: name.uppercased()) else {
      throw SynthesisError(field: field(key), .invalidValue("unknown dtype '\(name)'"))
    }
    return dtype
  }

  /// Rejects fields nobody asked for.
  func finish() throws(SynthesisError) {
    for key in object.keys where !used.contains(key) {
      throw SynthesisError(field: field(key), .invalidValue("unknown field '\(key)'"))
    }
  }

  static func int(_ value: JSONValue, field: String) throws(SynthesisError) -> Int {
    do { return try JSONField.int(value, at: field) } catch { throw Self.error(error) }
  }

  /// A shape error of the shared reader as a case-field error.
  static func error(_ problem: JSONFieldError) -> SynthesisError {
    switch problem.reason {
    case .missing: SynthesisError(field: problem.path, .missing)
    case .wrongType: SynthesisError(field: problem.path, .invalidValue(problem.problem))
    }
  }
}
