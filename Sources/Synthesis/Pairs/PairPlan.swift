import AdapterLoading
import SystemSupport
import TensorIO

/// Everything about a generated pair, before any file is written: both bases, the adapter config and
/// checkpoint, the adapters already loaded, and the expected outcome from the rule table.
public struct PairPlan: Sendable {
  public var spec: PairSpec
  /// The base the adapter was trained on.
  public var trainingBase: BaseModelDescription
  /// The base it is loaded into (the training base after the base mutations): written to `base/`.
  public var loadingBase: BaseModelDescription
  /// `adapter_config.json`.
  public var adapterConfig: JSONObject
  /// The adapter's tensors as written to `adapter/`, after the adapter mutations.
  public var checkpoint: [AdapterTensor]
  /// The dtype floating-point adapter tensors are stored in.
  public var adapterDType: DType
  /// Adapters already loaded: written clean to `loaded/NAME/`.
  public var loadedAdapters: [LoadedAdapter]
  /// What a correct loader reports.
  public var outcome: DerivedOutcome

  /// A clean adapter written next to the pair's.
  public struct LoadedAdapter: Sendable {
    public var name: String
    public var config: JSONObject
    public var tensors: [AdapterTensor]
  }

  /// Plans a pair.
  /// - Throws: ``SynthesisError`` naming the case field that asked for something impossible.
  public init(_ spec: PairSpec) throws(SynthesisError) {
    self.spec = spec
    do { trainingBase = try spec.base.describe() } catch { throw error.within("base") }
    var model = spec.base
    for mutation in spec.baseMutations {
      do { model = try mutation.value.apply(to: model) } catch {
        let name = mutation.path.split(separator: ".").last.map(String.init) ?? ""
        var located = error
        located.field = BaseMutation.argumentField(for: name, problemField: error.field)
        throw located.within(mutation.path)
      }
    }
    do { loadingBase = try model.describe() } catch { throw error.within("base") }
    do { adapterConfig = try Self.savedConfig(spec.adapter, base: trainingBase) } catch { throw error.within("adapter") }
    try Self.checkTokenIndices(adapterConfig, spec: spec, training: trainingBase, loading: loadingBase)
    let trained: [AdapterTensor]
    do throws(SynthesisError) {
      guard let tensors = try AdapterCatalog.savedTensors(config: adapterConfig, base: trainingBase) else {
        throw SynthesisError(field: "config.target_modules", .invalidValue("matches no module of the base"))
      }
      trained = tensors
    } catch { throw error.within("adapter") }
    let expected: ExpectedParameters
    do {
      expected = try AdapterCatalog.expectedParameters(
        config: adapterConfig, base: loadingBase, adapterName: spec.load.adapterName)
    } catch { throw error.within("adapter") }

    var mutations: [AdapterMutation] = []
    var dtype = DType.f32
    for request in spec.adapterMutations {
      do {
        let lowered = try Self.lower(request.value, trained: trained, config: adapterConfig, base: trainingBase)
        if case .dtype(let d) = request.value { dtype = d }
        mutations.append(lowered)
      } catch { throw error.within(request.path) }
    }
    adapterDType = dtype
    // The adapters already in the model: their files (saved on the training base) and the
    // parameters they have on the loading base.
    var loaded: [LoadedAdapter] = []
    var loadedParameters: [String: AdapterTensor] = [:]
    for (i, other) in spec.loaded.enumerated() {
      do throws(SynthesisError) {
        var config = adapterConfig
        if let override = other.adapter { config = try AdapterConfigBuilder.config(override, base: trainingBase) }
        guard let tensors = try AdapterCatalog.savedTensors(config: config, base: trainingBase) else {
          throw SynthesisError(field: "config.target_modules", .invalidValue("matches no module of the base"))
        }
        loaded.append(LoadedAdapter(name: other.name, config: config, tensors: tensors))
        for tensor in try AdapterCatalog.savedTensors(config: config, base: loadingBase, adapterName: other.name) ?? []
        where tensor.role != .baseWeight {
          loadedParameters[tensor.modelKey(adapterName: other.name)] = tensor
        }
      } catch { throw error.within("load.loaded[\(i)]") }
    }
    loadedAdapters = loaded
    // VeRA and PVeRA raise when projections the config saves are absent, or regenerate them.
    let isVeRA = spec.adapter.peftType == "VERA" || spec.adapter.peftType == "PVERA"
    let inputs = OutcomeRules.Inputs(
      trained: trained, expected: expected, loadingBase: loadingBase, baseMutations: spec.baseMutations.map(\.value),
      adapterMutations: mutations, adapterDType: dtype,
      tunerPrefix: PeftType(spec.adapter.peftType).prefix ?? "",
      sharedWeightsRegenerated: isVeRA && adapterConfig["save_projection"] == .bool(false),
      sharedWeightsRequired: isVeRA && adapterConfig["save_projection"] != .bool(false), loadedParameters: loadedParameters,
      restoresLoRAPrefix: spec.adapter.peftType == "LORA" && loadingBase.family.definition.convertsLoRACheckpoints,
      context: spec.load)
    do {
      checkpoint = try OutcomeRules.checkpoint(inputs)
      outcome = try OutcomeRules.outcome(inputs)
    } catch {
      // Mutation errors come back as `mutations[i].field`: name the case's own path instead.
      if error.field.hasPrefix("mutations["), let close = error.field.firstIndex(of: "]"),
        let i = Int(error.field[error.field.index(error.field.startIndex, offsetBy: 10)..<close]),
        spec.adapterMutations.indices.contains(i)
      {
        var located = error
        located.field = String(error.field[error.field.index(after: close)...]).trimmingPrefixDot
        throw located.within(spec.adapterMutations[i].path)
      }
      throw error.within("adapter")
    }
  }

  /// `adapter_config.json` as PEFT saves it for an adapter trained on `base`: the builder's config, and without
  /// `target_modules` the architecture's defaults PEFT resolves and saves.
  ///
  /// Made once per adapter and base: a matrix row's cases share it, so the saves they look up compare equal
  /// configs by their shared storage (built per case, each config was built again and compared member by member
  /// in three memo lookups).
  static func savedConfig(_ adapter: AdapterConfigSpec, base: BaseModelDescription) throws(SynthesisError) -> JSONObject {
    try savedConfigs.value(for: ConfigKey(adapter: adapter, base: base)) { () throws(SynthesisError) in
      var config = try AdapterConfigBuilder.config(adapter, base: base)
      if !PEFTConfigDefaults.promptLearningTypes.contains(adapter.peftType), config["target_modules"] == .null,
        config["target_parameters"] == .null || config["target_parameters"] == nil,
        let resolved = try AdapterCatalog.resolvedTargetModules(config: config, base: base)
      {
        config["target_modules"] = resolved
      }
      return config
    }
  }

  private struct ConfigKey: Hashable, Sendable {
    var adapter: AdapterConfigSpec
    var base: BaseModelDescription
  }

  private static let savedConfigs = Memo<ConfigKey, JSONObject>(capacity: 4096)

  /// Trainable token indices must exist in both vocabularies: an index the training base does not
  /// have is a bad adapter config; one a shrunk base lost is a resize that cannot apply.
  static func checkTokenIndices(
    _ config: JSONObject, spec: PairSpec, training: BaseModelDescription, loading: BaseModelDescription
  ) throws(SynthesisError) {
    for field in ["token_indices", "trainable_token_indices"] {
      guard let value = config[field] else { continue }
      let lists = value.arrayValue.map { [$0] } ?? value.objectValue?.members.compactMap(\.value.arrayValue) ?? []
      guard let highest = lists.joined().compactMap(\.intValue).max() else { continue }
      if highest >= training.dimensions.vocabSize {
        throw SynthesisError(
          field: "adapter.config.\(field)",
          .invalidValue("token \(highest) is outside the base's vocabulary of \(training.dimensions.vocabSize)"))
      }
      if highest >= loading.dimensions.vocabSize {
        let resize = spec.baseMutations.last { if case .resizeVocab = $0.value { true } else { false } }
        throw SynthesisError(
          field: resize.map { "\($0.path).to" } ?? "base.mutations",
          .invalidValue(
            "shrinks the vocabulary to \(loading.dimensions.vocabSize), below trainable token \(highest) (adapter.config.\(field))"))
      }
    }
  }

  /// Turns a case's request into a catalog-free mutation of the tensor list.
  static func lower(
    _ request: AdapterMutationRequest, trained: [AdapterTensor], config: JSONObject, base: BaseModelDescription
  ) throws(SynthesisError) -> AdapterMutation {
    switch request {
    case .dropKeys(let keys): return .dropKeys(keys)
    case .dropMatching(let pattern):
      let regex: BoundedRegex
      do { regex = try BoundedRegex(pattern) } catch {
        throw SynthesisError(field: "match", .invalidValue("not a regular expression: \(error.detail)"))
      }
      var names: [String] = []
      for name in trained.map(\.name) {
        do {
          if try regex.firstMatch(name) != nil { names.append(name) }
        } catch {
          throw SynthesisError(field: "match", .invalidValue("'\(pattern)' exceeds the matching budget on '\(name)'"))
        }
      }
      guard !names.isEmpty else { throw SynthesisError(field: "match", .invalidValue("'\(pattern)' matches no key")) }
      return .dropKeys(names)
    case .addKey(let name, let shape, let dtype): return .addUnknownKey(name, shape: shape, dtype: dtype)
    case .wrongRank(let rank, let modules):
      guard rank >= 1 else { throw SynthesisError(field: "r", .tooSmall(rank, minimum: 1)) }
      guard config["r"]?.intValue != nil else {
        throw SynthesisError(field: "r", .invalidValue("this tuner has no rank 'r'"))
      }
      var other = config
      other["r"] = .number(String(rank))
      guard let reranked = try AdapterCatalog.savedTensors(config: other, base: base) else {
        throw SynthesisError(field: "r", .invalidValue("no module matches with rank \(rank)"))
      }
      let shapes = Dictionary(reranked.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
      var changes: [TensorShape] = []
      for tensor in trained {
        guard let shape = shapes[tensor.name], shape != tensor.shape else { continue }
        if let modules, !modules.contains(where: { tensor.name.contains(".\($0).") }) { continue }
        changes.append(TensorShape(name: tensor.name, shape: shape))
      }
      guard !changes.isEmpty else {
        throw SynthesisError(field: modules == nil ? "r" : "modules", .invalidValue("no tensor changes shape"))
      }
      return .setShapes(changes)
    case .keepAdapterName(let name): return .keepAdapterName(name)
    case .stripPrefix: return .stripPrefix
    case .dtype(let dtype): return .dtype(dtype)
    case .saveEmbeddings(let vocabSize): return .saveEmbeddings(vocabSize: vocabSize)
    case .transposeFactors: return .transposeFactors
    }
  }
}

extension String {
  /// Without one leading `.`.
  fileprivate var trimmingPrefixDot: String { hasPrefix(".") ? String(dropFirst()) : self }
}
