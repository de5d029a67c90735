/// A stable diagnostic code (an open set, like `Errno`).
public struct DiagnosticCode: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }

  /// An adapter tensor the model expects is absent from the checkpoint.
  public static let adapterKeyMissing = DiagnosticCode(rawValue: "adapter-key-missing")
  /// A checkpoint tensor has no place in the model and is ignored.
  public static let checkpointKeyUnexpected = DiagnosticCode(rawValue: "checkpoint-key-unexpected")
  /// A checkpoint tensor's shape differs from the model's.
  public static let shapeMismatch = DiagnosticCode(rawValue: "shape-mismatch")
  /// The config targets modules the base does not have.
  public static let targetNotFound = DiagnosticCode(rawValue: "target-not-found")
  /// Saved embeddings have a different vocabulary size than the base.
  public static let embeddingSizeMismatch = DiagnosticCode(rawValue: "embedding-size-mismatch")
  /// The base differs from the training base where the adapter does not reach (harmless).
  public static let baseDriftIgnored = DiagnosticCode(rawValue: "base-drift-ignored")
  /// Shared weights are rebuilt from a seed instead of being loaded (VeRA without projections).
  public static let sharedWeightsRegenerated = DiagnosticCode(rawValue: "shared-weights-regenerated")
  /// The adapter name collides with a prefix or with other adapters' keys.
  public static let adapterNameCollision = DiagnosticCode(rawValue: "adapter-name-collision")
  /// The checkpoint overwrites a base-model weight.
  public static let baseWeightInCheckpoint = DiagnosticCode(rawValue: "base-weight-in-checkpoint")
  /// Tensors are converted to another dtype on load.
  public static let dtypeCast = DiagnosticCode(rawValue: "dtype-cast")
  /// A checkpoint file could not be read (carries the reader's error kind).
  public static let formatError = DiagnosticCode(rawValue: "format-error")
  /// The loader raises; the adapter cannot be loaded as is.
  public static let loadError = DiagnosticCode(rawValue: "load-error")
  /// The model's structure (backbone prefix, heads, key order) is inferred from the checkpoint, not
  /// recorded from transformers: a model type or class transformers does not register.
  public static let architectureInferred = DiagnosticCode(rawValue: "architecture-inferred")
  /// The adapter config has fields this PEFT version does not know (they are ignored).
  public static let unknownConfigFields = DiagnosticCode(rawValue: "unknown-config-fields")

  /// Every code this version emits (the linter's and the docs' vocabulary).
  public static let known: [DiagnosticCode] = [
    .adapterKeyMissing, .checkpointKeyUnexpected, .shapeMismatch, .targetNotFound, .embeddingSizeMismatch,
    .baseDriftIgnored, .sharedWeightsRegenerated, .adapterNameCollision, .baseWeightInCheckpoint, .dtypeCast,
    .formatError, .loadError, .unknownConfigFields, .architectureInferred,
  ]

  public var description: String { rawValue }
  public static func < (lhs: DiagnosticCode, rhs: DiagnosticCode) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How serious a diagnostic is.
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
  /// Worth knowing; shown with `--verbose`.
  case info
  /// The load succeeds but something is probably not what the user wants.
  case warning
  /// The load fails, or the adapter is not applied as trained.
  case error

  private var rank: Int {
    switch self {
    case .info: 0
    case .warning: 1
    case .error: 2
    }
  }
  public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One finding of the `recommended` profile: a stable code, a severity, the keys involved, a one-line
/// message and, where there is one, the fix.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
  public var code: DiagnosticCode
  public var severity: Severity
  public var keys: [String]
  public var message: String
  public var fix: String?

  public init(code: DiagnosticCode, severity: Severity, keys: [String] = [], message: String, fix: String? = nil) {
    self.code = code
    self.severity = severity
    self.keys = keys
    self.message = message
    self.fix = fix
  }

  public var description: String {
    "\(severity.rawValue) [\(code)] \(message)" + (fix.map { " Fix: \($0)" } ?? "")
  }
}
