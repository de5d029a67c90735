import TensorIO

/// The `recommended` profile's findings: what actually matters about this load, each with a stable
/// code, a severity and, where possible, the fix.
struct RecommendedDiagnostics {
  let base: BaseModel
  let adapter: AdapterSource
  let context: LoadContext
  let model: PeftModel?
  let weights: LoadEngine.WeightsResult?
  /// The model's keys after the load (set with `model` and `weights`).
  let keys: ModelKeys?
  let outcome: LoadOutcome
  let sizeMismatches: [Mismatch]

  func diagnose() -> [Diagnostic] {
    var result: [Diagnostic] = []
    result += configFindings()
    result += errorFindings()
    result += nameFindings()
    if let weights, let model, let keys {
      result += keyFindings(weights, model: model, keys: keys)
    }
    result += ignoredMismatchFindings()
    return result
  }

  // MARK: Config

  private func configFindings() -> [Diagnostic] {
    var result: [Diagnostic] = []
    let config = adapter.config
    if !config.unknownFields.isEmpty {
      result.append(
        Diagnostic(
          code: .unknownConfigFields, severity: .warning, keys: config.unknownFields,
          message: "unknown fields kept: \(config.unknownFields.joined(separator: ", ")) (PEFT 0.21 ignores them)",
          fix: "check that the adapter does not rely on a newer PEFT feature"))
    }
    if config.peftType == .vera && config.saveProjection == false {
      result.append(
        Diagnostic(
          code: .sharedWeightsRegenerated, severity: .warning, keys: [],
          message: "VeRA's shared projections are not in the checkpoint; they are regenerated from "
            + "projection_prng_key=\(config.projectionPRNGKey ?? 0), which is not guaranteed to give the same "
            + "values on every platform",
          fix: "save the adapter with save_projection=True"))
    }
    if config.peftType == .fourierft {
      result.append(
        Diagnostic(
          code: .sharedWeightsRegenerated, severity: .info,
          message: "FourierFT's spectral positions are regenerated from random_loc_seed="
            + "\(config.json["random_loc_seed"]?.intValue ?? 777); they are not in the checkpoint"))
    }
    // Configured targets that match nothing in this base (PEFT ignores them when another target matches).
    if case .names(let names)? = config.targetModules, !names.isEmpty {
      // An ASCII entry without a dot matches a module exactly when it is the last part of the module's name:
      // naming every module of the base for each case was a seventh of these findings (`perf record`).
      let ends = base.tree.moduleNameEnds()
      var modules: [String]?
      let absent = names.filter { entry in
        if entry.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: ".") }) { return !ends.contains(entry) }
        if modules == nil { modules = base.tree.namedModules().map(\.name) }
        let dotted = "." + entry
        return !(modules ?? []).contains { $0 == entry || $0.hasSuffix(dotted) }
      }
      if !absent.isEmpty && absent.count < names.count {
        result.append(
          Diagnostic(
            code: .targetNotFound, severity: .warning, keys: absent,
            message: "target module(s) \(absent.joined(separator: ", ")) match nothing in this "
              + "\(base.architecture.modelType) base; the adapter's tensors for them are ignored",
            fix: "check that the adapter was trained on this architecture"))
      }
    }
    return result
  }

  // MARK: Errors

  private func errorFindings() -> [Diagnostic] {
    // "Cannot tell" is not a failed load: the outcome's `unknown` says what is not modelled.
    guard let error = outcome.error, !error.isNotSimulated else { return [] }
    var result: [Diagnostic] = []
    if error.kind == "RuntimeError" && !sizeMismatches.isEmpty {
      result += mismatchFindings(sizeMismatches, ignored: false)
      return result
    }
    switch error.kind {
    case "NoMatchingPeftModuleError":
      let trainedOn = adapter.config.baseModelNameOrPath.map { " (it was trained on \($0))" } ?? ""
      result.append(
        Diagnostic(
          code: .targetNotFound, severity: .error,
          keys: adapter.config.targetModules.map { PeftModel.targetList($0) } ?? [],
          message: "none of the adapter's target modules exist in this \(base.architecture.modelType) base\(trainedOn)",
          fix: "load the adapter into the architecture it was trained for"))
    default:
      result.append(
        Diagnostic(
          code: .loadError, severity: .error, message: "\(error.kind): \(error.message)", fix: fix(for: error)))
    }
    return result
  }

  private func fix(for error: PythonError) -> String? {
    if error.message.hasPrefix("Cannot combine adapters with different peft types") {
      return "load adapters of different methods into separate models"
    }
    if error.message.hasPrefix("Specified to load vera_A and vera_B") {
      return "the checkpoint lacks base_model.vera_A/vera_B: re-save it with save_projection=True"
    }
    if error.message.hasPrefix("Trying to load old OFT checkpoint") || error.message.hasPrefix("OFT has been updated") {
      return "retrain the OFT adapter with PEFT ≥ 0.14, or load it with PEFT ≤ 0.13"
    }
    return nil
  }

  // MARK: Names

  private func nameFindings() -> [Diagnostic] {
    var result: [Diagnostic] = []
    let name = context.adapterName
    if let prefix = adapter.config.peftType.prefix, prefix.containsText(name) {
      result.append(
        Diagnostic(
          code: .adapterNameCollision, severity: .warning, keys: [name],
          message: "the adapter name '\(name)' is contained in the method's key prefix '\(prefix)'",
          fix: "choose another adapter name"))
    }
    if context.call == .loadAdapter, context.loaded.contains(where: { $0.name == name }) {
      result.append(
        Diagnostic(
          code: .adapterNameCollision, severity: .warning, keys: [name],
          message: "an adapter named '\(name)' is already loaded: load_adapter writes into its modules and "
            + "replaces its weights, with no error or warning",
          fix: "load under another adapter_name, or delete_adapter('\(name)') first if replacing it is meant"))
    }
    guard let model, let weights, let keys else { return result }
    // PEFT's substring filter would blame keys that are not this adapter's.
    let prefix = model.peftType.prefix ?? ""
    let own = keys.ownPrefixes(of: model)
    let falsePositives = weights.raw.missingKeys.filter { key in
      key.hasSubstring(prefix) && key.hasSubstring(name) && !own.covers(key)
    }
    if !falsePositives.isEmpty {
      result.append(
        Diagnostic(
          code: .adapterNameCollision, severity: .warning, keys: falsePositives,
          message: "the adapter name '\(name)' occurs inside \(falsePositives.count) key(s) that are not this "
            + "adapter's (e.g. \(falsePositives[0])); PEFT reports them as missing",
          fix: "choose an adapter name that is not part of other adapters' names or of module names"))
    }
    return result
  }

  // MARK: Keys

  private func keyFindings(_ weights: LoadEngine.WeightsResult, model: PeftModel, keys: ModelKeys) -> [Diagnostic] {
    var result: [Diagnostic] = []
    let name = context.adapterName
    if !outcome.missingKeys.isEmpty {
      let meta = weights.metaKeys.isEmpty ? "" : " (left uninitialized on the meta device)"
      result.append(
        Diagnostic(
          code: .adapterKeyMissing, severity: .error, keys: outcome.missingKeys,
          message: "\(outcome.missingKeys.count) tensor(s) of adapter '\(name)' are not in the checkpoint\(meta); "
            + "they keep their initial values, so the adapter does not behave as trained",
          fix: "re-save the adapter, or check that the checkpoint belongs to this config"))
    }
    let encoderKeys = model.config(of: name)?.isPromptLearning == true ? Set(model.tuner.promptEncoderCheckpointKeys) : []
    let unexpected = weights.raw.unexpectedKeys.filter { !encoderKeys.contains($0) }
    if !unexpected.isEmpty {
      let unprefixed = unexpected.filter { !$0.hasPrefix("base_model.") }
      let fix: String
      if unprefixed.count == unexpected.count {
        fix = "the keys lack PEFT's 'base_model.model.' prefix (transformers' own format): load it with "
          + "transformers' model.load_adapter, or add the prefix"
      } else {
        fix = "check that the adapter was trained on this base and that its config matches its checkpoint"
      }
      result.append(
        Diagnostic(
          code: .checkpointKeyUnexpected, severity: .warning, keys: unexpected,
          message: "\(unexpected.count) checkpoint tensor(s) have no place in the model and are ignored "
            + "(PEFT does not warn about them)",
          fix: fix))
    }
    // Base weights the checkpoint overwrites.
    let prefixes = keys.ownPrefixes(of: model)
    let embeddingModules = [base.inputEmbeddingPath, base.outputEmbeddingPath].compactMap { $0 }.map { model.basePrefix + $0 }
    let loaded = Set(weights.raw.loadedKeys)
    let baseKeys = weights.checkpointAfterRemap.keys.filter { key in
      loaded.contains(key) && !prefixes.covers(key) && !key.hasSubstring(".modules_to_save.")
        && !key.containsText(".token_adapter.trainable_tokens_delta.")
    }
    let embeddingKeys = baseKeys.filter { key in embeddingModules.contains { key.hasPrefix($0 + ".") } }
    let embeddingSet = Set(embeddingKeys)
    let otherKeys = baseKeys.filter { !embeddingSet.contains($0) }
    if !embeddingKeys.isEmpty {
      result.append(
        Diagnostic(
          code: .baseWeightInCheckpoint, severity: .info, keys: embeddingKeys,
          message: "the checkpoint carries the embeddings it was trained with and replaces the base's (PEFT's "
            + "save_embedding_layers)"))
    }
    if !otherKeys.isEmpty {
      result.append(
        Diagnostic(
          code: .baseWeightInCheckpoint, severity: .warning, keys: otherKeys,
          message: "the checkpoint silently overwrites \(otherKeys.count) base-model weight(s), e.g. \(otherKeys[0])",
          fix: "remove base weights from the adapter checkpoint unless they are meant to replace the base's"))
    }
    // dtype conversions of loaded adapter tensors (of every tensor with a place, when the load failed).
    let modelState = outcome.stateDict ?? keys.stateDict
    var casts: [String] = []
    var pairs = Set<String>()
    let failed = outcome.error != nil
    for entry in weights.checkpointAfterRemap.entries where loaded.contains(entry.key) || failed {
      guard let m = modelState[entry.key], m.info.dtype != entry.info.dtype else { continue }
      casts.append(entry.key)
      pairs.insert("\(entry.info.dtype.name) → \(m.info.dtype.name)")
    }
    // Prompt learning: the prompt encoder copies `prompt_embeddings` into its embedding (Cartridge: into its
    // trainable rows).
    if let embeddings = weights.checkpointAfterRemap["prompt_embeddings"],
      let m = modelState["prompt_encoder.\(name).embedding.weight"] ?? modelState["prompt_encoder.\(name).trainable_embedding"],
      m.info.dtype != embeddings.info.dtype
    {
      casts.append(embeddings.key)
      pairs.insert("\(embeddings.info.dtype.name) → \(m.info.dtype.name)")
    }
    if !casts.isEmpty {
      result.append(
        Diagnostic(
          code: .dtypeCast, severity: .info, keys: casts,
          message: "\(casts.count) tensor(s) are converted on load (\(pairs.sorted().joined(separator: ", ")))"))
    }
    // The base keys PEFT ≤ 0.13 reported as missing: the base provides them.
    let allTunerPrefixes = keys.everyAdaptersPrefixes(of: model)
    let baseProvided = weights.raw.missingKeys.filter { key in
      !key.hasPrefix("prompt_encoder.") && !allTunerPrefixes.covers(key) && !key.hasSubstring(".modules_to_save.")
        && !key.hasSubstring(".token_adapter.")
    }
    if !baseProvided.isEmpty {
      result.append(
        Diagnostic(
          code: .baseDriftIgnored, severity: .info, keys: [],
          message: "\(baseProvided.count) base-model tensor(s) are not in the adapter checkpoint, as expected; the "
            + "adapter does not depend on them (PEFT ≤ 0.13 listed them as missing)"))
    }
    return result
  }

  // MARK: Shapes

  private func ignoredMismatchFindings() -> [Diagnostic] {
    guard outcome.error == nil, !outcome.mismatched.isEmpty else { return [] }
    return mismatchFindings(outcome.mismatched, ignored: true)
  }

  private func mismatchFindings(_ mismatches: [Mismatch], ignored: Bool) -> [Diagnostic] {
    var result: [Diagnostic] = []
    let prefix = model?.basePrefix ?? "base_model.model."
    let embeddingPaths = [base.inputEmbeddingPath, base.outputEmbeddingPath].compactMap { $0 }
    let isEmbedding: (Mismatch) -> Bool = { m in
      embeddingPaths.contains { path in
        m.key == "\(prefix)\(path).weight" || m.key == "\(prefix)\(path).base_layer.weight"
          || m.key.hasPrefix("\(prefix)\(path).modules_to_save.") || m.key.hasPrefix("\(prefix)\(path).original_module.")
      }
    }
    let embedding = mismatches.filter(isEmbedding)
    let other = mismatches.filter { !isEmbedding($0) }
    if let first = embedding.first, let saved = first.checkpointShape.first, let current = first.modelShape.first {
      let outcomeText = ignored
        ? "the saved rows are discarded and the base keeps \(current) (tokens added in training lose their embeddings)"
        : "the load fails"
      result.append(
        Diagnostic(
          code: .embeddingSizeMismatch, severity: .error, keys: embedding.map(\.key),
          message: "adapter saved embeddings for \(saved) tokens, base has \(current): \(outcomeText)",
          fix: "resize the base's token embeddings to \(saved) before loading (model.resize_token_embeddings(\(saved)))"))
    }
    if !other.isEmpty {
      let sample = other[0]
      let ranks = other.allSatisfy { $0.key.containsText(".lora_A.") || $0.key.containsText(".lora_B.") }
      result.append(
        Diagnostic(
          code: .shapeMismatch, severity: .error, keys: other.map(\.key),
          message: "\(other.count) tensor(s) have other shapes than the model's, e.g. \(sample.key): checkpoint "
            + "\(sample.checkpointShape), model \(sample.modelShape)" + (ignored ? "; they are not loaded" : ""),
          fix: ranks
            ? "the adapter was trained on a base with other dimensions, or its rank differs from its config; load it into its own base"
            : "load the adapter into the base it was trained on"))
    }
    return result
  }
}

extension PeftModel {
  /// The entries of `target_modules` as a list (a pattern as one entry).
  static func targetList(_ modules: TargetModules) -> [String] {
    switch modules {
    case .names(let n): n
    case .pattern(let p): [p]
    }
  }
}
