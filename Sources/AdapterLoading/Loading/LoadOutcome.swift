import TensorIO

/// A size mismatch PEFT set aside because of `ignore_mismatched_sizes=True`.
public struct Mismatch: Hashable, Sendable {
  public var key: String
  public var checkpointShape: [Int]
  public var modelShape: [Int]
  public init(key: String, checkpointShape: [Int], modelShape: [Int]) {
    self.key = key
    self.checkpointShape = checkpointShape
    self.modelShape = modelShape
  }
}

/// What a loader reports for one load, in the terms of the chosen ``LoadProfile``.
public struct LoadOutcome: Hashable, Sendable {
  public var profile: LoadProfile
  public var call: LoadCall
  public var adapterName: String
  /// Missing keys as the loader computes them (`load_adapter` returns them; inside `from_pretrained`
  /// PEFT computes the same list and warns about it, minus shared parameters).
  public var missingKeys: [String]
  public var unexpectedKeys: [String]
  /// Keys set aside by `ignore_mismatched_sizes`.
  public var mismatched: [Mismatch]
  /// The exception the loader raises, if any.
  public var error: PythonError?
  /// Warnings in emission order.
  public var warnings: [PythonWarning]
  /// Adaptest's findings (``LoadProfile/recommended``; empty for the PEFT profiles).
  public var diagnostics: [Diagnostic]
  /// The wrapped model's state dict after the load (names, shapes, dtypes), when the load succeeds.
  public var stateDict: StateDict?
  /// Parameters left on the `meta` device (`low_cpu_mem_usage=True` and missing from the checkpoint).
  public var metaKeys: [String]
  /// torch's unfiltered `strict=False` result, when the load got that far.
  public var rawMissingKeys: [String]?
  /// transformers 5's LOAD REPORT, the warning its `load_adapter` logs (``LoadProfile/isTransformers`` on 5.x;
  /// `nil` when it logs none). Rows within a section are sorted (transformers prints them in Python's set order).
  public var loadReport: String?
  /// Whether PEFT itself raises where the `recommended` profile reports on instead (a missing auxiliary
  /// tensor is PEFT's `KeyError`): the verdict is then still "the load fails".
  public var peftRaises = false

  public init(profile: LoadProfile, call: LoadCall, adapterName: String) {
    self.profile = profile
    self.call = call
    self.adapterName = adapterName
    missingKeys = []
    unexpectedKeys = []
    mismatched = []
    error = nil
    warnings = []
    diagnostics = []
    stateDict = nil
    metaKeys = []
    rawMissingKeys = nil
  }

  /// Clean, warnings only, a load that succeeds but leaves the adapter broken, a load that raises, or an
  /// answer Adaptest cannot give. The raw values are `adaptest check`'s exit codes (3 is taken by
  /// unreadable inputs).
  public enum Status: Int, Sendable, Hashable, Comparable {
    case clean = 0
    case warnings = 1
    /// The loader raises.
    case fails = 2
    /// The simulation stopped at something Adaptest does not model (``PythonError/isNotSimulated``):
    /// whether the real load succeeds is unknown, so it is neither a failure nor a success.
    case cannotTell = 4
    /// The load succeeds, but the adapter is not applied as trained (a `lora_B` left at zero, a tensor
    /// skipped by `ignore_mismatched_sizes`): an error, distinct from a load that raises.
    case broken = 5

    /// Clean < warnings < broken < fails; "cannot tell" ranks apart, above them (nothing is known).
    private var severity: Int {
      switch self {
      case .clean: 0
      case .warnings: 1
      case .broken: 2
      case .fails: 3
      case .cannotTell: 4
      }
    }
    public static func < (lhs: Status, rhs: Status) -> Bool { lhs.severity < rhs.severity }
  }

  /// Warning categories that say nothing about the adapter (library deprecations).
  static let environmentCategories: Set<String> = ["FutureWarning", "DeprecationWarning"]

  /// The outcome's status: `cannotTell` when the simulation reached something Adaptest does not model,
  /// `fails` when the loader raises; for `recommended`, `broken` when the load succeeds with an error
  /// diagnostic; `warnings` when anything is reported, else `clean`.
  public var status: Status {
    if unknown != nil { return .cannotTell }
    if error != nil || peftRaises { return .fails }
    if diagnostics.contains(where: { $0.severity == .error }) { return .broken }
    guard profile.isPEFT else { return diagnostics.contains { $0.severity == .warning } ? .warnings : .clean }
    let relevant = warnings.filter { !Self.environmentCategories.contains($0.category) }
    return missingKeys.isEmpty && unexpectedKeys.isEmpty && mismatched.isEmpty && relevant.isEmpty ? .clean : .warnings
  }

  /// What Adaptest cannot tell about this load, when the simulation stopped at something it does not
  /// model (a PEFT method outside the catalog); `nil` when the outcome is a prediction.
  public var unknown: String? {
    guard let error, error.isNotSimulated else { return nil }
    return "\(error.message); whether the load succeeds, and which keys it reports missing or unexpected, is unknown"
  }
}
