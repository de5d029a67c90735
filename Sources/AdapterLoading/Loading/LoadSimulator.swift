import TensorIO

/// Predicts what loading an adapter into a base model reports, without torch: one engine reproducing
/// PEFT's `from_pretrained` / `load_adapter` / `set_peft_model_state_dict` / torch `load_state_dict`
/// sequence, with a ``LoadProfile`` deciding how the result is filtered and reported.
///
/// ```swift
/// let base = try BaseModel(config: modelFolder.config, weights: modelTensors)
/// let adapter = AdapterSource(config: try AdapterConfig(json: adapterFolder.config), tensors: adapterTensors)
/// let outcome = LoadSimulator.simulate(base: base, adapter: adapter, context: LoadContext(), profile: .peft)
/// outcome.missingKeys      // what PEFT would report
/// ```
public enum LoadSimulator {
  /// Simulates one load.
  /// - Parameters:
  ///   - base: the base model the adapter is loaded into.
  ///   - adapter: the adapter (config + checkpoint table).
  ///   - context: calling convention, adapter name, adapters already loaded, keyword arguments.
  ///   - profile: whose behaviour to reproduce.
  ///   - catalog: the tuners available.
  /// - Returns: the outcome; a load that raises is an outcome with ``LoadOutcome/error`` set.
  public static func simulate(
    base: BaseModel, adapter: AdapterSource, context: LoadContext = LoadContext(), profile: LoadProfile = .recommended,
    catalog: TunerCatalog = .standard
  ) -> LoadOutcome {
    let fitted = base.fitted(to: context.loaded.map(\.source) + [adapter])
    var context = context
    if context.call == .autoFromPretrained && !profile.semantics.runsOnTransformers5 {
      // transformers 4.x's from_pretrained applies `ignore_mismatched_sizes` to the base only, not to load_adapter.
      context.ignoreMismatchedSizes = false
    }
    var engine = LoadEngine(base: fitted, profile: profile, context: context, catalog: catalog)
    var outcome = engine.run(adapter)
    if !fitted.inferences.isEmpty {
      // Every profile says what its answer rests on when the structure is not transformers' own.
      outcome.diagnostics.append(
        Diagnostic(
          code: .architectureInferred, severity: .info,
          message: "the model's structure is inferred, not recorded from transformers: "
            + fitted.inferences.joined(separator: "; "),
          fix: "answers that depend only on names and shapes stay exact; for a remote-code model, confirm with "
            + "the real loader (adaptest run --loader peft@X.Y.Z)"))
    }
    return outcome
  }
}

/// The shared engine; profiles only change filtering, warnings and diagnostics.
struct LoadEngine {
  let base: BaseModel
  let profile: LoadProfile
  let context: LoadContext
  let catalog: TunerCatalog
  /// Size mismatches of the last torch load (kept for diagnostics when the load raises).
  var sizeMismatches: [Mismatch] = []
  /// What torch saw when a size mismatch made the load raise, so the recommended profile can still
  /// name the checkpoint's other problems.
  var failedLoad: (adapterName: String, weights: WeightsResult, model: PeftModel)? = nil
  /// transformers 5's own load of the adapter under test (`transformers@5.x` profiles).
  var transformers5: Transformers5Weights? = nil
  /// Whether the weights are loaded by transformers 5 rather than PEFT's `set_peft_model_state_dict`.
  var loadsThroughTransformers5: Bool { profile.isTransformers && profile.semantics.runsOnTransformers5 }

  init(base: BaseModel, profile: LoadProfile, context: LoadContext, catalog: TunerCatalog) {
    self.base = base
    self.profile = profile
    self.context = context
    self.catalog = catalog
  }

  /// Result of `set_peft_model_state_dict` + the torch load, before PEFT's filter.
  struct WeightsResult {
    var raw: TorchLoadResult
    var mismatched: [Mismatch]
    var auxiliaryMissing: [String]
    var checkpointAfterRemap: StateDict
    var metaKeys: [String]
    /// The model's keys as torch saw them.
    var keys: ModelKeys
    /// Checkpoint names of the keys PEFT renamed before torch saw them (transformers 5's conversion,
    /// `base_model.model.` stripped for a model without that prefix), by the name torch saw.
    var originalNames: [String: String] = [:]
  }

  mutating func run(_ adapter: AdapterSource) -> LoadOutcome {
    // transformers 4.x hands PEFT the checkpoint with `base_model.model.` stripped where present, so unprefixed
    // keys load like prefixed ones.
    let adapter = profile.isTransformers && !loadsThroughTransformers5 ? TransformersAdapterLoading.prefixed(adapter) : adapter
    var outcome = LoadOutcome(profile: profile, call: context.call, adapterName: context.adapterName)
    var warnings: [PythonWarning] = []
    var model: PeftModel? = nil
    let name = context.adapterName
    var weights: WeightsResult? = nil
    do throws(PythonError) {
      if context.call == .autoFromPretrained {
        guard profile.isTransformers else {
          throw .notSimulated("auto_from_pretrained is transformers' own call; use a transformers@X.Y profile")
        }
        try TransformersAdapterLoading.resolveBase(context.baseReference)
      }
      if profile.isTransformers {
        // The setup's loads run first: an adapter transformers refuses to inject fails before a name repeats.
        for loaded in context.call == .loadAdapter ? context.loaded : [] where profile.semantics.registers(loaded.source.config.peftType) {
          try TransformersAdapterLoading(
            release: profile.semantics, base: base, context: context, peftType: loaded.source.config.peftType
          ).checkInjectable()
        }
        try TransformersAdapterLoading.checkNames(context)
      }
      switch context.call {
      case .fromPretrained, .autoFromPretrained:
        let config = try loadConfig(adapter, warnings: &warnings, creatingModel: true)
        let made = try makeModel(name, config: config, warnings: &warnings)
        var created = made.model
        if loadsThroughTransformers5 {
          transformers5 = Transformers5Weights(
            model: created, checkpoint: adapter.checkpoint, adapterName: name, prefix: profile.semantics.parameterPrefix(config.peftType))
        } else {
          weights = try loadWeights(into: &created, adapter: adapter, adapterName: name, keys: made.keys, warnings: &warnings)
        }
        model = created
      case .loadAdapter:
        guard let first = context.loaded.first else {
          throw PythonError(kind: "AdaptestUsageError", message: "load_adapter needs a model that already holds an adapter")
        }
        var setupWarnings: [PythonWarning] = []
        let firstConfig = try loadConfig(first.source, warnings: &setupWarnings, creatingModel: true)
        let made = try makeModel(first.name, config: firstConfig, warnings: &setupWarnings)
        var created = made.model
        // transformers 5 loads the weights itself (Transformers5Weights); the setup's loads only fill values.
        if !loadsThroughTransformers5 {
          _ = try loadWeights(into: &created, adapter: first.source, adapterName: first.name, keys: made.keys, warnings: &setupWarnings)
        }
        for other in context.loaded.dropFirst() {
          try prepareLoadAdapter(&created, other.source, adapterName: other.name, warnings: &setupWarnings)
          if !loadsThroughTransformers5 {
            _ = try loadWeights(into: &created, adapter: other.source, adapterName: other.name, warnings: &setupWarnings)
          }
        }
        try prepareLoadAdapter(&created, adapter, adapterName: name, warnings: &warnings)
        if loadsThroughTransformers5, let config = created.config(of: name) {
          transformers5 = Transformers5Weights(
            model: created, checkpoint: adapter.checkpoint, adapterName: name, prefix: profile.semantics.parameterPrefix(config.peftType))
        } else {
          weights = try loadWeights(into: &created, adapter: adapter, adapterName: name, warnings: &warnings)
        }
        model = created
      }
    } catch {
      outcome.error = profile.isPEFT ? profile.semantics.translating(error) : error
    }
    outcome.warnings = profile == .recommended
      ? warnings.filter { !LoadOutcome.environmentCategories.contains($0.category) } : warnings
    let keys = weights.flatMap { weights in model.map { modelKeys(weights, of: $0) } }
    if let weights, let model, let keys {
      report(weights, model: model, keys: keys, into: &outcome)
      outcome.peftRaises = !weights.auxiliaryMissing.isEmpty
    }
    if profile.isTransformers, let release = profile.release {
      TransformersAdapterLoading(release: release, base: base, context: context, peftType: adapter.config.peftType)
        .adapt(&outcome, weights: transformers5, checkpoint: adapter.checkpoint, path: adapter.path)
    }
    if profile == .recommended {
      // A load that raised on a size mismatch reports no keys, but its diagnostics still name what
      // else is wrong with the checkpoint, from what torch saw before raising.
      var seen = outcome
      var diagnosed = (weights: weights, model: model, keys: keys)
      if weights == nil, outcome.error != nil, let failedLoad, failedLoad.adapterName == context.adapterName {
        let failedKeys = modelKeys(failedLoad.weights, of: failedLoad.model)
        report(failedLoad.weights, model: failedLoad.model, keys: failedKeys, into: &seen)
        diagnosed = (failedLoad.weights, failedLoad.model, failedKeys)
      }
      outcome.diagnostics = RecommendedDiagnostics(
        base: base, adapter: adapter, context: context, model: diagnosed.model, weights: diagnosed.weights,
        keys: diagnosed.keys, outcome: seen, sizeMismatches: sizeMismatches
      ).diagnose()
    }
    return outcome
  }

  // MARK: Steps

  /// `PeftConfig.from_pretrained`: the field checks and the warnings of loading a config file. With
  /// `creatingModel` (the adapter the `PeftModel` is built with), also the checks of an unmodelled method's
  /// model that decide the load before anything outside the files is read (X-LoRA's `use_cache`).
  func loadConfig(_ adapter: AdapterSource, warnings: inout [PythonWarning], creatingModel: Bool = false)
    throws(PythonError) -> AdapterConfig
  {
    var config = adapter.config
    let release = profile.semantics
    if let refusal = release.refusal(of: config, strippingUnknownFields: context.stripsUnknownConfigFields) {
      throw refusal
    }
    if creatingModel && !profile.isTransformers { try XLoRA.checkUseCache(config, base: base) }
    guard let tuner = catalog.tuner(for: config.peftType) else { throw PeftModel.unsupported(config.peftType) }
    if config.json["runtime_config"] != nil {
      warnings.append(
        PythonWarning(
          message: "The configuration file contains a `runtime_config` key. This is ignored. Runtime configurations "
            + "are only valid at runtime."))
      config.json["runtime_config"] = nil
    }
    var configClassName = tuner.configClassName
    var unknown = config.unknownFields.filter { $0 != "runtime_config" }
    if let method = release.methods?[config.peftType.rawValue] {
      // An older release knows fewer fields: it refuses them (0.13) or drops them with a warning.
      configClassName = method.configClass
      unknown = config.json.keys.filter { !method.fields.contains($0) }
      if context.stripsUnknownConfigFields {
        let stripped = unknown
        unknown = []
        if !stripped.isEmpty {
          var kept = config.json
          for field in stripped { kept[field] = nil }
          do {
            config = try AdapterConfig.decoding(kept, source: config.source)
          } catch {
            throw .notSimulated("the config without the fields PEFT \(release) does not know cannot be read: \(error)")
          }
        }
      }
      if !unknown.isEmpty {
        var kept = config.json
        for field in unknown { kept[field] = nil }
        do {
          config = try AdapterConfig.decoding(kept, source: config.source)
        } catch {
          throw .notSimulated("the config without the fields PEFT \(release) does not know cannot be read: \(error)")
        }
      }
    }
    if !unknown.isEmpty {
      warnings.append(
        PythonWarning(
          message: "Unexpected keyword arguments \(pythonListRepr(unknown.sorted())) for class \(configClassName), "
            + "these are ignored. This probably means that you're loading a configuration file that was saved using a "
            + "higher version of the library and additional parameters have been introduced since. It is highly "
            + "recommended to upgrade the PEFT version before continuing (e.g. by running `pip install -U peft`)."))
    }
    try PeftModel.validateCommon(config)
    try tuner.validate(config, warnings: &warnings)
    config.inferenceMode = true
    return config
  }

  /// `PeftModel.__init__` with the first adapter, and the new model's keys for it.
  func makeModel(_ name: String, config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError)
    -> (model: PeftModel, keys: ModelKeys)
  {
    if profile.isTransformers { try TransformersAdapterLoading(release: profile.semantics, base: base, context: context, peftType: config.peftType).checkInjectable() }
    var injectionWarnings: [PythonWarning] = []
    defer { warnings += injectionWarnings.filter { profile.semantics.emits($0) } }
    var options = context.injection
    // transformers injects every adapter with a fresh tuner, so each one must target something itself.
    options.accumulatesTargetedModuleNames = !profile.semantics.checksEachAdapterTargetsSomething && !profile.isTransformers
    options.legacyAdaptionPrompt = !profile.semantics.matchesAdaptionPromptModulesByDottedName
    options.sizesPrefixWithHeadDim = profile.semantics.sizesPrefixWithHeadDim
    let made = try catalog.injectedModels.model(
      base: base, adapterName: name, config: config, options: options, warnings: &injectionWarnings
    ) { (warnings: inout [PythonWarning]) throws(PythonError) in
      try PeftModel(
        base: base, adapterName: name, config: config, options: options, catalog: catalog, validated: true,
        warnings: &warnings)
    }
    // transformers 5 only; the older PEFT lines run with transformers 4.
    // No PeftModel is made through transformers' own loading.
    if context.gradientCheckpointingDeprecation && profile.semantics.runsOnTransformers5 && !profile.isTransformers {
      injectionWarnings.append(
        PythonWarning(
          category: "FutureWarning",
          message: "`is_gradient_checkpointing` is deprecated and will be removed in v6. Use `is_activation_checkpointing` instead."))
    }
    return made
  }

  /// `load_adapter` before the weights: a new name loads its config and adds the adapter.
  mutating func prepareLoadAdapter(_ model: inout PeftModel, _ adapter: AdapterSource, adapterName: String, warnings: inout [PythonWarning])
    throws(PythonError)
  {
    guard model.config(of: adapterName) == nil else { return }
    let config = try loadConfig(adapter, warnings: &warnings)
    if profile.isTransformers {
      try TransformersAdapterLoading(release: profile.semantics, base: base, context: context, peftType: config.peftType).checkInjectable()
      warnings.append(TransformersAdapterLoading.multipleAdaptersWarning)
    }
    let all = model.adapters.map(\.config) + [config]
    for (method, link) in [
      ("pissa", "https://github.com/huggingface/peft/tree/main/examples/pissa_finetuning#convert-pissa-to-lora"),
      ("corda", "https://github.com/huggingface/peft/tree/main/examples/corda_finetuning#convert-corda-to-lora"),
      ("olora", "https://github.com/huggingface/peft/tree/main/examples/olora_finetuning#olora-and-lora"),
    ] where all.contains(where: { $0.initWeights?.stringValue == method }) {
      let label = method == "pissa" ? "PiSSA" : method == "corda" ? "CorDA" : "OLoRA"
      let advice = method == "olora" ? "OLoRA adapter into a normal LoRA adapter: " : "\(label) adapter into a normal LoRA adapter: "
      warnings.append(
        PythonWarning(
          message: "\(label) changes the base weights of the model and should thus not be used with other adapters. "
            + "Consider converting the \(advice)\(link)"))
      break
    }
    var addWarnings: [PythonWarning] = []
    defer { warnings += addWarnings.filter { profile.semantics.emits($0) } }
    try model.addAdapter(adapterName, config: config, validated: true, warnings: &addWarnings)
  }

  /// `set_peft_model_state_dict` and torch's `load_state_dict(strict=False)`. `keys` are the model's for
  /// `adapterName` when known (``makeModel(_:config:warnings:)``'s, for the model as it made it).
  mutating func loadWeights(
    into model: inout PeftModel, adapter: AdapterSource, adapterName: String, keys known: ModelKeys? = nil,
    warnings: inout [PythonWarning]
  ) throws(PythonError) -> WeightsResult {
    guard let config = model.config(of: adapterName) else { throw .keyError(adapterName) }
    // Adaption prompt: the loading adapter's wrappers are swapped in for the load (`_temporarily_active`).
    let swapsAdaptedAttentions = model.peftType == .adaptionPrompt
    let activeAdaptionPrompt = model.activeAdaptionPrompt
    if swapsAdaptedAttentions { model = model.activatingAdaptionPrompt(adapterName) }
    defer { if swapsAdaptedAttentions { model = model.activatingAdaptionPrompt(activeAdaptionPrompt) } }
    var state = adapter.checkpoint
    var auxiliaryMissing: [String] = []
    var originalNames: [String: String] = [:]
    let release = profile.semantics
    if release.convertsTransformersCheckpoints,
      TransformersConversion.applies(to: config.peftType, architecture: base.architecture)
    {
      (state, originalNames) = TransformersConversion.convert(state, architecture: base.architecture, adapterName: adapterName)
    }

    // Auxiliary wrappers: checkpoint names → wrapper names (a missing one is a KeyError in PEFT).
    if !release.mapsAuxiliaryWrapperKeys {
      state = legacyModulesToSaveRenaming(state, model: model, adapterName: adapterName)
    }
    // Most models have no wrapper: then no module path is built for this (every case walked the tree).
    let hasWrappers = model.tree.modules.contains { module in
      switch module.kind {
      case .modulesToSaveWrapper, .trainableTokensWrapper: true
      default: false
      }
    }
    for (name, node) in hasWrappers ? model.tree.namedModules() : [] where release.mapsAuxiliaryWrapperKeys {
      var map: [(String, String)] = []
      switch model.tree[node].kind {
      case .modulesToSaveWrapper:
        guard model.wrapperAdapters[node]?.contains(adapterName) == true,
          let dict = model.tree[node].child("modules_to_save"), let copy = model.tree[dict].child(adapterName)
        else { continue }
        map = model.tree.stateDict(from: copy).keys.map { ($0, "modules_to_save.\(adapterName).\($0)") }
      case .trainableTokensWrapper:
        if model.tiedTokenWrappers.contains(node) { continue }
        map = [("token_adapter.trainable_tokens_delta", "token_adapter.trainable_tokens_delta.\(adapterName)")]
      default:
        continue
      }
      for (from, to) in map {
        let lookup = "\(name).\(from)"
        guard let entry = adapter.checkpoint[lookup] else {
          if profile == .recommended {
            auxiliaryMissing.append("\(name).\(to)")
            continue
          }
          throw .keyError(lookup)
        }
        state["\(name).\(to)"] = StateDict.Entry(key: "\(name).\(to)", info: entry.info)
        state[lookup] = nil
      }
    }

    // The model's keys are read once, here, for the remap, torch's pass, the filters and the report.
    var remapped: StateDict
    let keys: ModelKeys
    if release.mapsKeysStructurally {
      // Swapping an adaption prompt's wrappers in changed the model the known keys are of.
      let known = swapsAdaptedAttentions ? nil : known.flatMap { $0.adapterName == adapterName ? $0 : nil }
      var request = LoadRequest(
        model: model, config: config, adapterName: adapterName, keys: known ?? ModelKeys(model, adapterName: adapterName))
      remapped = try model.tuner.remapForLoad(state, request: &request, warnings: &warnings)
      model = request.model
      keys = request.keys
    } else {
      remapped = try legacyRemap(state, model: &model, config: config, adapterName: adapterName, warnings: &warnings)
      keys = ModelKeys(model, adapterName: adapterName, withPrefixes: false)
    }

    let modelState = keys.stateDict
    // 0.21 (with the structural mapping): a model without `base_model.model.` keys (prompt learning) gets
    // the prefix stripped from the checkpoint's keys; before, they reach torch as written.
    if release.mapsKeysStructurally, !modelState.keys.contains(where: { $0.hasPrefix("base_model.model.") }) {
      remapped = StateDict(remapped.entries.map { entry in
        var e = entry
        if e.key.hasPrefix("base_model.model.") {
          e.key = String(e.key.dropFirst("base_model.model.".count))
          originalNames[e.key] = originalNames[entry.key] ?? entry.key
        }
        return e
      })
    }

    var mismatched: [Mismatch] = []
    if context.ignoreMismatchedSizes {
      for entry in remapped.entries {
        guard let modelEntry = modelState[entry.key] else { continue }
        let m = modelEntry.info.shape
        // A weight saved as two halves (4-bit packing); counts come from configs (`init_r`), so checked.
        if !m.isEmpty && m.last == 1, let modelCount = try? modelEntry.info.elementCount(),
          let checkpointCount = try? entry.info.elementCount(),
          case (let doubled, false) = modelCount.multipliedReportingOverflow(by: 2), doubled == checkpointCount
        {
          continue
        }
        if m != entry.info.shape {
          mismatched.append(Mismatch(key: entry.key, checkpointShape: entry.info.shape, modelShape: m))
        }
      }
      remapped.remove(Set(mismatched.map(\.key)))
    }

    let raw = TorchStateDictLoader.load(model.tree, modelEntries: keys.entries, remapped)
    sizeMismatches = (modelState.entries.compactMap { m -> Mismatch? in
      guard let entry = remapped[m.key], m.info.shape != entry.info.shape else { return nil }
      return Mismatch(key: m.key, checkpointShape: entry.info.shape, modelShape: m.info.shape)
    }) + mismatched
    let partial = WeightsResult(
      raw: raw, mismatched: mismatched, auxiliaryMissing: auxiliaryMissing, checkpointAfterRemap: remapped,
      metaKeys: [], keys: keys, originalNames: originalNames)
    if !raw.errorMessages.isEmpty {
      failedLoad = (adapterName, partial, model)
      throw .runtimeError(TorchStateDictLoader.errorText(className: model.className, messages: raw.errorMessages))
    }

    if config.isPromptLearning {
      let encoderPrefix = "prompt_encoder.\(adapterName)."
      let encoder = StateDict(modelState.entries.compactMap { entry in
        guard entry.key.hasPrefix(encoderPrefix) else { return nil }
        var e = entry
        e.key = String(entry.key.dropFirst(encoderPrefix.count))
        return e
      })
      do { try model.tuner.loadPromptEncoder(remapped, encoder: encoder) } catch {
        if profile == .recommended, error.error.kind == "KeyError" {
          // No `prompt_embeddings`: the encoder keeps its initial prompt, reported as missing rather than raised.
          let own = encoder["embedding.weight"] != nil
            ? ["embedding.weight"] : encoder.keys.filter { !model.tuner.promptEncoderCheckpointKeys.contains($0) }
          auxiliaryMissing += own.map { encoderPrefix + $0 }
        } else {
          guard !error.mismatches.isEmpty else { throw error.error }
          sizeMismatches += error.mismatches
          failedLoad = (adapterName, partial, model)
          throw error.error
        }
      }
    }

    if !mismatched.isEmpty {
      let lines = mismatched.map {
        "- \($0.key): found shape \(torchSizeRepr($0.checkpointShape)) in the checkpoint and "
          + "\(torchSizeRepr($0.modelShape)) in the model instantiated"
      }
      warnings.append(
        PythonWarning(
          message: "Some weights of \(model.className) were not initialized from the model checkpoint and are being "
            + "ignored because you passed `ignore_mismatched_sizes=True`: \(lines.joined(separator: "\n"))."))
    }

    var metaKeys: [String] = []
    if context.lowCPUMemUsage {
      let prefixes = keys.ownPrefixes(of: model)
      let loaded = Set(raw.loadedKeys)
      metaKeys = modelState.keys.filter { prefixes.covers($0) && !loaded.contains($0) && !isSharedReference($0, model) }
    }
    return WeightsResult(
      raw: raw, mismatched: mismatched, auxiliaryMissing: auxiliaryMissing, checkpointAfterRemap: remapped,
      metaKeys: metaKeys, keys: keys, originalNames: originalNames)
  }

  /// The keys of `model` after the load `weights` describes: the ones read during it, except where the model
  /// changed since (an adaption prompt's own wrappers are swapped back in after its load).
  func modelKeys(_ weights: WeightsResult, of model: PeftModel) -> ModelKeys {
    model.peftType == .adaptionPrompt ? ModelKeys(model, adapterName: context.adapterName) : weights.keys
  }

  /// Per-layer references to model-level shared state (VeRA/PVeRA projections, VB-LoRA's vector bank,
  /// RandLoRA's bases, Uni-LoRA's vector): the tuner's layer containers that point at a tuner-model
  /// container, seen under a layer's path rather than the tuner model's own (`base_model.<name>`).
  func isSharedReference(_ key: String, _ model: PeftModel) -> Bool {
    guard !model.tuner.savesSharedReferences else { return false }
    for attribute in model.tuner.layerAttributes {
      guard let shared = attribute.sharedModelAttribute else { continue }
      if key.hasSubstring(".\(attribute.name).") && !key.hasPrefix("base_model.\(shared).") { return true }
    }
    return false
  }

  // MARK: Reporting

  func report(_ weights: WeightsResult, model: PeftModel, keys: ModelKeys, into outcome: inout LoadOutcome) {
    let name = context.adapterName
    outcome.rawMissingKeys = weights.raw.missingKeys
    outcome.unexpectedKeys = weights.raw.unexpectedKeys
    if profile == .recommended {
      if model.config(of: name)?.isPromptLearning == true {
        // The prompt encoder loads its entries after torch's pass; only torch calls them unexpected.
        let encoderKeys = Set(model.tuner.promptEncoderCheckpointKeys)
        outcome.unexpectedKeys.removeAll { encoderKeys.contains($0) }
      }
      // Keys are reported under the names the checkpoint file has.
      outcome.unexpectedKeys = outcome.unexpectedKeys.map { weights.originalNames[$0] ?? $0 }
    }
    outcome.mismatched = weights.mismatched
    outcome.metaKeys = weights.metaKeys
    outcome.stateDict = keys.stateDict

    let missing: [String]
    if profile.isPEFT && !profile.semantics.filtersMissingKeys {
      missing = weights.raw.missingKeys
    } else if profile.isPEFT {
      missing = peftFilter(weights.raw.missingKeys, model: model)
    } else {
      // An adaption prompt's own wrappers are the ones its load saw.
      let prefixes = model.peftType == .adaptionPrompt
        ? PrefixSet(model.activatingAdaptionPrompt(name).tunerKeyPrefixList(adapterName: name)) : keys.ownPrefixes(of: model)
      let unsaved = model.tuner.unsavedAttributes.map { ".\($0).\(name)" }
      let own = weights.raw.missingKeys.filter { key in
        prefixes.covers(key) && !isSharedReference(key, model) && !unsaved.contains { key.hasSuffix($0) }
      }
      // A prompt encoder that loads its extra factors with `strict=False` (multitask prompt tuning) keeps the
      // random initial values of any the checkpoint lacks.
      let encoderMissing = model.config(of: name)?.isPromptLearning == true
        ? model.tuner.promptEncoderCheckpointKeys.filter { $0 != "prompt_embeddings" && weights.checkpointAfterRemap[$0] == nil }
          .map { "prompt_encoder.\(name).\($0)" }
        : []
      missing = own + weights.auxiliaryMissing + encoderMissing
    }

    outcome.missingKeys = missing
    let release = profile.semantics
    if context.call == .fromPretrained && profile.isPEFT && !profile.isTransformers && release.filtersMissingKeys {
      // from_pretrained does not return the keys; it warns about them, minus shared parameters.
      let shown = missing.filter {
        !($0.hasSubstring("vblora_vector_bank") || $0.hasSubstring("prompt_encoder") || $0.hasSubstring(".tinylora_v."))
      }
      guard !shown.isEmpty else { return }
      var message = "Found missing adapter keys while loading the checkpoint: \(pythonListRepr(shown))"
      guard release.namesAdapterNameInPrefix else {
        outcome.warnings.append(PythonWarning(message: message))
        return
      }
      message += "."
      if let prefix = release.parameterPrefix(model.peftType), prefix.containsText(name) {
        message = "Adapter name '\(name)' should not be contained in the prefix '\(prefix)'. This could be the potential "
          + "reason for missing adapter keys. " + message
      }
      outcome.warnings.append(PythonWarning(message: message))
    }
  }

  /// PEFT's post-filter (`tuner_prefix in key and adapter_name in key`, both plain substrings).
  func peftFilter(_ keys: [String], model: PeftModel) -> [String] {
    let prefix = profile.semantics.parameterPrefix(model.peftType) ?? ""
    let name = context.adapterName
    return keys.filter { key in
      guard key.hasSubstring(prefix), key.hasSubstring(name) else { return false }
      if key.hasSubstring(".tinylora_v.") { return false }
      if model.peftType == .unilora && key.hasSubstring(".unilora_theta_d.") && !key.hasPrefix("base_model.unilora_theta_d.") {
        return false
      }
      return true
    }
  }
}

extension PEFTRelease {
  /// Whether this release emits an injection warning that PEFT 0.21 emits: the ones added in 0.18 (the
  /// adapter name inside the tuner prefix, `lora_bias` on a layer without bias, LN tuning on an
  /// unsupported layer) are absent before.
  func emits(_ warning: PythonWarning) -> Bool {
    guard minor < 18 else { return true }
    let message = warning.message
    return !(message.hasPrefix("Adapter name '") && message.contains("should not be contained in the prefix"))
      && !message.hasPrefix("`lora_bias=True` was passed but the targeted layer")
      && !message.hasPrefix("Unsupported layer type '")
  }

  /// The exception this release raises where PEFT 0.21 raises `error`: 0.21 introduced
  /// `NoMatchingPeftModuleError` for a config that targets nothing, and raises `TypeError` (before:
  /// `ValueError`) for a target module of a type the method does not support.
  func translating(_ error: PythonError) -> PythonError {
    guard self < .v0_21 else { return error }
    var translated = error
    if error.kind == "NoMatchingPeftModuleError" {
      translated.kind = "ValueError"
    } else if error.kind == "TypeError", error.message.hasPrefix("Target module "),
      error.message.contains(" is not supported. Currently, only the following modules are supported: ")
    {
      translated.kind = "ValueError"
    }
    return translated
  }
}
