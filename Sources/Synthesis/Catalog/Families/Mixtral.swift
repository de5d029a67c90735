import TensorIO

extension ModelFamilyDefinition {
  /// `MixtralForCausalLM` as transformers 5 builds it: router `mlp.gate.weight` then fused
  /// `mlp.experts.gate_up_proj`/`down_proj` in the state dict; `save_pretrained` writes the original
  /// `block_sparse_moe.gate.weight` and `block_sparse_moe.experts.N.w1/w2/w3.weight`.
  static let mixtral = ModelFamilyDefinition(
    family: .mixtral, modelClass: "MixtralForCausalLM", autoClass: "AutoModelForCausalLM",
    defaultTieWordEmbeddings: false, convertsLoRACheckpoints: true,
    optionalDimensions: [.keyValueHeads, .headDim, .experts, .expertsPerToken, .maxPositionEmbeddings],
    requiredDimensions: [.experts], defaultMaxPositionEmbeddings: 131072,
    specialTokenDefaults: [("bos_token_id", 1), ("eos_token_id", 2), ("pad_token_id", nil)],
    tinyDimensions: ModelDimensions(
      vocabSize: 128, hiddenSize: 16, intermediateSize: 32, layers: 2, attentionHeads: 4, keyValueHeads: 2,
      experts: 4, expertsPerToken: 2),
    configDimensionKeys: ["head_dim", "hidden_size", "intermediate_size", "max_position_embeddings", "num_attention_heads", "num_experts_per_tok", "num_hidden_layers", "num_key_value_heads", "num_local_experts"],
    layout: { d, tie in DecoderLayout(mlp: .mixtralExperts).entries(d, tieWordEmbeddings: tie) },
    configFields: { d in
      JSONObject([
        ("attention_dropout", ConfigValue.float("0.0")),
        ("head_dim", d.headDimIsExplicit ? ConfigValue.int(d.headDim) : .null),
        ("hidden_act", .string("silu")),
        ("hidden_size", ConfigValue.int(d.hiddenSize)),
        ("initializer_range", ConfigValue.float("0.02")),
        ("intermediate_size", ConfigValue.int(d.intermediateSize)),
        ("max_position_embeddings", ConfigValue.int(d.maxPositionEmbeddings)),
        ("num_attention_heads", ConfigValue.int(d.attentionHeads)),
        ("num_experts_per_tok", ConfigValue.int(d.expertsPerToken)),
        ("num_hidden_layers", ConfigValue.int(d.layers)),
        ("num_key_value_heads", ConfigValue.int(d.keyValueHeads)),
        ("num_local_experts", ConfigValue.int(d.experts)),
        ("output_router_logits", .bool(false)),
        ("rms_norm_eps", ConfigValue.float("1e-05")),
        ("rope_parameters", ConfigValue.rope(theta: "1000000.0")),
        ("router_aux_loss_coef", ConfigValue.float("0.001")),
        ("router_jitter_noise", ConfigValue.float("0.0")),
        ("sliding_window", .null),
        ("use_cache", .bool(true)),
      ])
    })
}
