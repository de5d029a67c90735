import TensorIO

/// What a correct loader reports when the adapter of a generated pair is loaded into its base:
/// the expectation of a conformance case, derived from how the pair was built.
public struct DerivedOutcome: Sendable, Hashable {
  /// Model keys of adapter parameters the checkpoint does not fill, in checkpoint order.
  public var missingKeys: [String] = []
  /// Checkpoint keys that are no parameter of the model, as written.
  public var unexpectedKeys: [String] = []
  /// Checkpoint keys whose shape differs from the model's.
  public var mismatched: [Mismatch] = []
  /// The load fails.
  public var error: ErrorKind?
  /// Diagnostic codes a correct loader gives, sorted.
  public var diagnostics: [Code] = []
  /// Which rules fired, in plain words, in the order they fired.
  public var reasons: [String] = []

  public init() {}

  /// A checkpoint tensor of the wrong shape.
  public struct Mismatch: Sendable, Hashable {
    public var key: String
    public var checkpointShape: [Int]
    public var modelShape: [Int]
  }

  /// Why a load fails.
  public enum ErrorKind: String, Sendable, Hashable {
    /// Some checkpoint tensor has the wrong shape (torch's "size mismatch" `RuntimeError`).
    case sizeMismatch = "size-mismatch"
    /// No module matches the adapter's targets (PEFT's `NoMatchingPeftModuleError`).
    case targetNotFound = "target-not-found"
    /// Shared weights the config saves are not in the checkpoint (VeRA's projections: PEFT's `ValueError`).
    case missingSharedWeights = "missing-shared-weights"
  }

  /// Adaptest's diagnostic codes (DESIGN.md).
  public struct Code: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let adapterKeyMissing = Code(rawValue: "adapter-key-missing")
    public static let checkpointKeyUnexpected = Code(rawValue: "checkpoint-key-unexpected")
    public static let shapeMismatch = Code(rawValue: "shape-mismatch")
    public static let targetNotFound = Code(rawValue: "target-not-found")
    public static let embeddingSizeMismatch = Code(rawValue: "embedding-size-mismatch")
    public static let baseDriftIgnored = Code(rawValue: "base-drift-ignored")
    public static let sharedWeightsRegenerated = Code(rawValue: "shared-weights-regenerated")
    public static let adapterNameCollision = Code(rawValue: "adapter-name-collision")
    public static let baseWeightInCheckpoint = Code(rawValue: "base-weight-in-checkpoint")
    public static let dtypeCast = Code(rawValue: "dtype-cast")
    public static func < (lhs: Code, rhs: Code) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
  }

  /// Whether a correct loader reports nothing at all (informational diagnostics aside).
  public var isClean: Bool { missingKeys.isEmpty && unexpectedKeys.isEmpty && mismatched.isEmpty && error == nil }

  /// The manifest form (`case.json`'s `expect`).
  public var json: JSONValue {
    func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    func shape(_ s: [Int]) -> JSONValue { .array(s.map { .number(String($0)) }) }
    return .object(
      JSONObject([
        ("clean", .bool(isClean)),
        ("missing_keys", strings(missingKeys)),
        ("unexpected_keys", strings(unexpectedKeys)),
        (
          "mismatched",
          .array(
            mismatched.map {
              .object(
                JSONObject([
                  ("key", .string($0.key)), ("checkpoint_shape", shape($0.checkpointShape)),
                  ("model_shape", shape($0.modelShape)),
                ]))
            })
        ),
        ("error", error.map { .string($0.rawValue) } ?? .null),
        ("diagnostics", strings(diagnostics.map(\.rawValue))),
        ("reasons", strings(reasons)),
      ]))
  }
}
