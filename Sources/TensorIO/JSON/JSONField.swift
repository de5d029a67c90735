/// A JSON value of the wrong shape for the field it stands in, with the field's path.
public struct JSONFieldError: Error, Sendable, Hashable, CustomStringConvertible {
  public enum Reason: Sendable, Hashable {
    /// A required field is absent (or `null`).
    case missing
    /// The value has another JSON type: `expected` and `found` read as "expected a string, found
    /// number".
    case wrongType(expected: String, found: String)
  }

  /// `adapter.mutations[0].keys[2]`, `rank_pattern.q_proj`.
  public var path: String
  public var reason: Reason

  public init(path: String, _ reason: Reason) {
    self.path = path
    self.reason = reason
  }

  /// The problem without the path: `required field is missing`, `expected a string, found number`.
  public var problem: String {
    switch reason {
    case .missing: "required field is missing"
    case .wrongType(let expected, let found): "expected \(expected), found \(found)"
    }
  }

  public var description: String { path.isEmpty ? problem : "\(path): \(problem)" }
}

/// Typed reads of JSON values, shared by every decoder of a JSON document (case and matrix files,
/// `adapter_config.json`, results files, driver messages), each of which wraps ``JSONFieldError``
/// into its own typed error. Lists name the offending element (`keys[2]`), maps the offending
/// member (`rank_pattern.q_proj`).
public enum JSONField {
  /// The path of a member: `a.b`, or `b` at the root.
  public static func member(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  public static func string(_ value: JSONValue, at path: String) throws(JSONFieldError) -> String {
    guard let string = value.stringValue else { throw wrongType(value, "a string", at: path) }
    return string
  }

  public static func bool(_ value: JSONValue, at path: String) throws(JSONFieldError) -> Bool {
    guard let bool = value.boolValue else { throw wrongType(value, "a boolean", at: path) }
    return bool
  }

  /// An integer written as one (`4`, not `4.0`) that fits in `Int`.
  public static func int(_ value: JSONValue, at path: String) throws(JSONFieldError) -> Int {
    guard let int = value.intValue else { throw wrongType(value, "an integer", at: path) }
    return int
  }

  public static func double(_ value: JSONValue, at path: String) throws(JSONFieldError) -> Double {
    guard let double = value.doubleValue else { throw wrongType(value, "a number", at: path) }
    return double
  }

  public static func object(_ value: JSONValue, at path: String) throws(JSONFieldError) -> JSONObject {
    guard let object = value.objectValue else { throw wrongType(value, "an object", at: path) }
    return object
  }

  public static func array(_ value: JSONValue, at path: String, of what: String = "a list") throws(JSONFieldError)
    -> [JSONValue]
  {
    guard let array = value.arrayValue else { throw wrongType(value, what, at: path) }
    return array
  }

  public static func strings(_ value: JSONValue, at path: String) throws(JSONFieldError) -> [String] {
    try list(value, at: path, of: "a list of strings", element: string)
  }

  public static func ints(_ value: JSONValue, at path: String) throws(JSONFieldError) -> [Int] {
    try list(value, at: path, of: "a list of integers", element: int)
  }

  /// A list read element by element, each element's path `path[i]`.
  public static func list<T>(
    _ value: JSONValue, at path: String, of what: String,
    element: (JSONValue, String) throws(JSONFieldError) -> T
  ) throws(JSONFieldError) -> [T] {
    var result: [T] = []
    for (i, item) in try array(value, at: path, of: what).enumerated() { result.append(try element(item, "\(path)[\(i)]")) }
    return result
  }

  /// `number 4.5` for a number that is not the expected kind, else the JSON type's name.
  static func found(_ value: JSONValue) -> String {
    if case .number(let text) = value { return "number \(text)" }
    return value.typeName
  }

  private static func wrongType(_ value: JSONValue, _ expected: String, at path: String) -> JSONFieldError {
    JSONFieldError(path: path, .wrongType(expected: expected, found: found(value)))
  }
}
