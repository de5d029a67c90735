import TensorIO

/// A YAML document as a plain, `Sendable` tree that keeps every node's line and column, so that
/// every problem found later can be reported at its place in the file.
struct YAMLNode: Sendable {
  /// The type YAML's core schema resolved for a scalar (`4` is an int, `"4"` a string).
  enum ScalarType: Sendable, Hashable {
    case string, int, float, bool, null
  }

  enum Kind: Sendable {
    case scalar(String, ScalarType)
    case mapping([(key: YAMLNode, value: YAMLNode)])
    case sequence([YAMLNode])
  }

  var kind: Kind
  var line: Int
  var column: Int

  /// The scalar's text if it is a scalar (of any type).
  var scalarText: String? {
    if case .scalar(let text, _) = kind { return text }
    return nil
  }

  /// The text, if this is a scalar that YAML resolved to a string.
  var string: String? {
    if case .scalar(let text, .string) = kind { return text }
    return nil
  }

  var isNull: Bool {
    if case .scalar(_, .null) = kind { return true }
    return false
  }

  var int: Int? {
    guard case .scalar(let text, .int) = kind else { return nil }
    return Int(text.replacingUnderscores())
  }

  var bool: Bool? {
    guard case .scalar(let text, .bool) = kind else { return nil }
    switch text.lowercased() {
    case "true", "yes", "on", "y": return true
    case "false", "no", "off", "n": return false
    default: return nil
    }
  }

  var sequence: [YAMLNode]? {
    if case .sequence(let items) = kind { return items }
    return nil
  }

  var mapping: [(key: YAMLNode, value: YAMLNode)]? {
    if case .mapping(let pairs) = kind { return pairs }
    return nil
  }

  /// What a reader would call this node's type, for "expected a list, found a string" messages.
  var typeName: String {
    switch kind {
    case .scalar(_, let type):
      switch type {
      case .string: "a string"
      case .int: "an integer"
      case .float: "a number"
      case .bool: "a boolean"
      case .null: "null"
      }
    case .mapping: "a mapping"
    case .sequence: "a list"
    }
  }

  /// The value as JSON (for free-form config overrides); `nil` for values JSON cannot hold.
  func jsonValue() -> JSONValue? {
    switch kind {
    case .scalar(let text, let type):
      switch type {
      case .string: return .string(text)
      case .null: return .null
      case .bool: return bool.map(JSONValue.bool)
      case .int:
        guard let value = Int(text.replacingUnderscores()) else { return nil }
        return .number(String(value))
      case .float:
        guard let value = Double(text.replacingUnderscores()), value.isFinite else { return nil }
        // Keep the author's spelling when it already is a JSON number (`1e-05` stays `1e-05`).
        if (try? JSONValue.parse(text)).map({ if case .number = $0 { true } else { false } }) == true {
          return .number(text)
        }
        return .number(String(value))
      }
    case .sequence(let items):
      var values: [JSONValue] = []
      for item in items {
        guard let value = item.jsonValue() else { return nil }
        values.append(value)
      }
      return .array(values)
    case .mapping(let pairs):
      var object = JSONObject()
      for pair in pairs {
        guard let key = pair.key.scalarText, let value = pair.value.jsonValue() else { return nil }
        object[key] = value
      }
      return .object(object)
    }
  }
}

extension String {
  fileprivate func replacingUnderscores() -> String { split(separator: "_").joined() }
}

/// Why a YAML text could not be turned into a tree at all.
struct YAMLSyntaxError: Error, Sendable {
  var message: String
  var line: Int
  var column: Int
}

enum YAMLDocument {
  /// Parses one YAML document. An empty document gives `nil`.
  static func parse(_ text: String) throws(YAMLSyntaxError) -> YAMLNode? {
    if let (line, column) = YAMLAliasScan.firstAnchorOrAlias(in: text) {
      throw YAMLSyntaxError(
        message: "YAML anchors and aliases (&name, *name) are not supported in corpus files; quote text that starts with '&' or '*'",
        line: line, column: column)
    }
    return try YAMLComposer.compose(text)
  }
}
