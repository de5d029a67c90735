import TensorIO

extension ModelFamilyDefinition {
  /// `GemmaForCausalLM`: tied embeddings by default, RMSNorm scales stored as offsets from one
  /// (initialised at zero), an explicit `head_dim` (transformers' default is 256, so it is always
  /// written).
  static let gemma = ModelFamilyDefinition(
    family: .gemma, modelClass: "GemmaForCausalLM", autoClass: "AutoModelForCausalLM",
    defaultTieWordEmbeddings: true, optionalDimensions: [.keyValueHeads, .headDim, .maxPositionEmbeddings],
    defaultMaxPositionEmbeddings: 8192,
    specialTokenDefaults: [("bos_token_id", 2), ("eos_token_id", 1), ("pad_token_id", 0)],
    tinyDimensions: ModelDimensions(
      vocabSize: 128, hiddenSize: 16, intermediateSize: 32, layers: 2, attentionHeads: 4, keyValueHeads: 2),
    configDimensionKeys: ["head_dim", "hidden_size", "intermediate_size", "max_position_embeddings", "num_attention_heads", "num_hidden_layers", "num_key_value_heads"],
    layout: { d, tie in DecoderLayout(normScale: .zeros).entries(d, tieWordEmbeddings: tie) },
    configFields: { d in
      JSONObject([
        ("attention_bias", .bool(false)),
        ("attention_dropout", ConfigValue.float("0.0")),
        ("head_dim", ConfigValue.int(d.headDim)),
        ("hidden_act", .string("gelu_pytorch_tanh")),
        ("hidden_size", ConfigValue.int(d.hiddenSize)),
        ("initializer_range", ConfigValue.float("0.02")),
        ("intermediate_size", ConfigValue.int(d.intermediateSize)),
        ("max_position_embeddings", ConfigValue.int(d.maxPositionEmbeddings)),
        ("num_attention_heads", ConfigValue.int(d.attentionHeads)),
        ("num_hidden_layers", ConfigValue.int(d.layers)),
        ("num_key_value_heads", ConfigValue.int(d.keyValueHeads)),
        ("rms_norm_eps", ConfigValue.float("1e-06")),
        ("rope_parameters", ConfigValue.rope(theta: "10000.0")),
        ("use_bidirectional_attention", .null),
        ("use_cache", .bool(true)),
      ])
    })
}
