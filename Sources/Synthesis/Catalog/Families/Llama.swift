import TensorIO

extension ModelFamilyDefinition {
  /// `LlamaForCausalLM`, with the fields transformers 5.24 writes for `LlamaConfig`.
  static let llama = ModelFamilyDefinition(
    family: .llama, modelClass: "LlamaForCausalLM", autoClass: "AutoModelForCausalLM",
    defaultTieWordEmbeddings: false, optionalDimensions: [.keyValueHeads, .headDim, .maxPositionEmbeddings],
    defaultMaxPositionEmbeddings: 2048,
    specialTokenDefaults: [("bos_token_id", 1), ("eos_token_id", 2), ("pad_token_id", nil)],
    tinyDimensions: ModelDimensions(
      vocabSize: 128, hiddenSize: 16, intermediateSize: 32, layers: 2, attentionHeads: 4, keyValueHeads: 2),
    configDimensionKeys: ["head_dim", "hidden_size", "intermediate_size", "max_position_embeddings", "num_attention_heads", "num_hidden_layers", "num_key_value_heads"],
    layout: { d, tie in DecoderLayout().entries(d, tieWordEmbeddings: tie) },
    configFields: { d in
      JSONObject([
        ("attention_bias", .bool(false)),
        ("attention_dropout", ConfigValue.float("0.0")),
        ("head_dim", ConfigValue.int(d.headDim)),
        ("hidden_act", .string("silu")),
        ("hidden_size", ConfigValue.int(d.hiddenSize)),
        ("initializer_range", ConfigValue.float("0.02")),
        ("intermediate_size", ConfigValue.int(d.intermediateSize)),
        ("max_position_embeddings", ConfigValue.int(d.maxPositionEmbeddings)),
        ("mlp_bias", .bool(false)),
        ("num_attention_heads", ConfigValue.int(d.attentionHeads)),
        ("num_hidden_layers", ConfigValue.int(d.layers)),
        ("num_key_value_heads", ConfigValue.int(d.keyValueHeads)),
        ("pretraining_tp", ConfigValue.int(1)),
        ("rms_norm_eps", ConfigValue.float("1e-06")),
        ("rope_parameters", ConfigValue.rope(theta: "10000.0")),
        ("use_cache", .bool(true)),
      ])
    })
}
