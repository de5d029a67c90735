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

  func value(_ field: String) -> JSONValue? {
    guard let value = object[field], value != .null else { return nil }
    return value
  }

  func string(_ field: String) throws(AdapterConfigError) -> String? {
    guard let value = value(field) else { return nil }
    guard let s = value.stringValue else { throw error(field, .wrongType(expected: "a string", found: value.typeName)) }
    return s
  }

  func bool(_ field: String) throws(AdapterConfigError) -> Bool? {
    guard let value = value(field) else { return nil }
    guard let b = value.boolValue else { throw error(field, .wrongType(expected: "a boolean", found: value.typeName)) }
    return b
  }

  func int(_ field: String) throws(AdapterConfigError) -> Int? {
    guard let value = value(field) else { return nil }
    return try Self.integer(value, field: field, reader: self)
  }

  func double(_ field: String) throws(AdapterConfigError) -> Double? {
    guard let value = value(field) else { return nil }
    guard let d = value.doubleValue else { throw error(field, .wrongType(expected: "a number", found: value.typeName)) }
    return d
  }

  func stringList(_ field: String) throws(AdapterConfigError) -> [String]? {
    guard let value = value(field) else { return nil }
    guard let array = value.arrayValue else {
      throw error(field, .wrongType(expected: "a list of strings", found: value.typeName))
    }
    var result: [String] = []
    for (i, element) in array.enumerated() {
      guard let s = element.stringValue else {
        throw error("\(field)[\(i)]", .wrongType(expected: "a string", found: element.typeName))
      }
      result.append(s)
    }
    return result
  }

  /// A field PEFT accepts as a string or a list of strings.
  func stringOrList(_ field: String) throws(AdapterConfigError) -> StringOrList? {
    guard let value = value(field) else { return nil }
    if let s = value.stringValue { return .string(s) }
    if value.arrayValue != nil { return .list(try stringList(field) ?? []) }
    throw error(field, .wrongType(expected: "a string or a list of strings", found: value.typeName))
  }

  func intList(_ field: String) throws(AdapterConfigError) -> [Int]? {
    guard let value = value(field) else { return nil }
    guard let array = value.arrayValue else {
      throw error(field, .wrongType(expected: "a list of integers", found: value.typeName))
    }
    var result: [Int] = []
    for (i, element) in array.enumerated() {
      result.append(try Self.integer(element, field: "\(field)[\(i)]", reader: self))
    }
    return result
  }

  /// An object of `name → number` (`rank_pattern`, `alpha_pattern`), in written order.
  func numberMap(_ field: String, integers: Bool) throws(AdapterConfigError) -> [PatternEntry] {
    guard let value = value(field) else { return [] }
    guard let object = value.objectValue else {
      throw error(field, .wrongType(expected: "an object", found: value.typeName))
    }
    var result: [PatternEntry] = []
    for (key, element) in object {
      if integers {
        let i = try Self.integer(element, field: "\(field).\(key)", reader: self)
        result.append(PatternEntry(pattern: key, value: Double(i), exactInteger: i))
      } else {
        guard let d = element.doubleValue else {
          throw error("\(field).\(key)", .wrongType(expected: "a number", found: element.typeName))
        }
        result.append(PatternEntry(pattern: key, value: d))
      }
    }
    return result
  }

  static func integer(_ value: JSONValue, field: String, reader: ConfigReader) throws(AdapterConfigError) -> Int {
    guard case .number(let text) = value else {
      throw reader.error(field, .wrongType(expected: "an integer", found: value.typeName))
    }
    guard let i = Int(text) else {
      throw reader.error(field, .wrongType(expected: "an integer", found: "number \(text)"))
    }
    return i
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
