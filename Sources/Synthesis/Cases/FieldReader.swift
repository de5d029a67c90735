import TensorIO

/// Reads the fields of one JSON object of a case, with errors that name the field's path and with
/// unknown fields rejected (a typo is an error, not a silently ignored field).
struct FieldReader {
  let object: JSONObject
  let path: String
  private(set) var used: Set<String> = []

  init(_ value: JSONValue, path: String) throws(SynthesisError) {
    guard let object = value.objectValue else {
      throw SynthesisError(field: path, .invalidValue("expected an object, found \(value.typeName)"))
    }
    self.object = object
    self.path = path
  }

  func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  mutating func value(_ key: String) -> JSONValue? {
    used.insert(key)
    guard let value = object[key], !value.isNull else { return nil }
    return value
  }

  mutating func required(_ key: String) throws(SynthesisError) -> JSONValue {
    guard let value = value(key) else { throw SynthesisError(field: field(key), .missing) }
    return value
  }

  mutating func string(_ key: String) throws(SynthesisError) -> String? {
    guard let value = value(key) else { return nil }
    guard let string = value.stringValue else {
      throw SynthesisError(field: field(key), .invalidValue("expected a string, found \(value.typeName)"))
    }
    return string
  }

  mutating func requiredString(_ key: String) throws(SynthesisError) -> String {
    guard let string = try string(key) else { throw SynthesisError(field: field(key), .missing) }
    return string
  }

  mutating func int(_ key: String) throws(SynthesisError) -> Int? {
    guard let value = value(key) else { return nil }
    return try Self.int(value, field: field(key))
  }

  mutating func requiredInt(_ key: String) throws(SynthesisError) -> Int {
    guard let value = try int(key) else { throw SynthesisError(field: field(key), .missing) }
    return value
  }

  mutating func bool(_ key: String) throws(SynthesisError) -> Bool? {
    guard let value = value(key) else { return nil }
    guard let bool = value.boolValue else {
      throw SynthesisError(field: field(key), .invalidValue("expected true or false, found \(value.typeName)"))
    }
    return bool
  }

  mutating func strings(_ key: String) throws(SynthesisError) -> [String]? {
    guard let value = value(key) else { return nil }
    guard let items = value.arrayValue else {
      throw SynthesisError(field: field(key), .invalidValue("expected a list of strings, found \(value.typeName)"))
    }
    var result: [String] = []
    for (i, item) in items.enumerated() {
      guard let string = item.stringValue else {
        throw SynthesisError(field: "\(field(key))[\(i)]", .invalidValue("expected a string, found \(item.typeName)"))
      }
      result.append(string)
    }
    return result
  }

  mutating func ints(_ key: String) throws(SynthesisError) -> [Int]? {
    guard let value = value(key) else { return nil }
    guard let items = value.arrayValue else {
      throw SynthesisError(field: field(key), .invalidValue("expected a list of integers, found \(value.typeName)"))
    }
    var result: [Int] = []
    for (i, item) in items.enumerated() { result.append(try Self.int(item, field: "\(field(key))[\(i)]")) }
    return result
  }

  mutating func dtype(_ key: String) throws(SynthesisError) -> DType? {
    guard let name = try string(key) else { return nil }
    guard let dtype = DType(name: name.uppercased()) else {
      throw SynthesisError(field: field(key), .invalidValue("unknown dtype '\(name)'"))
    }
    return dtype
  }

  mutating func object(_ key: String) throws(SynthesisError) -> JSONObject? {
    guard let value = value(key) else { return nil }
    guard let object = value.objectValue else {
      throw SynthesisError(field: field(key), .invalidValue("expected an object, found \(value.typeName)"))
    }
    return object
  }

  /// Rejects fields nobody asked for.
  func finish() throws(SynthesisError) {
    for key in object.keys where !used.contains(key) {
      throw SynthesisError(field: field(key), .invalidValue("unknown field '\(key)'"))
    }
  }

  static func int(_ value: JSONValue, field: String) throws(SynthesisError) -> Int {
    guard let int = value.intValue else {
      throw SynthesisError(field: field, .invalidValue("expected an integer, found \(value.typeName)"))
    }
    return int
  }
}
