import TensorIO

/// A decoded `adapter_config.json`, as PEFT 0.21 writes it for the tuners in ``TunerCatalog``.
///
/// The fields Adaptest reasons about are decoded into typed properties (absent and `null` are `nil`,
/// tuner defaults are applied by each ``Tuner``); the original object is kept in ``json`` with every
/// field, including ones this version does not know (listed in ``unknownFields``).
///
/// ```json
/// {"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"],
///  "task_type": "CAUSAL_LM", "base_model_name_or_path": "meta-llama/Llama-3.2-1B"}
/// ```
public struct AdapterConfig: Sendable, Hashable {
  /// The object as read, fields in written order.
  public var json: JSONObject
  /// Where it came from (for messages).
  public var source: String

  // MARK: Common (PeftConfig)
  public var peftType: PeftType
  /// `task_type` (`CAUSAL_LM`, `SEQ_2_SEQ_LM`, `SEQ_CLS`, …); decides the PeftModel class.
  public var taskType: String?
  public var baseModelNameOrPath: String?
  public var inferenceMode: Bool?
  public var peftVersion: String?

  // MARK: Targeting
  public var targetModules: TargetModules?
  public var excludeModules: TargetModules?
  public var layersToTransform: LayerIndices?
  /// `layers_pattern`, a string or list of regular expressions naming the layer container.
  public var layersPattern: [String]?
  public var rankPattern: [PatternEntry]
  public var alphaPattern: [PatternEntry]
  public var modulesToSave: [String]?
  public var trainableTokenIndices: TrainableTokenIndices?
  /// `target_parameters` (LoRA on `nn.Parameter`s such as fused MoE experts).
  public var targetParameters: [String]?
  /// IA³ `feedforward_modules`.
  public var feedforwardModules: TargetModules?

  // MARK: Rank, scaling, variants
  public var r: Int?
  public var loraAlpha: Double?
  /// LoHa/LoKr `alpha`.
  public var alpha: Double?
  public var useDora: Bool?
  public var loraBias: Bool?
  /// `bias`: `"none"`, `"all"` or `"<method>_only"`.
  public var bias: String?
  public var fanInFanOut: Bool?
  public var useRslora: Bool?
  /// `init_weights` / `init_lora_weights`, whose type varies by tuner (boolean or a method name).
  public var initWeights: JSONValue?

  // MARK: VeRA
  public var saveProjection: Bool?
  public var projectionPRNGKey: Int?

  // MARK: VB-LoRA
  public var numVectors: Int?
  public var vectorLength: Int?
  public var saveOnlyTopkWeights: Bool?
  public var topk: Int?

  // MARK: OFT / BOFT
  public var oftBlockSize: Int?
  public var blockShare: Bool?
  public var boftBlockSize: Int?
  public var boftBlockNum: Int?
  public var boftNButterflyFactor: Int?

  // MARK: FourierFT
  public var nFrequency: Int?
  public var nFrequencyPattern: [PatternEntry]

  // MARK: LoHa / LoKr / AdaLoRA / MiSS
  public var useEffectiveConv2d: Bool?
  public var decomposeBoth: Bool?
  public var decomposeFactor: Int?
  public var initR: Int?
  public var targetR: Int?
  public var miniR: Int?

  // MARK: TrainableTokens
  public var tokenIndices: [Int]?

  // MARK: Prompt learning
  public var numVirtualTokens: Int?
  public var tokenDim: Int?
  public var numTransformerSubmodules: Int?
  public var numLayers: Int?
  public var numAttentionHeads: Int?
  public var prefixProjection: Bool?
  public var encoderHiddenSize: Int?

  /// Fields the method's PEFT 0.21 config class does not declare, in written order. PEFT ignores them
  /// with a warning; Adaptest keeps them in ``json``. Empty for methods outside the catalog.
  public var unknownFields: [String]

  /// Decodes a config object.
  /// - Parameters:
  ///   - json: the parsed `adapter_config.json`.
  ///   - source: the file it came from, used in errors.
  /// - Throws: ``AdapterConfigError`` naming the field when a known field has the wrong type or value,
  ///   or when `peft_type` is missing.
  public init(json: JSONObject, source: String = "adapter_config.json") throws(AdapterConfigError) {
    let reader = ConfigReader(object: json, file: source)
    self.json = json
    self.source = source
    guard let type = try reader.string("peft_type") else {
      throw reader.error("peft_type", .missing)
    }
    peftType = PeftType(type)
    taskType = try reader.string("task_type")
    baseModelNameOrPath = try reader.string("base_model_name_or_path")
    inferenceMode = try reader.bool("inference_mode")
    peftVersion = try reader.string("peft_version")

    targetModules = try reader.stringOrList("target_modules").map(TargetModules.init)
    excludeModules = try reader.stringOrList("exclude_modules").map(TargetModules.init)
    feedforwardModules = try reader.stringOrList("feedforward_modules").map(TargetModules.init)
    if let value = reader.value("layers_to_transform") {
      if value.arrayValue != nil {
        layersToTransform = .list(try reader.intList("layers_to_transform") ?? [])
      } else {
        layersToTransform = .one(try ConfigReader.integer(value, field: "layers_to_transform", reader: reader))
      }
    }
    layersPattern = try reader.stringOrList("layers_pattern")?.asList
    rankPattern = try Self.decodeRankPattern(reader)
    alphaPattern = try reader.numberMap("alpha_pattern", integers: false)
    modulesToSave = try reader.stringList("modules_to_save")
    trainableTokenIndices = try Self.decodeTrainableTokenIndices(reader)
    targetParameters = try reader.stringList("target_parameters")

    r = try reader.int("r")
    loraAlpha = try reader.double("lora_alpha")
    alpha = try reader.double("alpha")
    useDora = try reader.bool("use_dora")
    loraBias = try reader.bool("lora_bias")
    bias = try reader.string("bias")
    fanInFanOut = try reader.bool("fan_in_fan_out")
    useRslora = try reader.bool("use_rslora")
    initWeights = reader.value("init_lora_weights") ?? reader.value("init_weights")

    saveProjection = try reader.bool("save_projection")
    projectionPRNGKey = try reader.int("projection_prng_key")

    numVectors = try reader.int("num_vectors")
    vectorLength = try reader.int("vector_length")
    saveOnlyTopkWeights = try reader.bool("save_only_topk_weights")
    topk = try reader.int("topk")

    oftBlockSize = try reader.int("oft_block_size")
    blockShare = try reader.bool("block_share")
    boftBlockSize = try reader.int("boft_block_size")
    boftBlockNum = try reader.int("boft_block_num")
    boftNButterflyFactor = try reader.int("boft_n_butterfly_factor")

    nFrequency = try reader.int("n_frequency")
    nFrequencyPattern = try reader.numberMap("n_frequency_pattern", integers: true)

    useEffectiveConv2d = try reader.bool("use_effective_conv2d")
    decomposeBoth = try reader.bool("decompose_both")
    decomposeFactor = try reader.int("decompose_factor")
    initR = try reader.int("init_r")
    targetR = try reader.int("target_r")
    miniR = try reader.int("mini_r")

    tokenIndices = try reader.intList("token_indices")

    numVirtualTokens = try reader.int("num_virtual_tokens")
    tokenDim = try reader.int("token_dim")
    numTransformerSubmodules = try reader.int("num_transformer_submodules")
    numLayers = try reader.int("num_layers")
    numAttentionHeads = try reader.int("num_attention_heads")
    prefixProjection = try reader.bool("prefix_projection")
    encoderHiddenSize = try reader.int("encoder_hidden_size")

    if let known = TunerCatalog.standard.tuner(for: peftType)?.configFields {
      unknownFields = json.keys.filter { !known.contains($0) }
    } else {
      unknownFields = []
    }
    try validateValues(reader)
  }

  /// `rank_pattern`: integers, or (AdaLoRA) boolean masks whose sum is the rank.
  private static func decodeRankPattern(_ reader: ConfigReader) throws(AdapterConfigError) -> [PatternEntry] {
    guard let value = reader.value("rank_pattern") else { return [] }
    guard let object = value.objectValue else {
      throw reader.error("rank_pattern", .wrongType(expected: "an object", found: value.typeName))
    }
    var entries: [PatternEntry] = []
    for (key, element) in object {
      let field = "rank_pattern.\(key)"
      if let array = element.arrayValue {
        var mask: [Bool] = []
        for (i, item) in array.enumerated() {
          if let b = item.boolValue {
            mask.append(b)
          } else if let n = item.intValue, n == 0 || n == 1 {
            mask.append(n == 1)
          } else {
            throw reader.error("\(field)[\(i)]", .wrongType(expected: "a boolean", found: item.typeName))
          }
        }
        let kept = mask.filter { $0 }.count
        entries.append(PatternEntry(pattern: key, value: Double(kept), mask: mask, exactInteger: kept))
      } else {
        let rank = try ConfigReader.integer(element, field: field, reader: reader)
        entries.append(PatternEntry(pattern: key, value: Double(rank), exactInteger: rank))
      }
    }
    return entries
  }

  private static func decodeTrainableTokenIndices(_ reader: ConfigReader) throws(AdapterConfigError)
    -> TrainableTokenIndices?
  {
    let field = "trainable_token_indices"
    guard let value = reader.value(field) else { return nil }
    if value.arrayValue != nil { return .inputEmbedding(try reader.intList(field) ?? []) }
    guard let object = value.objectValue else {
      throw reader.error(field, .wrongType(expected: "a list of integers or an object", found: value.typeName))
    }
    var entries: [ModuleTokenIndices] = []
    for (key, element) in object {
      guard let array = element.arrayValue else {
        throw reader.error("\(field).\(key)", .wrongType(expected: "a list of integers", found: element.typeName))
      }
      var indices: [Int] = []
      for (i, item) in array.enumerated() {
        indices.append(try ConfigReader.integer(item, field: "\(field).\(key)[\(i)]", reader: reader))
      }
      entries.append(ModuleTokenIndices(module: key, indices: indices))
    }
    return .perModule(entries)
  }

  private func validateValues(_ reader: ConfigReader) throws(AdapterConfigError) {
    for (field, value) in [
      ("r", r), ("num_vectors", numVectors), ("vector_length", vectorLength), ("topk", topk),
      ("num_virtual_tokens", numVirtualTokens), ("token_dim", tokenDim),
    ] {
      if let value, value < 0 { throw reader.error(field, .invalidValue("must not be negative, found \(value)")) }
    }
    for entry in rankPattern where entry.value < 0 {
      throw reader.error("rank_pattern.\(entry.pattern)", .invalidValue("must not be negative"))
    }
  }

  /// Whether PEFT treats the method as prompt learning.
  public var isPromptLearning: Bool { peftType.isPromptLearning }
}
