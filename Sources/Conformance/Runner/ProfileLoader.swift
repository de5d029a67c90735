import AdapterLoading
import Checkpoints
import HDF5Checkpoint
import SafeTensors
import Synthesis
import SystemSupport
import TensorIO

/// A built-in loader: one of the AdapterLoading module's simulation profiles (`recommended`, `peft`,
/// `peft-0.13`), reading the case's folders like `adaptest check` does. The PEFT profiles read
/// safetensors the way the Rust reference does (PEFT's own reader); `recommended` reads strictly.
public struct ProfileLoader: InProcessLoader {
  public let profile: LoadProfile
  /// The name the loader was asked for (`peft-0.13` stays `peft-0.13` in results, though it is `peft@0.13`).
  public let id: String
  /// How the profile reads safetensors: profiles share what one of them read of a case (``CaseReads``).
  private let reader: CaseReads.Reader

  /// Whether configs are reduced to the fields the release knows (as the driver does with
  /// `ADAPTEST_PEFT_STRIP_UNKNOWN_CONFIG_FIELDS=1`).
  public let stripsUnknownConfigFields: Bool

  public init(profile: LoadProfile, id: String? = nil, stripsUnknownConfigFields: Bool = false) {
    self.profile = profile
    self.stripsUnknownConfigFields = stripsUnknownConfigFields
    self.id = id ?? profile.rawValue
    reader = profile == .recommended ? .strict : .reference
  }

  public func start() async throws -> LoaderInfo {
    var reports: Set<OutcomeField> = [.missingKeys, .unexpectedKeys, .mismatchedKeys, .error, .errorType, .warnings]
    if profile == .recommended { reports.insert(.diagnostics) }
    return LoaderInfo(
      id: id, name: "adaptest-\(id)", version: AdaptestVersion.current,
      capabilities: LoaderCapabilities(
        methods: profile.isTransformers ? Set(LoadCall.allCases) : LoadCall.peftCalls, reports: reports,
        keyNaming: profile.isTransformers ? .model : .peftModel))
  }

  public func answer(_ prepared: PreparedCase) -> LoaderAnswer {
    let observed = observe(prepared)
    // A load the engine cannot simulate is the profile's limitation, not the loader's answer.
    if let error = observed.error, error.kind == .notSimulated {
      return .cannotTell("the \(profile.rawValue) profile cannot simulate this load: \(error.message)")
    }
    return .outcome(observed)
  }

  /// What the engine reads of a base: its config and each tensor's name, dtype and shape (not the
  /// file it is in, nor where).
  private struct BaseKey: Hashable, Sendable {
    var config: JSONObject
    /// The table's entries; only their names and infos are part of the key.
    var tensors: [TensorEntry]
    /// The key's hash, made once outside the memo's lock from the counts and the tensors at both ends:
    /// hashing the whole config and every name inside the lock was most of the memo's time (`perf record`
    /// of a default run). Equality still compares everything.
    private var digest: Int

    init(config: JSONObject, tensors: [TensorEntry]) {
      self.config = config
      self.tensors = tensors
      var hasher = Hasher()
      hasher.combine(config.count)
      hasher.combine(tensors.count)
      let ends = tensors.count <= 8 ? Array(tensors.indices) : Array(0..<4) + Array((tensors.count - 4)..<tensors.count)
      for i in ends {
        hasher.combine(tensors[i].name)
        hasher.combine(tensors[i].info)
      }
      digest = hasher.finalize()
    }

    func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    static func == (a: BaseKey, b: BaseKey) -> Bool {
      // The tables of a matrix row's copies of one base share their names and shapes (``TablesByContent``):
      // comparing them is comparing pointers.
      a.digest == b.digest && a.tensors.count == b.tensors.count
        && zip(a.tensors, b.tensors).allSatisfy { $0.name == $1.name && $0.info == $1.info } && a.config == b.config
    }
  }

  /// Bases already read by this process: the cases of a matrix row load the same base from
  /// different folders, and building the module tree is a third of a tiny case's time.
  private static let bases = Memo<BaseKey, AdapterLoading.BaseModel>(capacity: 64)

  static func baseModel(config: JSONObject, weights: TensorTable, source: String) throws(BaseModelError) -> AdapterLoading.BaseModel {
    let key = BaseKey(config: config, tensors: weights.entries)
    return try bases.value(for: key) { () throws(BaseModelError) in
      try AdapterLoading.BaseModel(config: config, weights: weights, source: source)
    }
  }

  /// Reads the folders and simulates the load.
  func observe(_ prepared: PreparedCase) -> ObservedOutcome {
    let base: AdapterLoading.BaseModel
    let adapter: AdapterSource
    var loaded: [AdapterLoading.LoadedAdapter] = []
    let reads = prepared.reads
    do {
      base = try reads.baseModel(prepared.base, reader: reader) { folder in
        try Self.baseModel(config: folder.config, weights: folder.tensors, source: prepared.base)
      }
    } catch {
      return .failed(Self.inputError(error))
    }
    // After the base, PEFT reads adapter_config.json before any adapter weight: a release that refuses
    // the config never reads a (malformed) weight file.
    if let release = profile.release, let config = try? reads.adapterConfig(prepared.adapter),
      let refusal = release.refusal(of: config, strippingUnknownFields: stripsUnknownConfigFields)
    {
      var outcome = LoadOutcome(profile: profile, call: .fromPretrained, adapterName: prepared.load.adapterName)
      outcome.error = refusal
      return Self.observed(outcome)
    }
    do {
      for entry in prepared.loaded {
        loaded.append(AdapterLoading.LoadedAdapter(name: entry.name, source: try readAdapter(entry.path, reads)))
      }
      adapter = try readAdapter(prepared.adapter, reads)
    } catch {
      return .failed(Self.inputError(error))
    }
    let load = prepared.load
    var context = AdapterLoading.LoadContext(
      adapterName: load.adapterName, call: load.call, loaded: loaded,
      ignoreMismatchedSizes: load.ignoreMismatchedSizes)
    context.baseReference = load.baseReference
    context.stripsUnknownConfigFields = stripsUnknownConfigFields
    let outcome = LoadSimulator.simulate(base: base, adapter: adapter, context: context, profile: profile)
    return Self.observed(outcome)
  }

  private func readAdapter(_ path: String, _ reads: CaseReads) throws -> AdapterSource {
    let folder = try reads.adapter(path, reader: reader)
    return AdapterSource(config: try reads.adapterConfig(path), tensors: folder.tensors, path: path)
  }

  /// The simulation's outcome in the common vocabulary.
  static func observed(_ outcome: LoadOutcome) -> ObservedOutcome {
    var observed = ObservedOutcome(
      missingKeys: outcome.missingKeys, unexpectedKeys: outcome.unexpectedKeys,
      mismatched: outcome.mismatched.map { MismatchedKey(key: $0.key, checkpointShape: $0.checkpointShape, modelShape: $0.modelShape) },
      warnings: outcome.warnings.map { LoadWarning(category: $0.category, message: $0.message) },
      diagnostics: outcome.diagnostics.map {
        LoadDiagnostic(code: $0.code.rawValue, severity: $0.severity.rawValue, keys: $0.keys, message: $0.message, fix: $0.fix)
      })
    if let error = outcome.error {
      observed.error = LoadError(kind: error.category, type: error.kind, message: error.message)
      observed.missingKeys = []
      observed.unexpectedKeys = []
    }
    return observed
  }

  /// A folder that cannot be read: a format error, a missing file, a bad config.
  static func inputError(_ error: any Error) -> LoadError {
    switch error {
    case let e as SafeTensorsError:
      if case .io = e.kind { return LoadError(kind: .weightsNotFound, message: e.description) }
      return LoadError(kind: .formatError, message: e.description, formatError: e.kind.code)
    case let e as HDF5CheckpointError:
      if case .file = e { return LoadError(kind: .weightsNotFound, message: e.description) }
      return LoadError(kind: .formatError, message: e.description, formatError: e.code)
    case let e as LayoutError:
      switch e {
      case .noWeights, .notFound, .missingShard: return LoadError(kind: .weightsNotFound, message: e.description)
      case .unknownFormat, .unsupportedPickle: return LoadError(kind: .formatError, message: e.description)
      default: return LoadError(kind: .invalidBaseConfig, message: e.description)
      }
    case let e as AdapterConfigError:
      return LoadError(kind: .invalidAdapterConfig, message: e.description)
    case let e as BaseModelError:
      return LoadError(kind: .invalidBaseConfig, message: e.description)
    default:
      return LoadError(kind: .other, message: "\(error)")
    }
  }
}
