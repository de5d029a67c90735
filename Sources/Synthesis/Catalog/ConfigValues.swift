import TensorIO

/// Shorthands for writing config fields the way Python's `json` writes them.
enum ConfigValue {
  static func int(_ value: Int) -> JSONValue { .number(String(value)) }
  /// A float exactly as Python's `repr` writes it (`1e-06`, `10000.0`), given as that text.
  static func float(_ pythonRepr: String) -> JSONValue { .number(pythonRepr) }
  static func string(_ value: String) -> JSONValue { .string(value) }
  static func bool(_ value: Bool) -> JSONValue { .bool(value) }
  static let null = JSONValue.null
  static func optionalInt(_ value: Int?) -> JSONValue { value.map(int) ?? .null }

  /// transformers 5's `rope_parameters` object for default (unscaled) RoPE.
  static func rope(theta: String, partialRotaryFactor: String? = nil) -> JSONValue {
    var object = JSONObject()
    if let partialRotaryFactor { object["partial_rotary_factor"] = .number(partialRotaryFactor) }
    object["rope_theta"] = .number(theta)
    object["rope_type"] = .string("default")
    return .object(object)
  }

  /// The object with its keys (recursively) in the order `json.dumps(sort_keys=True)` writes them,
  /// so the value in memory equals the file read back.
  static func sortedKeys(_ object: JSONObject) -> JSONObject {
    func sorted(_ value: JSONValue) -> JSONValue {
      switch value {
      case .object(let inner): .object(sortedKeys(inner))
      case .array(let elements): .array(elements.map(sorted))
      default: value
      }
    }
    return JSONObject(
      distinctMembers: object.members.sorted { ByteSearch.precedes($0.key, $1.key) }.map { ($0.key, sorted($0.value)) })
  }
}
