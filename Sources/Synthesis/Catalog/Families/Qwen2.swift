import TensorIO

extension ModelFamilyDefinition {
  /// `Qwen2ForCausalLM`: Llama's layout plus biases on `q_proj`, `k_proj`, `v_proj`; no `head_dim`
  /// field (it is always `hidden_size / num_attention_heads`).
  static let qwen2 = ModelFamilyDefinition(
    family: .qwen2, modelClass: "Qwen2ForCausalLM", autoClass: "AutoModelForCausalLM",
    defaultTieWordEmbeddings: false, optionalDimensions: [.keyValueHeads, .maxPositionEmbeddings],
    defaultMaxPositionEmbeddings: 32768,
    specialTokenDefaults: [("bos_token_id", nil), ("eos_token_id", nil), ("pad_token_id", nil)],
    tinyDimensions: ModelDimensions(
      vocabSize: 128, hiddenSize: 16, intermediateSize: 32, layers: 2, attentionHeads: 4, keyValueHeads: 2),
    configDimensionKeys: ["hidden_size", "intermediate_size", "layer_types", "max_position_embeddings", "num_attention_heads", "num_hidden_layers", "num_key_value_heads"],
    layout: { d, tie in DecoderLayout(qkvBias: true).entries(d, tieWordEmbeddings: tie) },
    configFields: { d in
      JSONObject([
        ("attention_dropout", ConfigValue.float("0.0")),
        ("hidden_act", .string("silu")),
        ("hidden_size", ConfigValue.int(d.hiddenSize)),
        ("initializer_range", ConfigValue.float("0.02")),
        ("intermediate_size", ConfigValue.int(d.intermediateSize)),
        ("layer_types", .array(Array(repeating: .string("full_attention"), count: d.layers))),
        ("max_position_embeddings", ConfigValue.int(d.maxPositionEmbeddings)),
        ("max_window_layers", ConfigValue.int(28)),
        ("num_attention_heads", ConfigValue.int(d.attentionHeads)),
        ("num_hidden_layers", ConfigValue.int(d.layers)),
        ("num_key_value_heads", ConfigValue.int(d.keyValueHeads)),
        ("rms_norm_eps", ConfigValue.float("1e-06")),
        ("rope_parameters", ConfigValue.rope(theta: "10000.0")),
        ("sliding_window", .null),
        ("use_cache", .bool(true)),
        ("use_sliding_window", .bool(false)),
      ])
    })
}
