import AdapterLoading
import TensorIO

/// The rule table: what a correct loader reports for a generated pair, derived from how the pair
/// was built and never from a loader (this file must not call the load simulation).
///
/// The inputs are the adapter's tensors as PEFT saved them on the training base, the tensors the
/// same adapter config gives on the (mutated) loading base, and the mutations. The rules:
///
/// | Construction | Expectation |
/// |---|---|
/// | checkpoint key the loading model has, same shape | loads; nothing reported |
/// | adapter parameter of the loading model absent from the checkpoint (dropped key, layer added, module renamed) | its model key is **missing** (`adapter-key-missing`) |
/// | checkpoint key the loading model does not have (unknown key, layer removed, keys without `base_model.model.`, keys naming an adapter that is not loaded) | **unexpected**, as written (`checkpoint-key-unexpected`) |
/// | checkpoint key naming a parameter of an adapter already loaded (the saved adapter name kept) | overwrites that adapter's parameter; the loading adapter's own parameter stays missing |
/// | checkpoint key with another shape (wrong rank, hidden/intermediate/head change on a targeted module, vocab change reaching the adapter) | **mismatched**, under the parameter's model key; the load fails with `size-mismatch` (`shape-mismatch`, plus `embedding-size-mismatch` for vocabulary-shaped tensors); with `ignore_mismatched_sizes` it is skipped and its key is missing instead |
/// | base weight saved in the checkpoint (embeddings of a resized vocab) | overwrites the base weight (`base-weight-in-checkpoint`) |
/// | the adapter config targets no module of the loading base | the load fails with `target-not-found` |
/// | base mutated, every adapter tensor unaffected | clean (`base-drift-ignored`) |
/// | shared projections not saved (VeRA `save_projection: false`) | clean (`shared-weights-regenerated`) |
/// | shared projections the config says are saved, absent from the checkpoint (VeRA) | the load fails with `missing-shared-weights` |
/// | adapter name inside the tuner prefix, or a substring of another loaded adapter's name or vice versa | clean (`adapter-name-collision`) |
/// | adapter dtype differs from the base's | clean (`dtype-cast`) |
/// | LoRA keys without `base_model.model.`, loaded into a base whose checkpoints transformers 5 converts (Mixtral, Qwen3-MoE) | PEFT's pass through that conversion puts the prefix back: they load |
/// | `auto_from_pretrained` on an adapter config without `base_model_name_or_path` | the load fails with `invalid-adapter-config` |
/// | `auto_from_pretrained` on an adapter config naming `null` or no local base (the Hub unreachable) | the load fails with `base-not-found` |
public enum OutcomeRules {
  /// Everything the rules look at.
  public struct Inputs: Sendable {
    /// The tensors PEFT saved on the training base (before adapter mutations).
    public var trained: [AdapterTensor]
    /// The tensors the same adapter config gives on the loading base: what the model expects
    /// (base weights among them, such as a targeted embedding's `base_layer`, may be present or not).
    /// Keyed under ``LoadSetup/adapterName`` of ``context`` (made again when the names differ).
    public var expected: ExpectedParameters
    /// The base the adapter is loaded into (after base mutations).
    public var loadingBase: BaseModelDescription
    public var baseMutations: [BaseMutation]
    public var adapterMutations: [AdapterMutation]
    /// The dtype the adapter is stored in.
    public var adapterDType: DType
    /// PEFT's parameter prefix for the tuner (`lora_`, `hada_`, …).
    public var tunerPrefix: String
    /// The config leaves model-level shared weights out of the checkpoint (VeRA without projections).
    public var sharedWeightsRegenerated: Bool
    /// The loader needs every shared weight the config saves and refuses a checkpoint without them
    /// (VeRA with `save_projection: true`).
    public var sharedWeightsRequired: Bool
    /// Parameters of the adapters already in the model, by model key.
    public var loadedParameters: [String: AdapterTensor]
    /// A LoRA adapter loaded into a base whose checkpoints transformers 5 converts: every key with
    /// `.lora_` in it is read with `base_model.model.` in front (see
    /// ``ModelFamilyDefinition/convertsLoRACheckpoints``).
    public var restoresLoRAPrefix: Bool
    public var context: LoadSetup

    public init(
      trained: [AdapterTensor], expected: [AdapterTensor], loadingBase: BaseModelDescription,
      baseMutations: [BaseMutation] = [], adapterMutations: [AdapterMutation] = [], adapterDType: DType,
      tunerPrefix: String, sharedWeightsRegenerated: Bool = false, sharedWeightsRequired: Bool = false,
      loadedParameters: [String: AdapterTensor] = [:], restoresLoRAPrefix: Bool = false,
      context: LoadSetup = LoadSetup()
    ) {
      self.init(
        trained: trained, expected: ExpectedParameters(expected, adapterName: context.adapterName), loadingBase: loadingBase,
        baseMutations: baseMutations, adapterMutations: adapterMutations, adapterDType: adapterDType,
        tunerPrefix: tunerPrefix, sharedWeightsRegenerated: sharedWeightsRegenerated,
        sharedWeightsRequired: sharedWeightsRequired, loadedParameters: loadedParameters,
        restoresLoRAPrefix: restoresLoRAPrefix, context: context)
    }

    /// The inputs with the expected parameters already keyed (shared by the cases of a matrix row).
    public init(
      trained: [AdapterTensor], expected: ExpectedParameters, loadingBase: BaseModelDescription,
      baseMutations: [BaseMutation] = [], adapterMutations: [AdapterMutation] = [], adapterDType: DType,
      tunerPrefix: String, sharedWeightsRegenerated: Bool = false, sharedWeightsRequired: Bool = false,
      loadedParameters: [String: AdapterTensor] = [:], restoresLoRAPrefix: Bool = false,
      context: LoadSetup = LoadSetup()
    ) {
      self.trained = trained
      self.expected = expected
      self.loadingBase = loadingBase
      self.baseMutations = baseMutations
      self.adapterMutations = adapterMutations
      self.adapterDType = adapterDType
      self.tunerPrefix = tunerPrefix
      self.sharedWeightsRegenerated = sharedWeightsRegenerated
      self.sharedWeightsRequired = sharedWeightsRequired
      self.loadedParameters = loadedParameters
      self.restoresLoRAPrefix = restoresLoRAPrefix
      self.context = context
    }
  }

  /// The checkpoint the generator writes: the trained tensors with every adapter mutation applied.
  /// - Throws: ``SynthesisError`` at `mutations[i].<field>`.
  public static func checkpoint(_ inputs: Inputs) throws(SynthesisError) -> [AdapterTensor] {
    var tensors = inputs.trained
    for (i, mutation) in inputs.adapterMutations.enumerated() {
      do { tensors = try mutation.apply(to: tensors, base: inputs.loadingBase) } catch {
        throw error.within("mutations[\(i)]")
      }
    }
    return tensors
  }

  /// The expected outcome.
  /// - Throws: ``SynthesisError`` when an adapter mutation cannot apply.
  public static func outcome(_ inputs: Inputs) throws(SynthesisError) -> DerivedOutcome {
    var outcome = DerivedOutcome()
    var codes = Set<DerivedOutcome.Code>()
    let name = inputs.context.adapterName

    // transformers' from_pretrained(adapter_folder) resolves the base the adapter names before reading anything else.
    if inputs.context.call == .autoFromPretrained {
      switch inputs.context.baseReference {
      case .base: break
      case .absent:
        outcome.error = .invalidAdapterConfig
        outcome.reasons.append("the adapter config names no base (no base_model_name_or_path)")
        return outcome
      case .null, .named:
        outcome.error = .baseNotFound
        outcome.reasons.append("the base the adapter config names is not a local model folder and the Hub is unreachable")
        return outcome
      }
    }

    let expected =
      inputs.expected.adapterName == name ? inputs.expected : ExpectedParameters(inputs.expected.tensors, adapterName: name)
    if expected.tensors.isEmpty {
      outcome.error = .targetNotFound
      outcome.reasons.append("the adapter config targets no module of the loading base")
      outcome.diagnostics = [.targetNotFound]
      return outcome
    }

    let checkpoint = try checkpoint(inputs).map { tensor in
      guard inputs.restoresLoRAPrefix, tensor.name.contains(".lora_"), !tensor.name.hasPrefix("base_model.") else {
        return tensor
      }
      var restored = tensor
      restored.name = AdapterMutation.peftPrefix + tensor.name
      return restored
    }
    // The base's parameters, made only for a key that is no adapter's (most checkpoints have none: a table of
    // the whole base per case was half of deriving the matrix's outcomes, `perf record` of `run --list`), and
    // keyed by their own names, the key's PEFT prefix removed instead (a prefixed string per parameter per case
    // was a sixth of it).
    var baseShapes: [String: ParameterSpec]?
    func baseParameter(_ key: String) -> ParameterSpec? {
      let prefix = AdapterMutation.peftPrefix.utf8
      guard key.utf8.starts(with: prefix) else { return nil }
      if baseShapes == nil {
        var shapes: [String: ParameterSpec] = [:]
        shapes.reserveCapacity(inputs.loadingBase.layout.count)
        for entry in inputs.loadingBase.layout where shapes[entry.parameter.name] == nil {
          shapes[entry.parameter.name] = entry.parameter
        }
        baseShapes = shapes
      }
      return baseShapes?[String(Substring(key.utf8.dropFirst(prefix.count)))]
    }

    var filled = Set<String>(minimumCapacity: checkpoint.count)
    for tensor in checkpoint {
      // A checkpoint key fills a model parameter when it is the parameter's checkpoint name or, as
      // PEFT accepts too, its model key under the loading adapter's name.
      if let position = expected.position(ofKey: tensor.name) {
        let parameter = expected.tensors[position]
        filled.insert(parameter.name)
        if parameter.role == .baseWeight {
          codes.insert(.baseWeightInCheckpoint)
          outcome.reasons.append("\(tensor.name) is a base weight: loading overwrites it")
        }
        if parameter.shape != tensor.shape {
          outcome.mismatched.append(
            .init(key: expected.modelKeys[position], checkpointShape: tensor.shape, modelShape: parameter.shape))
          codes.insert(.shapeMismatch)
          if parameter.role == .vocabulary { codes.insert(.embeddingSizeMismatch) }
          if inputs.context.ignoreMismatchedSizes { filled.remove(parameter.name) }
        }
      } else if let other = inputs.loadedParameters[tensor.name] {
        outcome.reasons.append("\(tensor.name) is a parameter of an adapter already loaded: loading overwrites it")
        if other.shape != tensor.shape {
          outcome.mismatched.append(.init(key: tensor.name, checkpointShape: tensor.shape, modelShape: other.shape))
          codes.insert(.shapeMismatch)
        }
      } else if let base = baseParameter(tensor.name) {
        codes.insert(.baseWeightInCheckpoint)
        outcome.reasons.append("\(tensor.name) is a base weight: loading overwrites it")
        if base.shape != tensor.shape {
          outcome.mismatched.append(.init(key: tensor.name, checkpointShape: tensor.shape, modelShape: base.shape))
          codes.insert(.shapeMismatch)
          if base.embedding != nil { codes.insert(.embeddingSizeMismatch) }
        }
      } else {
        outcome.unexpectedKeys.append(tensor.name)
      }
    }
    for (position, tensor) in expected.tensors.enumerated() where !filled.contains(tensor.name) {
      // Shared weights a config does not save are rebuilt from their seed, and base weights a
      // checkpoint may carry (a targeted embedding's `base_layer`) are the base's: neither is missing.
      if tensor.role == .shared, inputs.sharedWeightsRegenerated { continue }
      if tensor.role == .shared, inputs.sharedWeightsRequired {
        outcome.error = .missingSharedWeights
        outcome.reasons.append("\(tensor.name) is a shared weight the config saves, absent from the checkpoint: the load fails")
        continue
      }
      if tensor.role == .baseWeight || tensor.role == .tunerState { continue }
      outcome.missingKeys.append(expected.modelKeys[position])
    }

    if !outcome.missingKeys.isEmpty {
      codes.insert(.adapterKeyMissing)
      outcome.reasons.append("\(outcome.missingKeys.count) adapter parameter(s) of the model are not in the checkpoint")
    }
    if !outcome.unexpectedKeys.isEmpty {
      codes.insert(.checkpointKeyUnexpected)
      outcome.reasons.append("\(outcome.unexpectedKeys.count) checkpoint key(s) are no parameter of the model")
    }
    if !outcome.mismatched.isEmpty {
      if inputs.context.ignoreMismatchedSizes {
        outcome.reasons.append("\(outcome.mismatched.count) tensor(s) have another shape: skipped (ignore_mismatched_sizes)")
      } else if outcome.error == nil {
        outcome.error = .sizeMismatch
        outcome.reasons.append("\(outcome.mismatched.count) tensor(s) have another shape: the load fails")
      }
    }
    if !inputs.baseMutations.isEmpty, outcome.isClean, !codes.contains(.baseWeightInCheckpoint) {
      codes.insert(.baseDriftIgnored)
      outcome.reasons.append("the base changed (\(inputs.baseMutations.map(\.description).joined(separator: "; "))) where the adapter does not reach")
    }
    if inputs.sharedWeightsRegenerated {
      codes.insert(.sharedWeightsRegenerated)
      outcome.reasons.append("shared weights are not saved: the loader regenerates them from their seed")
    }
    if let collision = nameCollision(name, prefix: inputs.tunerPrefix, loaded: inputs.context.loadedAdapters) {
      codes.insert(.adapterNameCollision)
      outcome.reasons.append(collision)
    }
    if inputs.adapterDType != inputs.loadingBase.dtype {
      codes.insert(.dtypeCast)
      outcome.reasons.append("adapter \(inputs.adapterDType.name) into a \(inputs.loadingBase.dtype.name) base: cast on load")
    }
    outcome.diagnostics = codes.sorted()
    return outcome
  }

  /// Why an adapter name trips PEFT's substring tests, if it does.
  static func nameCollision(_ name: String, prefix: String, loaded: [String]) -> String? {
    // Python's `in`, by code point (`hasSubstring`; the standard library's `contains` compares characters, and
    // was a twelfth of deriving every planned case's outcome).
    if !prefix.isEmpty, prefix.hasSubstring(name) { return "adapter name '\(name)' is contained in the tuner prefix '\(prefix)'" }
    if loaded.contains(name) { return "an adapter named '\(name)' is already loaded: loading overwrites its weights in place" }
    for other in loaded where other != name && (other.hasSubstring(name) || name.hasSubstring(other)) {
      return "adapter name '\(name)' and loaded adapter '\(other)' contain one another"
    }
    return nil
  }
}
