import AdapterLoading
import TensorIO

/// A mutation decoded from a case, with the field it came from (so later failures can name that
/// field) and the way the case wrote it (for reports).
public struct WrittenMutation<Value: Sendable & Hashable>: Sendable, Hashable, CustomStringConvertible {
  public var value: Value
  /// `base.mutations[1].resize_vocab`.
  public var path: String
  /// The mutation's name in the case file (`resize_vocab`).
  public var name: String
  /// Its arguments as written, in the order written.
  public var arguments: JSONObject

  public init(_ value: Value, path: String, name: String = "", arguments: JSONObject = JSONObject()) {
    self.value = value
    self.path = path
    self.name = name
    self.arguments = arguments
  }

  /// The same mutation as if written at `to` instead of `from` (a matrix axis value, placed in
  /// each case it expands to).
  func moved(from: String, to: String) -> WrittenMutation {
    var copy = self
    if copy.path.hasPrefix(from) { copy.path = to + copy.path.dropFirst(from.count) }
    return copy
  }

  /// `resize_vocab(to=160)`, compact and stable.
  public var description: String {
    if arguments.count == 0 { return name }
    let written = arguments.members.map { "\($0.key)=\(JSONWriter.compact.string($0.value))" }
    return "\(name)(\(written.joined(separator: ",")))"
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
  public var baseMutations: [WrittenMutation<BaseMutation>]
  public var adapter: AdapterConfigSpec
  public var adapterMutations: [WrittenMutation<AdapterMutationRequest>]
  public var load: LoadSetup
  /// Adapters loaded before this one (`load.loaded`).
  public var loaded: [LoadedAdapterSpec]
  public var formats: [CheckpointFormat]

  public init(
    id: String, base: BaseModelSpec, baseMutations: [WrittenMutation<BaseMutation>] = [], adapter: AdapterConfigSpec,
    adapterMutations: [WrittenMutation<AdapterMutationRequest>] = [], load: LoadSetup = LoadSetup(),
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
    let (base, baseMutations) = try decodeBase(try r.required("base"), path: "base")
    let (adapter, adapterMutations) = try decodeAdapter(try r.required("adapter"), path: "adapter")
    let (load, loaded) = try decodeLoad(r.value("load"), adapter: adapter, path: "load")
    let formats = try decodeFormats(try r.strings("formats"), path: "formats")
    try r.finish()
    return PairSpec(
      id: id, base: base, baseMutations: baseMutations, adapter: adapter, adapterMutations: adapterMutations, load: load,
      loaded: loaded, formats: formats)
  }
}
