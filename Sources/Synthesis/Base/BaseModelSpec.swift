import SystemSupport
import TensorIO

/// A base model to synthesize: an architecture, its size, and the options transformers' config and
/// `save_pretrained` depend on. A plain value: mutations return changed copies, and
/// ``describe()`` derives the config and tensor list from it.
public struct BaseModelSpec: Sendable, Hashable {
  public var family: ModelFamily
  public var dimensions: ModelDimensions
  /// The weights' dtype and the config's `dtype`: F32, F16 or BF16.
  public var dtype: DType
  /// `tie_word_embeddings`.
  public var tieWordEmbeddings: Bool
  /// Special-token ids written to the config, in the architecture's field order. Kept fixed across
  /// mutations: resizing a vocabulary does not renumber tokens.
  public var specialTokens: [SpecialToken]
  /// Module renames applied to every parameter name, in order.
  public var renames: [ModuleRename]
  /// Number of weight files: 1 writes `model.<ext>`, more writes shards plus an index.
  public var shardCount: Int
  /// Config fields set after everything else (presets use them for `rope_parameters`, …).
  public var configOverrides: JSONObject

  /// One special-token field of the config (`bos_token_id`, …).
  public struct SpecialToken: Sendable, Hashable {
    public var key: String
    public var id: Int?

    public init(key: String, id: Int?) {
      self.key = key
      self.id = id
    }
  }

  /// A model with transformers' defaults for the architecture. Default special-token ids that do
  /// not fit the vocabulary are written as `null`, since torch refuses a padding index outside it.
  public init(
    family: ModelFamily, dimensions: ModelDimensions? = nil, dtype: DType = .f32,
    tieWordEmbeddings: Bool? = nil
  ) {
    let definition = family.definition
    self.family = family
    self.dimensions = dimensions ?? definition.tinyDimensions
    self.dtype = dtype
    self.tieWordEmbeddings = tieWordEmbeddings ?? definition.defaultTieWordEmbeddings
    self.specialTokens = Self.defaultSpecialTokens(for: family, vocabSize: self.dimensions.vocabSize)
    self.renames = []
    self.shardCount = 1
    self.configOverrides = JSONObject()
  }

  /// The architecture's special-token defaults, with ids outside `0..<vocabSize` set to `nil`.
  public static func defaultSpecialTokens(for family: ModelFamily, vocabSize: Int) -> [SpecialToken] {
    family.definition.specialTokenDefaults.map { key, id in
      SpecialToken(key: key, id: id.flatMap { $0 < vocabSize ? $0 : nil })
    }
  }

  /// The config's `dtype` string for a weight dtype.
  /// - Throws: ``SynthesisError/Problem/unsupportedDType(_:)`` for dtypes transformers does not
  ///   build models in.
  public static func configDTypeName(_ dtype: DType) throws(SynthesisError) -> String {
    switch dtype {
    case .f32: "float32"
    case .f16: "float16"
    case .bf16: "bfloat16"
    default: throw SynthesisError(field: "dtype", .unsupportedDType(dtype.name))
    }
  }

  /// Checks every field and derives the config and tensors.
  /// - Throws: ``SynthesisError`` naming the field at fault.
  public func describe() throws(SynthesisError) -> BaseModelDescription {
    // Every case of a matrix row describes the same few bases.
    try Self.described.value(for: self) { () throws(SynthesisError) in try describeOnce() }
  }

  private static let described = Memo<BaseModelSpec, BaseModelDescription>(capacity: 64)

  private func describeOnce() throws(SynthesisError) -> BaseModelDescription {
    let definition = family.definition
    let dims: ResolvedDimensions
    do { dims = try definition.resolve(dimensions) } catch { throw error.within("dimensions") }
    if definition.tyingIsFixed, !tieWordEmbeddings {
      throw SynthesisError(field: "tie_word_embeddings", .tyingFixed(architecture: family.rawValue))
    }
    guard shardCount >= 1 else { throw SynthesisError(field: "shards", .tooSmall(shardCount, minimum: 1)) }
    let dtypeName = try Self.configDTypeName(dtype)

    var layout = definition.layout(dims, tieWordEmbeddings)
    for (i, rename) in renames.enumerated() {
      do { layout = try Self.apply(rename, to: layout) } catch { throw error.within("renames[\(i)]") }
    }

    var config = definition.configFields(dims)
    config["architectures"] = .array([.string(definition.modelClass)])
    config["model_type"] = .string(definition.modelType)
    config["dtype"] = .string(dtypeName)
    config["tie_word_embeddings"] = .bool(tieWordEmbeddings)
    config["transformers_version"] = .string(BaseModelDescription.transformersVersion)
    config["vocab_size"] = ConfigValue.int(dims.vocabSize)
    for token in specialTokens { config[token.key] = ConfigValue.optionalInt(token.id) }
    for (key, value) in configOverrides { config[key] = value }
    config = ConfigValue.sortedKeys(config)

    let inputKeys =
      ["architectures", "model_type", "dtype", "tie_word_embeddings", "transformers_version", "vocab_size"]
      + specialTokens.map(\.key) + definition.configDimensionKeys + configOverrides.keys
    let description = BaseModelDescription(
      family: family, dimensions: dims, config: config, dtype: dtype, layout: layout,
      shardCount: shardCount, configInputKeys: inputKeys)
    for tensor in description.savedTensors {
      guard (try? description.info(of: tensor).byteCount()) != nil else {
        throw SynthesisError(field: "dimensions", .sizeOverflow(tensor: tensor.name))
      }
    }
    return description
  }

  /// Renames parameters (and the tied sources and split tensors that refer to them).
  static func apply(_ rename: ModuleRename, to layout: [LayoutEntry]) throws(SynthesisError) -> [LayoutEntry] {
    try rename.validate()
    var matched = false
    func renamed(_ name: String) -> String {
      guard let new = rename.apply(to: name) else { return name }
      matched = true
      return new
    }
    let result = layout.map { entry in
      var entry = entry
      entry.parameter.name = renamed(entry.parameter.name)
      switch entry.saved {
      case .asIs: break
      case .tied(let source): entry.saved = .tied(to: renamed(source))
      case .split(let parts): entry.saved = .split(parts.map { var p = $0; p.name = renamed(p.name); return p })
      }
      return entry
    }
    guard matched else { throw SynthesisError(field: "from", .moduleNotFound(rename.from)) }
    var seen = Set<String>()
    for entry in result where !seen.insert(entry.parameter.name).inserted {
      throw SynthesisError(field: "to", .duplicateName(entry.parameter.name))
    }
    return result
  }
}
