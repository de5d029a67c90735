import TensorIO

/// Typed, error-reporting access to the fields of one JSON object (`adapter_config.json`, `config.json`).
///
/// Absent and `null` fields read as `nil`, as Python's dataclass defaults treat them; a present field
/// of the wrong type is an ``AdapterConfigError`` naming the file and field.
struct ConfigReader {
  let object: JSONObject
  let file: String

  func error(_ field: String, _ reason: AdapterConfigError.Reason) -> AdapterConfigError {
    AdapterConfigError(file: file, field: field, reason: reason)
  }

  /// A shape error of the shared reader as this file's config error.
  func error(_ problem: JSONFieldError) -> AdapterConfigError {
    switch problem.reason {
    case .missing: error(problem.path, .missing)
    case .wrongType(let expected, let found): error(problem.path, .wrongType(expected: expected, found: found))
    }
  }

  func value(_ field: String) -> JSONValue? {
    guard let value = object[field], value != .null else { return nil }
    return value
  }

  /// Reads a present field with `read`; absent and `null` fields are `nil`.
  private func read<T>(_ field: String, _ read: (JSONValue, String) throws(JSONFieldError) -> T)
    throws(AdapterConfigError) -> T?
  {
    guard let value = value(field) else { return nil }
    do { return try read(value, field) } catch { throw self.error(error) }
  }

  func string(_ field: String) throws(AdapterConfigError) -> String? { try read(field, JSONField.string) }
  func bool(_ field: String) throws(AdapterConfigError) -> Bool? { try read(field, JSONField.bool) }
  func int(_ field: String) throws(AdapterConfigError) -> Int? { try read(field, JSONField.int) }
  func double(_ field: String) throws(AdapterConfigError) -> Double? { try read(field, JSONField.double) }
  func stringList(_ field: String) throws(AdapterConfigError) -> [String]? { try read(field, JSONField.strings) }
  func intList(_ field: String) throws(AdapterConfigError) -> [Int]? { try read(field, JSONField.ints) }

  /// A field PEFT accepts as a string or a list of strings.
  func stringOrList(_ field: String) throws(AdapterConfigError) -> StringOrList? {
    guard let value = value(field) else { return nil }
    if let s = value.stringValue { return .string(s) }
    if value.arrayValue != nil { return .list(try stringList(field) ?? []) }
    throw error(field, .wrongType(expected: "a string or a list of strings", found: value.typeName))
  }

  /// An object of `name → number` (`rank_pattern`, `alpha_pattern`), in written order.
  func numberMap(_ field: String, integers: Bool) throws(AdapterConfigError) -> [PatternEntry] {
    guard let object = try read(field, JSONField.object) else { return [] }
    var result: [PatternEntry] = []
    do {
      for (key, element) in object {
        let path = JSONField.member(field, key)
        if integers {
          let i = try JSONField.int(element, at: path)
          result.append(PatternEntry(pattern: key, value: Double(i), exactInteger: i))
        } else {
          result.append(PatternEntry(pattern: key, value: try JSONField.double(element, at: path)))
        }
      }
    } catch {
      throw self.error(error)
    }
    return result
  }

  static func integer(_ value: JSONValue, field: String, reader: ConfigReader) throws(AdapterConfigError) -> Int {
    do { return try JSONField.int(value, at: field) } catch { throw reader.error(error) }
  }
}

/// A config value PEFT accepts either as one string or as a list of strings.
public enum StringOrList: Hashable, Sendable {
  case string(String)
  case list([String])

  /// The value as a list (a string becomes a one-element list).
  public var asList: [String] {
    switch self {
    case .string(let s): [s]
    case .list(let l): l
    }
  }
}
