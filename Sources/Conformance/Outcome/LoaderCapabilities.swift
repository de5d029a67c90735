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

/// How a loader names the keys it reports. Case files name them as `PeftModel` does; a loader that
/// names them otherwise is compared in its own naming.
public enum KeyNaming: String, Sendable, Hashable, CaseIterable {
  /// `base_model.model.model.layers.0.…`: the keys of the `PeftModel` wrapper (PEFT's loaders).
  case peftModel = "peft_model"
  /// `model.layers.0.…`: the keys of the model itself, without the wrapper's `base_model.model.`
  /// (transformers' own adapter loading, which injects the adapter into the bare model).
  case model

  /// The prefix `PeftModel` puts before every key of the model it wraps.
  public static let wrapperPrefix = "base_model.model."

  /// A case file's key as this loader names it.
  public func name(_ key: String) -> String {
    switch self {
    case .peftModel: key
    case .model: key.hasPrefix(Self.wrapperPrefix) ? String(key.dropFirst(Self.wrapperPrefix.count)) : key
    }
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
  /// How its reported keys are named; expected keys are compared in this naming.
  public var keyNaming: KeyNaming

  public init(
    formats: Set<CheckpointFormat> = Set(CheckpointFormat.allCases), tuners: Set<String>? = nil,
    methods: Set<LoadCall> = LoadCall.peftCalls,
    reports: Set<OutcomeField> = [.missingKeys, .unexpectedKeys, .error, .warnings], keyNaming: KeyNaming = .peftModel
  ) {
    self.formats = formats
    self.tuners = tuners
    self.methods = methods
    self.reports = reports
    self.keyNaming = keyNaming
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
