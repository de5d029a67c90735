import TensorIO

extension ModelFamilyDefinition {
  /// `Qwen3MoeForCausalLM` as transformers 5 builds it: per-head `q_norm`/`k_norm`, fused 3-D expert
  /// parameters `mlp.experts.gate_up_proj (E, 2·I, H)` / `mlp.experts.down_proj (E, H, I)` in the
  /// state dict, written by `save_pretrained` as per-expert `mlp.experts.N.{gate,up,down}_proj.weight`
  /// (the layout of the published checkpoints; Qwen3-30B-A3B has 18,867 tensors that way).
  static let qwen3Moe = ModelFamilyDefinition(
    family: .qwen3Moe, modelClass: "Qwen3MoeForCausalLM", autoClass: "AutoModelForCausalLM",
    defaultTieWordEmbeddings: false, convertsLoRACheckpoints: true,
    optionalDimensions: [
      .keyValueHeads, .headDim, .experts, .expertsPerToken, .expertIntermediateSize, .maxPositionEmbeddings,
    ],
    requiredDimensions: [.experts], defaultMaxPositionEmbeddings: 32768,
    specialTokenDefaults: [("bos_token_id", nil), ("eos_token_id", nil), ("pad_token_id", nil)],
    tinyDimensions: ModelDimensions(
      vocabSize: 128, hiddenSize: 16, intermediateSize: 32, layers: 2, attentionHeads: 4, keyValueHeads: 2,
      headDim: 4, experts: 4, expertsPerToken: 2, expertIntermediateSize: 8),
    configDimensionKeys: ["head_dim", "hidden_size", "intermediate_size", "max_position_embeddings", "moe_intermediate_size", "num_attention_heads", "num_experts_per_tok", "num_hidden_layers", "num_key_value_heads", "num_local_experts"],
    layout: { d, tie in DecoderLayout(qkNorm: true, mlp: .qwen3Experts).entries(d, tieWordEmbeddings: tie) },
    configFields: { d in
      JSONObject([
        ("attention_bias", .bool(false)),
        ("attention_dropout", ConfigValue.float("0.0")),
        ("decoder_sparse_step", ConfigValue.int(1)),
        ("head_dim", ConfigValue.int(d.headDim)),
        ("hidden_act", .string("silu")),
        ("hidden_size", ConfigValue.int(d.hiddenSize)),
        ("initializer_range", ConfigValue.float("0.02")),
        ("intermediate_size", ConfigValue.int(d.intermediateSize)),
        ("max_position_embeddings", ConfigValue.int(d.maxPositionEmbeddings)),
        ("mlp_only_layers", .array([])),
        ("moe_intermediate_size", ConfigValue.int(d.expertIntermediateSize)),
        ("norm_topk_prob", .bool(false)),
        ("num_attention_heads", ConfigValue.int(d.attentionHeads)),
        ("num_experts_per_tok", ConfigValue.int(d.expertsPerToken)),
        ("num_hidden_layers", ConfigValue.int(d.layers)),
        ("num_key_value_heads", ConfigValue.int(d.keyValueHeads)),
        ("num_local_experts", ConfigValue.int(d.experts)),
        ("output_router_logits", .bool(false)),
        ("rms_norm_eps", ConfigValue.float("1e-06")),
        ("rope_parameters", ConfigValue.rope(theta: "10000.0")),
        ("router_aux_loss_coef", ConfigValue.float("0.001")),
        ("sliding_window", .null),
        ("use_cache", .bool(true)),
        ("use_sliding_window", .bool(false)),
      ])
    })
}
