import AdapterLoading
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

  /// Why a load fails, as every loader's outcome names it.
  public typealias ErrorKind = AdapterLoading.ErrorKind

  /// Adaptest's diagnostic codes, as the AdapterLoading engine names them.
  public typealias Code = DiagnosticCode

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
