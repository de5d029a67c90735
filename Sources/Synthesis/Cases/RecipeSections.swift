import AdapterLoading
import TensorIO

/// The sections of a recipe, each decoded by one function that both case files and matrix files
/// use (a matrix decodes each axis value once and combines them).
extension PairSpec {
  /// `base`: a catalog architecture with `config.json` overrides, or a real-size preset, and the
  /// mutations made after training.
  static func decodeBase(_ value: JSONValue, path: String) throws(SynthesisError)
    -> (BaseModelSpec, [WrittenMutation<BaseMutation>])
  {
    var b = try FieldReader(value, path: path)
    let base: BaseModelSpec
    if let presetName = try b.string("preset") {
      // A real-size shape from a public config (for performance runs with --sparse).
      guard let preset = BasePreset(rawValue: presetName) else {
        let known = BasePreset.allCases.map(\.rawValue).joined(separator: ", ")
        throw SynthesisError(field: b.field("preset"), .invalidValue("unknown preset '\(presetName)' (known: \(known))"))
      }
      base = preset.model
      if let name = try b.string("architecture"), name != base.family.rawValue {
        throw SynthesisError(field: b.field("architecture"), .invalidValue("preset '\(presetName)' is \(base.family.rawValue)"))
      }
      if b.value("config") != nil {
        throw SynthesisError(field: b.field("config"), .invalidValue("a preset's config cannot be overridden"))
      }
    } else {
      let family: ModelFamily
      do { family = try ModelFamily.named(try b.requiredString("architecture")) } catch {
        throw error.within(b.field("architecture"))
      }
      base = try BaseModelSpec(family: family, config: try b.object("config") ?? JSONObject(), path: b.field("config"))
    }
    let mutations = try decodeBaseMutations(b.value("mutations"), path: b.field("mutations"))
    try b.finish()
    return (base, mutations)
  }

  static func decodeBaseMutations(_ value: JSONValue?, path: String) throws(SynthesisError) -> [WrittenMutation<BaseMutation>] {
    var mutations: [WrittenMutation<BaseMutation>] = []
    for named in try NamedMutation.list(value, path: path) { mutations.append(named.written(try BaseMutation.decode(named))) }
    return mutations
  }

  /// `adapter`: the PEFT method, its `adapter_config.json` fields, and changes to the saved checkpoint.
  static func decodeAdapter(_ value: JSONValue, path: String) throws(SynthesisError)
    -> (AdapterConfigSpec, [WrittenMutation<AdapterMutationRequest>])
  {
    var a = try FieldReader(value, path: path)
    var spec = AdapterConfigSpec(peftType: try a.requiredString("tuner"), fields: try a.object("config") ?? JSONObject())
    let mutations = try decodeAdapterMutations(a.value("mutations"), path: a.field("mutations"))
    try a.finish()
    // A config may carry PEFT's own bookkeeping fields; they are the generator's to fill.
    if let task = spec.fields["task_type"] {
      spec.taskType = task.stringValue
      spec.fields["task_type"] = nil
    }
    if let base = spec.fields["base_model_name_or_path"] {
      spec.baseModelNameOrPath = base.stringValue
      spec.fields["base_model_name_or_path"] = nil
    }
    return (spec, mutations)
  }

  static func decodeAdapterMutations(_ value: JSONValue?, path: String) throws(SynthesisError)
    -> [WrittenMutation<AdapterMutationRequest>]
  {
    var mutations: [WrittenMutation<AdapterMutationRequest>] = []
    for named in try NamedMutation.list(value, path: path) {
      mutations.append(named.written(try AdapterMutationRequest.decode(named)))
    }
    return mutations
  }

  /// `load`: the call, the adapter's name, the adapters already loaded (clean copies of `adapter`
  /// unless they name another tuner or config).
  static func decodeLoad(_ value: JSONValue?, adapter: AdapterConfigSpec, path: String) throws(SynthesisError)
    -> (LoadSetup, [LoadedAdapterSpec])
  {
    var load = LoadSetup()
    var loaded: [LoadedAdapterSpec] = []
    var call: LoadCall?
    if let value {
      var l = try FieldReader(value, path: path)
      load.adapterName = try l.string("adapter_name") ?? "default"
      load.ignoreMismatchedSizes = try l.bool("ignore_mismatched_sizes") ?? false
      if let name = try l.string("method") {
        guard let named = LoadCall(rawValue: name) else {
          throw SynthesisError(
            field: l.field("method"), .invalidValue("expected from_pretrained, load_adapter or auto_from_pretrained, found '\(name)'"))
        }
        call = named
      }
      // Read as written: YAML `null` is the JSON null the field holds (a reader's value() drops nulls).
      if let reference = l.object["base_model_name_or_path"] {
        _ = l.value("base_model_name_or_path")
        guard reference.isNull || reference.stringValue != nil else {
          throw SynthesisError(
            field: l.field("base_model_name_or_path"), .invalidValue("expected base, absent, null or a name, found \(reference.typeName)"))
        }
        load.baseReference = reference.stringValue.map(BaseReference.init) ?? .null
        guard call == .autoFromPretrained else {
          throw SynthesisError(
            field: l.field("base_model_name_or_path"), .invalidValue("only method auto_from_pretrained reads the adapter's base_model_name_or_path"))
        }
      }
      if let items = l.value("loaded") {
        guard let list = items.arrayValue else {
          throw SynthesisError(field: l.field("loaded"), .invalidValue("expected a list, found \(items.typeName)"))
        }
        for (i, item) in list.enumerated() {
          loaded.append(try decodeLoaded(item, adapter: adapter, path: "\(l.field("loaded"))[\(i)]"))
        }
      }
      try l.finish()
    }
    load.loadedAdapters = loaded.map(\.name)
    load.call = call ?? (loaded.isEmpty ? .fromPretrained : .loadAdapter)
    // Loading under a name already in use is PEFT's silent overwrite (`load_adapter` into the
    // existing modules). The rule table derives it for a clean copy of the case's adapter only: under
    // another config the model's modules would be the loaded adapter's, which it does not plan.
    if let same = loaded.first(where: { $0.name == load.adapterName }), same.adapter != nil {
      throw SynthesisError(
        field: "\(path).loaded",
        .invalidValue("'\(load.adapterName)' is loaded with another tuner or config: an overwrite of a different adapter is not derived"))
    }
    return (load, loaded)
  }

  private static func decodeLoaded(_ item: JSONValue, adapter: AdapterConfigSpec, path: String) throws(SynthesisError)
    -> LoadedAdapterSpec
  {
    if let name = item.stringValue { return LoadedAdapterSpec(name: name) }
    var e = try FieldReader(item, path: path)
    let name = try e.requiredString("name")
    let tuner = try e.string("tuner")
    let config = try e.object("config")
    if !(try NamedMutation.list(e.value("mutations"), path: e.field("mutations"))).isEmpty {
      throw SynthesisError(field: e.field("mutations"), .invalidValue("loaded adapters are written clean"))
    }
    try e.finish()
    guard tuner != nil || config != nil else { return LoadedAdapterSpec(name: name) }
    return LoadedAdapterSpec(
      name: name,
      adapter: AdapterConfigSpec(peftType: tuner ?? adapter.peftType, fields: config ?? adapter.fields, taskType: adapter.taskType))
  }

  /// `formats`: the checkpoint formats the pair is written in (safetensors when absent).
  static func decodeFormats(_ names: [String]?, path: String) throws(SynthesisError) -> [CheckpointFormat] {
    guard let names else { return [.safetensors] }
    var formats: [CheckpointFormat] = []
    for (i, name) in names.enumerated() {
      guard let format = CheckpointFormat(rawValue: name) else {
        throw SynthesisError(field: "\(path)[\(i)]", .invalidValue("unknown format '\(name)' (safetensors, hdf5)"))
      }
      formats.append(format)
    }
    return formats
  }
}
