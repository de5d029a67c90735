import AdapterLoading
import Synthesis
import TensorIO

/// An outcome field a loader fills in. Expectations about fields a loader does not report are not
/// checked for it (PEFT has no diagnostics; the profiles have no native exception types).
public enum OutcomeField: String, Sendable, Hashable, CaseIterable, Comparable {
  case missingKeys = "missing_keys"
  case unexpectedKeys = "unexpected_keys"
  case mismatchedKeys = "mismatched_keys"
  case error
  /// The native exception type (`RuntimeError`) next to the error kind.
  case errorType = "error_type"
  case warnings
  case diagnostics

  public static func < (lhs: OutcomeField, rhs: OutcomeField) -> Bool {
    allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
  }
}

/// What a loader can do and report. A loader is never asked to run a case outside its
/// capabilities: such cases are reported `SKIP`.
public struct LoaderCapabilities: Sendable, Hashable {
  public var formats: Set<CheckpointFormat>
  /// Supported `peft_type`s; `nil` means every tuner.
  public var tuners: Set<String>?
  public var methods: Set<LoadCall>
  public var reports: Set<OutcomeField>

  public init(
    formats: Set<CheckpointFormat> = Set(CheckpointFormat.allCases), tuners: Set<String>? = nil,
    methods: Set<LoadCall> = Set(LoadCall.allCases),
    reports: Set<OutcomeField> = [.missingKeys, .unexpectedKeys, .error, .warnings]
  ) {
    self.formats = formats
    self.tuners = tuners
    self.methods = methods
    self.reports = reports
  }

  /// Why the loader cannot run a case, or `nil` if it can.
  public func reasonToSkip(_ spec: CaseSpec, format: CheckpointFormat) -> String? {
    if !formats.contains(format) { return "the loader does not read \(format.rawValue)" }
    if let tuners {
      if let missing = spec.tuners.first(where: { !tuners.contains($0) }) { return "the loader does not support \(missing)" }
    }
    if !methods.contains(spec.load.call) { return "the loader does not offer \(spec.load.call.rawValue)" }
    return nil
  }
}

/// Who a loader is, as recorded in a report's `run_info`.
public struct LoaderInfo: Sendable, Hashable {
  /// The id results are filed under: a profile name (`recommended`) or `name@version` for drivers.
  public var id: String
  public var name: String
  public var version: String
  /// Component versions (`torch`, `transformers`, …).
  public var versions: [String: String]
  public var capabilities: LoaderCapabilities

  public init(
    id: String, name: String, version: String, versions: [String: String] = [:],
    capabilities: LoaderCapabilities = LoaderCapabilities()
  ) {
    self.id = id
    self.name = name
    self.version = version
    self.versions = versions
    self.capabilities = capabilities
  }
}
