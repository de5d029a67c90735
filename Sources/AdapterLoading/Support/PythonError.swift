import TensorIO

/// An exception a Python loader raises: its class name and message, exactly as Python prints them.
public struct PythonError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The exception class (`RuntimeError`, `ValueError`, `KeyError`, `TypeError`,
  /// `NoMatchingPeftModuleError`).
  public var kind: String
  /// `str(exception)`; for `KeyError` this is the repr of the key (`'base_model.model.lm_head.weight'`).
  public var message: String

  public init(kind: String, message: String) {
    self.kind = kind
    self.message = message
  }

  public static func valueError(_ message: String) -> PythonError { PythonError(kind: "ValueError", message: message) }
  public static func typeError(_ message: String) -> PythonError { PythonError(kind: "TypeError", message: message) }
  public static func runtimeError(_ message: String) -> PythonError {
    PythonError(kind: "RuntimeError", message: message)
  }
  /// `KeyError(key)`: Python prints the key's repr.
  public static func keyError(_ key: String) -> PythonError { PythonError(kind: "KeyError", message: pythonRepr(key)) }

  /// Not an exception Python raises: the simulation reached something Adaptest does not model, so it
  /// cannot say what the loader would do. `what` says what is not modelled.
  public static func notSimulated(_ what: String) -> PythonError { PythonError(kind: notSimulatedKind, message: what) }

  /// The kind of ``notSimulated(_:)`` errors.
  public static let notSimulatedKind = "NotSimulated"

  /// Whether this is Adaptest's "cannot tell" rather than a loader's exception.
  public var isNotSimulated: Bool { kind == Self.notSimulatedKind }

  public var description: String { "\(kind): \(message)" }
}

/// A warning a Python loader emits (`warnings.warn`), with its category.
public struct PythonWarning: Hashable, Sendable, CustomStringConvertible {
  /// `UserWarning`, `RuntimeWarning`, `PeftWarning`, …
  public var category: String
  public var message: String

  public init(category: String = "UserWarning", message: String) {
    self.category = category
    self.message = message
  }

  public var description: String { "\(category): \(message)" }
}
