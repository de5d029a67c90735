import TensorIO

/// What Adaptest knows about a model's architecture: how its checkpoint names map to the model's
/// state dict, which weights are tied, what kind each module is, and the order in which modules
/// register their children (the order of `state_dict()` and therefore of the keys torch reports).
///
/// For every model type and class transformers registers, this comes from ``ModelStructureTable``,
/// recorded from transformers itself. A `model_type` or class the table lacks (remote code, a newer
/// transformers) is *inferred* from the checkpoint's key tree; ``provenance`` then says what was
/// inferred, and every load outcome carries an `architecture-inferred` diagnostic.
public struct Architecture: Sendable, Hashable {
  /// `model_type` from `config.json`.
  public var modelType: String
  /// The class the structure was taken from (`FalconForCausalLM`), or `nil` when inferred.
  public var recordedClass: ClassStructure?
  /// Whether the structure is recorded from transformers or inferred from the checkpoint.
  public var provenance: Provenance
  /// The base model's attribute on head models (`model`, `transformer`, `gpt_neox`).
  public var baseModelPrefix: String
  /// Whether the class holds its backbone under ``baseModelPrefix``.
  public var holdsBackbone: Bool
  /// transformers' default of `tie_word_embeddings` when `config.json` omits it.
  public var defaultTieWordEmbeddings: Bool
  /// Whether PEFT 0.21 converts LoRA checkpoints on this model type (transformers registers a conversion).
  var conversionRegistered: Bool
  /// Every renaming transformers applies to checkpoint keys on load, in order (legacy ones last); PEFT
  /// applies the same ones to LoRA keys (`TransformersConversion`).
  var keyRenamings: [KeyRenaming]
  /// Per-expert checkpoint weights fused into 3-D parameters (transformers v5 MoE conversion).
  var expertFusion: ExpertFusion?
  /// The recorded modules as a trie over path components (`*` for indices).
  var records: RecordTrie

  /// Where an architecture's structure comes from.
  public enum Provenance: Sendable, Hashable {
    /// Recorded from this transformers release.
    case recorded(transformers: String)
    /// Inferred from the checkpoint: each fact says what was inferred and from what.
    case inferred([String])

    public var isInferred: Bool {
      if case .inferred = self { return true }
      return false
    }
  }

  public var isRecorded: Bool { recordedClass != nil }

  public static func == (lhs: Architecture, rhs: Architecture) -> Bool {
    lhs.modelType == rhs.modelType && lhs.recordedClass?.name == rhs.recordedClass?.name
      && lhs.provenance == rhs.provenance && lhs.baseModelPrefix == rhs.baseModelPrefix
  }
  public func hash(into hasher: inout Hasher) {
    hasher.combine(modelType)
    hasher.combine(recordedClass?.name)
  }
}

/// transformers v5's fusion of per-expert MoE weights into 3-D parameters.
struct ExpertFusion: Hashable, Sendable {
  /// Per-expert names: `gate`, `up`, `down` (Mixtral: `w1`, `w3`, `w2`).
  var gate: String
  var up: String
  var down: String
}

extension Architecture {
  /// The architecture of `config.json`'s `model_type` and class (`architectures[0]`, `""` when absent).
  ///
  /// A recorded model type whose class is not recorded (a custom head, or one transformers cannot build
  /// from its default config) uses the bare model's structure for the backbone and says so.
  public static func resolve(modelType: String, modelClass: String) -> Architecture {
    guard let structure = ModelStructureTable.structure(forModelType: modelType) else {
      let why = modelType.isEmpty
        ? "config.json has no model_type" : "transformers \(ModelStructureTable.transformersVersion) does not register model_type '\(modelType)'"
      return inferred(modelType, facts: [why + ": the structure is inferred from the checkpoint"])
    }
    let chosen = modelClass.isEmpty ? structure.bareClass : structure.classes[modelClass]
    guard let cls = chosen else {
      var architecture = inferred(modelType, facts: [unrecordedClassFact(modelClass, structure)])
      if let bare = structure.bareClass { architecture.adopt(backboneOf: bare, structure: structure) }
      return architecture
    }
    var architecture = Architecture(
      modelType: modelType, recordedClass: cls, provenance: .recorded(transformers: structure.transformersVersion),
      baseModelPrefix: cls.basePrefix, holdsBackbone: cls.holdsBackbone,
      defaultTieWordEmbeddings: structure.tieWordEmbeddingsDefault ?? false,
      conversionRegistered: structure.conversionRegistered, keyRenamings: [], expertFusion: nil,
      records: RecordTrie(cls.modules))
    architecture.applyConversion(cls.conversion)
    return architecture
  }

  private static func unrecordedClassFact(_ modelClass: String, _ structure: ModelStructure) -> String {
    if let reason = structure.skipped[modelClass] {
      return "transformers \(structure.transformersVersion) cannot build \(modelClass) from its default config "
        + "(\(reason)): its heads are inferred from the checkpoint"
    }
    return "\(modelClass) is not a class transformers \(structure.transformersVersion) maps model_type "
      + "'\(structure.modelType)' to: its heads are inferred from the checkpoint"
  }

  /// An architecture with nothing recorded: conventional names and order, flagged as inferred.
  static func inferred(_ modelType: String, facts: [String]) -> Architecture {
    Architecture(
      modelType: modelType, recordedClass: nil, provenance: .inferred(facts), baseModelPrefix: "",
      holdsBackbone: false, defaultTieWordEmbeddings: true, conversionRegistered: false,
      keyRenamings: KeyRenaming.legacy, expertFusion: nil, records: RecordTrie([:]))
  }

  /// Uses a recorded bare class for the backbone of an unrecorded head class of the same model type.
  private mutating func adopt(backboneOf bare: ClassStructure, structure: ModelStructure) {
    baseModelPrefix = bare.basePrefix
    defaultTieWordEmbeddings = structure.tieWordEmbeddingsDefault ?? false
    conversionRegistered = structure.conversionRegistered
    // The bare model's tree, where a head class holds it: under the prefix.
    records = RecordTrie(grafting: RecordTrie(bare.modules), under: baseModelPrefix)
    applyConversion(bare.conversion)
  }

  private mutating func applyConversion(_ transforms: [WeightTransform]) {
    keyRenamings = transforms.compactMap(KeyRenaming.init) + KeyRenaming.legacy
    expertFusion = ExpertFusion(converters: transforms)
  }

  // MARK: Conventions for what is not recorded

  /// Names that are `nn.Embedding`s by convention (for modules the table does not describe).
  static let conventionalEmbeddingNames: Set<String> = [
    "embed_tokens", "wte", "wpe", "word_embeddings", "position_embeddings", "token_type_embeddings", "shared",
    "embed_positions", "relative_attention_bias", "embed_in",
  ]

  /// The conventional registration order of common transformers attribute names, used only for
  /// modules the table does not describe (and reported as inferred).
  static let conventionalOrder: [String] = [
    // model level
    "model", "transformer", "bert", "roberta", "shared", "embeddings", "encoder", "transform", "decoder",
    // embeddings
    "embed_tokens", "embed_in", "wte", "wpe", "word_embeddings", "position_embeddings", "token_type_embeddings",
    "drop", "layers", "h", "block", "layer",
    // attention
    "self_attn", "SelfAttention", "EncDecAttention", "attention", "ln_1", "attn", "ln_2", "crossattention",
    "ln_cross_attn", "q_proj", "k_proj", "v_proj", "o_proj", "qkv_proj", "q_norm", "k_norm", "c_attn", "q_attn",
    "self", "query", "key", "value", "q", "k", "v", "o", "relative_attention_bias",
    // feed-forward
    "DenseReluDense", "wi", "wi_0", "wi_1", "wo", "mlp", "block_sparse_moe", "gate", "experts", "shared_expert",
    "shared_expert_gate", "gate_proj", "up_proj", "gate_up_proj", "down_proj", "c_fc", "c_proj", "w1", "w2", "w3",
    "intermediate", "output", "dense", "LayerNorm", "layer_norm",
    // norms and the rest
    "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm",
    "norm", "ln_f", "final_layer_norm", "final_layernorm", "rotary_emb", "pooler", "cls", "predictions",
    "dropout", "act", "act_fn", "activation", "lm_head", "embed_out", "classifier", "score", "qa_outputs",
  ]

  static let conventionalRanks: [String: Int] = Dictionary(
    conventionalOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })

  /// Module names that are heads by convention (for classes the table does not describe).
  static let conventionalHeadNames: Set<String> = [
    "lm_head", "embed_out", "score", "classifier", "qa_outputs", "cls", "head", "output_layer",
  ]

  /// The order of a module's own tensors when not recorded: `weight` before `bias`, fused expert
  /// projections in transformers' order, then the rest by name.
  static let tensorOrder: [String: Int] = [
    "weight": 0, "bias": 1, "gate_up_proj": 2, "gate_up_proj_bias": 3, "down_proj": 4, "down_proj_bias": 5,
  ]
}

extension ExpertFusion {
  /// The MoE fusion described by transformers' converters (`….experts.*.<gate>.weight` +
  /// `….experts.*.<up>.weight` → `….experts.gate_up_proj`, `….experts.*.<down>.weight` → `down_proj`).
  init?(converters: [WeightTransform]) {
    // On the UTF-8 bytes: `String.firstRange(of:)`'s first use instantiated the generic string algorithms
    // (a protocol-conformance scan of the whole executable, on every check of a MoE model).
    func projection(_ pattern: String) -> String? {
      let bytes = Array(pattern.utf8)
      let marker = Array("experts.*.".utf8)
      let suffix = Array(".weight".utf8)
      guard bytes.count >= max(marker.count, suffix.count), bytes.suffix(suffix.count).elementsEqual(suffix),
        let start = (0...(bytes.count - marker.count)).first(where: { bytes[$0..<$0 + marker.count].elementsEqual(marker) })
      else { return nil }
      // What follows the marker, less the suffix's length (nothing when shorter).
      return String(decoding: bytes[(start + marker.count)...].dropLast(suffix.count), as: UTF8.self)
    }
    var gate: String?
    var up: String?
    var down: String?
    for converter in converters where converter.operation == "WeightConverter" {
      guard let target = converter.targetPatterns.first else { continue }
      if target.hasSuffix("experts.gate_up_proj"), converter.sourcePatterns.count == 2 {
        gate = projection(converter.sourcePatterns[0])
        up = projection(converter.sourcePatterns[1])
      } else if target.hasSuffix("experts.down_proj"), converter.sourcePatterns.count == 1 {
        down = projection(converter.sourcePatterns[0])
      }
    }
    guard let gate, let up, let down else { return nil }
    self.init(gate: gate, up: up, down: down)
  }
}
