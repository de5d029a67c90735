import TensorIO

extension BaseModelSpec {
  /// The dimension each config key sets, under every name the catalog's families use for it.
  static let dimensionKeys: [String: ModelDimensions.Field] = [
    "vocab_size": .vocabSize,
    "hidden_size": .hiddenSize, "n_embd": .hiddenSize, "d_model": .hiddenSize,
    "intermediate_size": .intermediateSize, "n_inner": .intermediateSize, "d_ff": .intermediateSize,
    "num_hidden_layers": .layers, "n_layer": .layers, "num_layers": .layers,
    "num_attention_heads": .attentionHeads, "n_head": .attentionHeads, "num_heads": .attentionHeads,
    "num_key_value_heads": .keyValueHeads,
    "head_dim": .headDim, "d_kv": .headDim,
    "num_local_experts": .experts, "num_experts": .experts,
    "num_experts_per_tok": .expertsPerToken,
    "moe_intermediate_size": .expertIntermediateSize,
    "max_position_embeddings": .maxPositionEmbeddings, "n_positions": .maxPositionEmbeddings,
  ]

  /// A base of `family` with `config.json` fields set as a case writes them: dimensions under their
  /// transformers names (`vocab_size`, `n_embd`, `num_hidden_layers`, …), `tie_word_embeddings`,
  /// `dtype`, special-token ids, and any other field the family's config has.
  /// - Throws: ``SynthesisError`` at `path.<key>` for a field the family's config does not have or
  ///   a value of the wrong type.
  public init(family: ModelFamily, config: JSONObject, path: String = "config") throws(SynthesisError) {
    var dims = family.definition.tinyDimensions
    var tie: Bool?
    var dtype = DType.f32
    var rest: [(String, JSONValue)] = []
    for (key, value) in config {
      let field = "\(path).\(key)"
      if let dimension = Self.dimensionKeys[key] {
        if value.isNull, dimension == .intermediateSize { continue }  // GPT-2's n_inner: null = 4 × n_embd
        let number = try FieldReader.int(value, field: field)
        switch dimension {
        case .vocabSize: dims.vocabSize = number
        case .hiddenSize: dims.hiddenSize = number
        case .intermediateSize: dims.intermediateSize = number
        case .layers: dims.layers = number
        case .attentionHeads: dims.attentionHeads = number
        case .keyValueHeads: dims.keyValueHeads = number
        case .headDim: dims.headDim = number
        case .experts: dims.experts = number
        case .expertsPerToken: dims.expertsPerToken = number
        case .expertIntermediateSize: dims.expertIntermediateSize = number
        case .maxPositionEmbeddings: dims.maxPositionEmbeddings = number
        }
      } else if key == "tie_word_embeddings" {
        guard let bool = value.boolValue else {
          throw SynthesisError(field: field, .invalidValue("expected true or false, found \(value.typeName)"))
        }
        tie = bool
      } else if key == "dtype" || key == "torch_dtype" {
        switch value.stringValue {
        case "float32": dtype = .f32
        case "float16": dtype = .f16
        case "bfloat16": dtype = .bf16
        default: throw SynthesisError(field: field, .invalidValue("expected float32, float16 or bfloat16"))
        }
      } else {
        rest.append((key, value))
      }
    }
    self.init(family: family, dimensions: dims, dtype: dtype, tieWordEmbeddings: tie)
    let known: JSONObject
    do { known = try describe().config } catch { throw error.within(path) }
    for (key, value) in rest {
      guard known[key] != nil else {
        throw SynthesisError(field: "\(path).\(key)", .invalidValue("\(family.rawValue)'s config has no field '\(key)'"))
      }
      if let index = specialTokens.firstIndex(where: { $0.key == key }) {
        guard value.isNull || value.intValue != nil else {
          throw SynthesisError(field: "\(path).\(key)", .invalidValue("expected a token id or null"))
        }
        specialTokens[index].id = value.intValue
      } else {
        configOverrides[key] = value
      }
    }
  }
}
