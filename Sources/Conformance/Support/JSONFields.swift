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

/// Typed access to a JSON object's members with path-carrying errors (the shared ``JSONField``
/// reads, as ``JSONShapeError``s).
struct JSONFields {
  let object: JSONObject
  let path: String

  init(_ value: JSONValue, path: String) throws(JSONShapeError) {
    do { object = try JSONField.object(value, at: path) } catch { throw Self.error(error) }
    self.path = path
  }

  func sub(_ key: String) -> String { JSONField.member(path, key) }

  func value(_ key: String) throws(JSONShapeError) -> JSONValue {
    guard let value = object[key] else { throw JSONShapeError(path: sub(key), "missing") }
    return value
  }

  func string(_ key: String) throws(JSONShapeError) -> String { try read(try value(key), key, JSONField.string) }

  func optionalString(_ key: String) throws(JSONShapeError) -> String? {
    guard let value = object[key], !value.isNull else { return nil }
    return try read(value, key, JSONField.string)
  }

  func strings(_ key: String, default defaultValue: [String]? = nil) throws(JSONShapeError) -> [String] {
    guard let value = object[key] else {
      if let defaultValue { return defaultValue }
      throw JSONShapeError(path: sub(key), "missing")
    }
    return try read(value, key, JSONField.strings)
  }

  func ints(_ key: String) throws(JSONShapeError) -> [Int] { try read(try value(key), key, JSONField.ints) }

  func objects(_ key: String, default defaultValue: [JSONValue]? = nil) throws(JSONShapeError) -> [JSONValue] {
    guard let value = object[key], !(value.isNull && defaultValue != nil) else {
      if let defaultValue { return defaultValue }
      throw JSONShapeError(path: sub(key), "missing")
    }
    return try read(value, key) { (value, path) throws(JSONFieldError) in try JSONField.array(value, at: path) }
  }

  private func read<T>(_ value: JSONValue, _ key: String, _ read: (JSONValue, String) throws(JSONFieldError) -> T)
    throws(JSONShapeError) -> T
  {
    do { return try read(value, sub(key)) } catch { throw Self.error(error) }
  }

  static func error(_ problem: JSONFieldError) -> JSONShapeError {
    switch problem.reason {
    case .missing: JSONShapeError(path: problem.path, "missing")
    case .wrongType: JSONShapeError(path: problem.path, problem.problem)
    }
  }
}

extension JSONValue {
  /// A list of strings as JSON.
  static func strings(_ items: [String]) -> JSONValue { .array(items.map(JSONValue.string)) }
  /// An integer as JSON.
  static func int(_ n: Int) -> JSONValue { .number(String(n)) }
}
