import AdapterLoading

/// What a loader reported for one case: the common shape of every loader's answer (built-in
/// profiles and external drivers alike).
public struct ObservedOutcome: Sendable, Hashable {
  public var missingKeys: [String]
  public var unexpectedKeys: [String]
  public var mismatched: [MismatchedKey]
  /// The failure, if the load failed.
  public var error: LoadError?
  public var warnings: [LoadWarning]
  public var diagnostics: [LoadDiagnostic]

  public init(
    missingKeys: [String] = [], unexpectedKeys: [String] = [], mismatched: [MismatchedKey] = [],
    error: LoadError? = nil, warnings: [LoadWarning] = [], diagnostics: [LoadDiagnostic] = []
  ) {
    self.missingKeys = missingKeys
    self.unexpectedKeys = unexpectedKeys
    self.mismatched = mismatched
    self.error = error
    self.warnings = warnings
    self.diagnostics = diagnostics
  }

  /// A failed load.
  public static func failed(_ error: LoadError) -> ObservedOutcome { ObservedOutcome(error: error) }
}

/// A key dropped because its checkpoint shape differs from the model's.
public struct MismatchedKey: Sendable, Hashable {
  public var key: String
  public var checkpointShape: [Int]
  public var modelShape: [Int]

  public init(key: String, checkpointShape: [Int], modelShape: [Int]) {
    self.key = key
    self.checkpointShape = checkpointShape
    self.modelShape = modelShape
  }
}

/// How a load failed.
public struct LoadError: Sendable, Hashable {
  public var kind: ErrorKind
  /// The native type (`RuntimeError`, `KeyError`), when the loader has one.
  public var type: String?
  public var message: String
  /// For `format-error`: the format's own error kind (`InvalidOffset`, `HeaderTooLarge`).
  public var formatError: String?

  public init(kind: ErrorKind, type: String? = nil, message: String, formatError: String? = nil) {
    self.kind = kind
    self.type = type
    self.message = message
    self.formatError = formatError
  }
}

/// A warning the loader emitted.
public struct LoadWarning: Sendable, Hashable {
  /// The category (`UserWarning`, or a loader-defined one).
  public var category: String
  public var message: String

  public init(category: String, message: String) {
    self.category = category
    self.message = message
  }
}

/// A structured diagnostic (the `recommended` profile's output).
public struct LoadDiagnostic: Sendable, Hashable {
  public var code: String
  /// `error`, `warning` or `info`.
  public var severity: String
  public var keys: [String]
  public var message: String
  public var fix: String?

  public init(code: String, severity: String, keys: [String] = [], message: String, fix: String? = nil) {
    self.code = code
    self.severity = severity
    self.keys = keys
    self.message = message
    self.fix = fix
  }
}
