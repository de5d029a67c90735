import TensorIO

/// A JSON document that does not have the expected shape, with the path of the offending value.
public struct JSONShapeError: Error, Sendable, Hashable, CustomStringConvertible {
  /// `results[12].status`
  public var path: String
  public var message: String

  public init(path: String, _ message: String) {
    self.path = path
    self.message = message
  }

  public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Typed access to a JSON object's members with path-carrying errors.
struct JSONFields {
  let object: JSONObject
  let path: String

  init(_ value: JSONValue, path: String) throws(JSONShapeError) {
    guard let object = value.objectValue else { throw JSONShapeError(path: path, "expected an object, found \(value.typeName)") }
    self.object = object
    self.path = path
  }

  func sub(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  func value(_ key: String) throws(JSONShapeError) -> JSONValue {
    guard let value = object[key] else { throw JSONShapeError(path: sub(key), "missing") }
    return value
  }

  func string(_ key: String) throws(JSONShapeError) -> String {
    let value = try value(key)
    guard let s = value.stringValue else { throw JSONShapeError(path: sub(key), "expected a string, found \(value.typeName)") }
    return s
  }

  func optionalString(_ key: String) throws(JSONShapeError) -> String? {
    guard let value = object[key], !value.isNull else { return nil }
    guard let s = value.stringValue else { throw JSONShapeError(path: sub(key), "expected a string, found \(value.typeName)") }
    return s
  }

  func strings(_ key: String, default defaultValue: [String]? = nil) throws(JSONShapeError) -> [String] {
    guard let value = object[key] else {
      if let defaultValue { return defaultValue }
      throw JSONShapeError(path: sub(key), "missing")
    }
    guard let items = value.arrayValue else {
      throw JSONShapeError(path: sub(key), "expected a list of strings, found \(value.typeName)")
    }
    var strings: [String] = []
    strings.reserveCapacity(items.count)
    for (i, item) in items.enumerated() {
      guard let s = item.stringValue else { throw JSONShapeError(path: "\(sub(key))[\(i)]", "expected a string, found \(item.typeName)") }
      strings.append(s)
    }
    return strings
  }

  func ints(_ key: String) throws(JSONShapeError) -> [Int] {
    let value = try value(key)
    guard let items = value.arrayValue else { throw JSONShapeError(path: sub(key), "expected a list of integers") }
    var ints: [Int] = []
    for (i, item) in items.enumerated() {
      guard let n = item.intValue else { throw JSONShapeError(path: "\(sub(key))[\(i)]", "expected an integer") }
      ints.append(n)
    }
    return ints
  }

  func objects(_ key: String, default defaultValue: [JSONValue]? = nil) throws(JSONShapeError) -> [JSONValue] {
    guard let value = object[key], !(value.isNull && defaultValue != nil) else {
      if let defaultValue { return defaultValue }
      throw JSONShapeError(path: sub(key), "missing")
    }
    guard let items = value.arrayValue else { throw JSONShapeError(path: sub(key), "expected a list, found \(value.typeName)") }
    return items
  }
}

extension JSONValue {
  /// A list of strings as JSON.
  static func strings(_ items: [String]) -> JSONValue { .array(items.map(JSONValue.string)) }
  /// An integer as JSON.
  static func int(_ n: Int) -> JSONValue { .number(String(n)) }
}
