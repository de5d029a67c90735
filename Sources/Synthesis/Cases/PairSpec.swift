import AdapterLoading
import TensorIO

/// A value with the path of the case field it came from, so later failures can name that field.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
  public var value: Value
  /// `base.mutations[1].resize_vocab`.
  public var path: String

  public init(_ value: Value, path: String) {
    self.value = value
    self.path = path
  }
}

/// A change to the saved adapter as a case asks for it; the generator lowers it to
/// ``AdapterMutation``s with the tuner catalog (a rank change needs the shapes of another rank).
public enum AdapterMutationRequest: Sendable, Hashable {
  case dropKeys([String])
  /// Drops every key a regular expression finds (a search, as `re.search`).
  case dropMatching(String)
  case addKey(name: String, shape: [Int], dtype: DType)
  /// The tensors of these modules (all targeted modules when `nil`) saved with rank `rank`.
  case wrongRank(rank: Int, modules: [String]?)
  case keepAdapterName(String)
  case stripPrefix
  case dtype(DType)
  case saveEmbeddings(vocabSize: Int)
  case transposeFactors

  /// The adapter mutations as case files name them, with their arguments (what ``decode(_:)`` reads).
  public static let schemas: [MutationSchema] = [
    MutationSchema("drop_keys", [.init("keys", .stringList), .init("match", .string)], oneOf: [["keys", "match"]]),
    MutationSchema(
      "add_key", [.init("name", .string, required: true), .init("shape", .intList, required: true), .init("dtype", .dtype)]),
    MutationSchema("wrong_rank", [.init("r", .positiveInt, required: true), .init("modules", .stringList)]),
    MutationSchema("keep_adapter_name", [.init("name", .string)]),
    MutationSchema("strip_prefix"),
    MutationSchema("dtype", [.init("to", .dtype, required: true)]),
    MutationSchema("save_embeddings", [.init("vocab", .positiveInt, required: true)]),
    MutationSchema("transpose_factors"),
  ]

  static func decode(_ named: NamedMutation) throws(SynthesisError) -> AdapterMutationRequest {
    var r = try named.reader()
    let request: AdapterMutationRequest
    switch named.name {
    case "drop_keys":
      let keys = try r.strings("keys")
      let match = try r.string("match")
      switch (keys, match) {
      case (let keys?, nil): request = .dropKeys(keys)
      case (nil, let match?): request = .dropMatching(match)
      default: throw SynthesisError(field: named.path, .invalidValue("give exactly one of 'keys' and 'match'"))
      }
    case "add_key":
      request = .addKey(
        name: try r.requiredString("name"), shape: try r.ints("shape") ?? [], dtype: try r.dtype("dtype") ?? .f32)
      if case .addKey(_, let shape, _) = request, shape.isEmpty, r.object["shape"] == nil {
        throw SynthesisError(field: r.field("shape"), .missing)
      }
    case "wrong_rank": request = .wrongRank(rank: try r.requiredInt("r"), modules: try r.strings("modules"))
    case "keep_adapter_name": request = .keepAdapterName(try r.string("name") ?? "default")
    case "strip_prefix": request = .stripPrefix
    case "dtype":
      guard let dtype = try r.dtype("to") else { throw SynthesisError(field: r.field("to"), .missing) }
      request = .dtype(dtype)
    case "save_embeddings": request = .saveEmbeddings(vocabSize: try r.requiredInt("vocab"))
    case "transpose_factors": request = .transposeFactors
    default: throw SynthesisError(field: named.path, .unknownMutation(named.name))
    }
    try r.finish()
    return request
  }
}

/// An adapter already in the model when the case's adapter is loaded: a clean copy of the case's
/// adapter unless it names another tuner or config.
public struct LoadedAdapterSpec: Sendable, Hashable {
  public var name: String
  public var adapter: AdapterConfigSpec?

  public init(name: String, adapter: AdapterConfigSpec? = nil) {
    self.name = name
    self.adapter = adapter
  }
}

/// One (base, adapter) pair to generate: what a case file describes, decoded.
public struct PairSpec: Sendable, Hashable {
  public var id: String
  /// The base the adapter was trained on.
  public var base: BaseModelSpec
  /// What happened to the base before loading.
  public var baseMutations: [Located<BaseMutation>]
  public var adapter: AdapterConfigSpec
  public var adapterMutations: [Located<AdapterMutationRequest>]
  public var load: LoadSetup
  /// Adapters loaded before this one (`load.loaded`).
  public var loaded: [LoadedAdapterSpec]
  public var formats: [CheckpointFormat]

  public init(
    id: String, base: BaseModelSpec, baseMutations: [Located<BaseMutation>] = [], adapter: AdapterConfigSpec,
    adapterMutations: [Located<AdapterMutationRequest>] = [], load: LoadSetup = LoadSetup(),
    loaded: [LoadedAdapterSpec] = [], formats: [CheckpointFormat] = [.safetensors]
  ) {
    self.id = id
    self.base = base
    self.baseMutations = baseMutations
    self.adapter = adapter
    self.adapterMutations = adapterMutations
    self.load = load
    self.loaded = loaded
    self.formats = formats
  }

  /// Decodes a case (`Corpus/cases/**` as JSON, or the same tree read from YAML). The case's
  /// `expect`, `description`, `refs` and `malformed` are the conformance suite's business and are
  /// accepted but not used here.
  /// - Throws: ``SynthesisError`` naming the field (`adapter.mutations[0].drop_keys.keys`).
  public static func decode(_ json: JSONValue, id fallbackID: String = "case") throws(SynthesisError) -> PairSpec {
    var r = try FieldReader(json, path: "")
    let id = try r.string("id") ?? fallbackID
    for ignored in ["description", "refs", "expect", "malformed"] { _ = r.value(ignored) }

    var b = try FieldReader(try r.required("base"), path: "base")
    let base: BaseModelSpec
    if let presetName = try b.string("preset") {
      // A real-size shape from a public config (for performance runs with --sparse).
      guard let preset = BasePreset(rawValue: presetName) else {
        let known = BasePreset.allCases.map(\.rawValue).joined(separator: ", ")
        throw SynthesisError(field: "base.preset", .invalidValue("unknown preset '\(presetName)' (known: \(known))"))
      }
      base = preset.model
      if let name = try b.string("architecture"), name != base.family.rawValue {
        throw SynthesisError(field: "base.architecture", .invalidValue("preset '\(presetName)' is \(base.family.rawValue)"))
      }
      if b.value("config") != nil {
        throw SynthesisError(field: "base.config", .invalidValue("a preset's config cannot be overridden"))
      }
    } else {
      let familyName = try b.requiredString("architecture")
      let family: ModelFamily
      do { family = try ModelFamily.named(familyName) } catch { throw error.within("base.architecture") }
      base = try BaseModelSpec(family: family, config: try b.object("config") ?? JSONObject(), path: "base.config")
    }
    var baseMutations: [Located<BaseMutation>] = []
    for named in try NamedMutation.list(b.value("mutations"), path: "base.mutations") {
      baseMutations.append(Located(try BaseMutation.decode(named), path: named.path))
    }
    try b.finish()

    var a = try FieldReader(try r.required("adapter"), path: "adapter")
    let adapter = AdapterConfigSpec(
      peftType: try a.requiredString("tuner"), fields: try a.object("config") ?? JSONObject())
    var adapterMutations: [Located<AdapterMutationRequest>] = []
    for named in try NamedMutation.list(a.value("mutations"), path: "adapter.mutations") {
      adapterMutations.append(Located(try AdapterMutationRequest.decode(named), path: named.path))
    }
    try a.finish()
    var spec = adapter
    // A config may carry PEFT's own bookkeeping fields; they are the generator's to fill.
    if let task = spec.fields["task_type"] {
      spec.taskType = task.stringValue
      spec.fields["task_type"] = nil
    }
    if let path = spec.fields["base_model_name_or_path"] {
      spec.baseModelNameOrPath = path.stringValue
      spec.fields["base_model_name_or_path"] = nil
    }

    var load = LoadSetup()
    var loaded: [LoadedAdapterSpec] = []
    var call: LoadCall?
    if let value = r.value("load") {
      var l = try FieldReader(value, path: "load")
      load.adapterName = try l.string("adapter_name") ?? "default"
      load.ignoreMismatchedSizes = try l.bool("ignore_mismatched_sizes") ?? false
      if let name = try l.string("method") {
        guard let named = LoadCall(rawValue: name) else {
          throw SynthesisError(field: "load.method", .invalidValue("expected from_pretrained or load_adapter, found '\(name)'"))
        }
        call = named
      }
      if let items = l.value("loaded") {
        guard let list = items.arrayValue else {
          throw SynthesisError(field: "load.loaded", .invalidValue("expected a list, found \(items.typeName)"))
        }
        for (i, item) in list.enumerated() {
          if let name = item.stringValue {
            loaded.append(LoadedAdapterSpec(name: name))
          } else {
            var e = try FieldReader(item, path: "load.loaded[\(i)]")
            let name = try e.requiredString("name")
            let tuner = try e.string("tuner")
            let config = try e.object("config")
            if !(try NamedMutation.list(e.value("mutations"), path: e.field("mutations"))).isEmpty {
              throw SynthesisError(field: e.field("mutations"), .invalidValue("loaded adapters are written clean"))
            }
            try e.finish()
            let override =
              tuner == nil && config == nil
              ? nil : AdapterConfigSpec(peftType: tuner ?? spec.peftType, fields: config ?? spec.fields, taskType: spec.taskType)
            loaded.append(LoadedAdapterSpec(name: name, adapter: override))
          }
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
        field: "load.loaded", .invalidValue("'\(load.adapterName)' is loaded with another tuner or config: an overwrite of a different adapter is not derived"))
    }

    var formats: [CheckpointFormat] = [.safetensors]
    if let names = try r.strings("formats") {
      formats = []
      for (i, name) in names.enumerated() {
        guard let format = CheckpointFormat(rawValue: name) else {
          throw SynthesisError(field: "formats[\(i)]", .invalidValue("unknown format '\(name)' (safetensors, hdf5)"))
        }
        formats.append(format)
      }
    }
    try r.finish()
    return PairSpec(
      id: id, base: base, baseMutations: baseMutations, adapter: spec, adapterMutations: adapterMutations, load: load,
      loaded: loaded, formats: formats)
  }
}
