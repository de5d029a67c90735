import TensorIO

/// An `adapter_config.json` that cannot be used, naming the file and the field at fault.
public struct AdapterConfigError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What is wrong with the field.
  public enum Reason: Hashable, Sendable {
    /// A required field is absent.
    case missing
    /// The field has the wrong JSON type.
    case wrongType(expected: String, found: String)
    /// The field has the right type but a value PEFT rejects.
    case invalidValue(String)
  }

  /// The config file (or a caller-chosen label when the JSON did not come from a file).
  public var file: String
  /// The field, as a dotted path for nested values (`rank_pattern.q_proj`).
  public var field: String
  public var reason: Reason

  public init(file: String, field: String, reason: Reason) {
    self.file = file
    self.field = field
    self.reason = reason
  }

  public var description: String {
    switch reason {
    case .missing: "\(file): \(field): required field is missing"
    case .wrongType(let expected, let found): "\(file): \(field): expected \(expected), found \(found)"
    case .invalidValue(let detail): "\(file): \(field): \(detail)"
    }
  }
}
