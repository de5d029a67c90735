import TensorIO

extension ModelFamilyDefinition {
  /// `Phi3ForCausalLM`: fused `self_attn.qkv_proj (Q + 2·KV, H)` and `mlp.gate_up_proj (2·I, H)`;
  /// `o_proj` is registered before `qkv_proj`.
  static let phi3 = ModelFamilyDefinition(
    family: .phi3, modelClass: "Phi3ForCausalLM", autoClass: "AutoModelForCausalLM",
    defaultTieWordEmbeddings: false, optionalDimensions: [.keyValueHeads, .maxPositionEmbeddings],
    defaultMaxPositionEmbeddings: 4096,
    specialTokenDefaults: [("bos_token_id", 1), ("eos_token_id", 32000), ("pad_token_id", 32000)],
    tinyDimensions: ModelDimensions(
      vocabSize: 128, hiddenSize: 16, intermediateSize: 32, layers: 2, attentionHeads: 4, keyValueHeads: 2),
    configDimensionKeys: ["hidden_size", "intermediate_size", "max_position_embeddings", "num_attention_heads", "num_hidden_layers", "num_key_value_heads", "original_max_position_embeddings"],
    layout: { d, tie in
      var b = LayoutBuilder()
      let h = d.hiddenSize
      b.embedding("model.embed_tokens", count: d.vocabSize, dim: h, embedding: .input)
      for i in 0..<d.layers {
        let p = "model.layers.\(i)"
        b.linear("\(p).self_attn.o_proj", in: d.queryWidth, out: h)
        b.linear("\(p).self_attn.qkv_proj", in: h, out: d.queryWidth + 2 * d.keyValueWidth)
        b.linear("\(p).mlp.gate_up_proj", in: h, out: 2 * d.intermediateSize)
        b.linear("\(p).mlp.down_proj", in: d.intermediateSize, out: h)
        b.norm("\(p).input_layernorm", dim: h)
        b.norm("\(p).post_attention_layernorm", dim: h)
      }
      b.norm("model.norm", dim: h)
      b.linear("lm_head", in: h, out: d.vocabSize, saved: tie ? .tied(to: "model.embed_tokens.weight") : .asIs,
        embedding: .output)
      return b.entries
    },
    configFields: { d in
      JSONObject([
        ("attention_dropout", ConfigValue.float("0.0")),
        ("embd_pdrop", ConfigValue.float("0.0")),
        ("hidden_act", .string("silu")),
        ("hidden_size", ConfigValue.int(d.hiddenSize)),
        ("initializer_range", ConfigValue.float("0.02")),
        ("intermediate_size", ConfigValue.int(d.intermediateSize)),
        ("max_position_embeddings", ConfigValue.int(d.maxPositionEmbeddings)),
        ("num_attention_heads", ConfigValue.int(d.attentionHeads)),
        ("num_hidden_layers", ConfigValue.int(d.layers)),
        ("num_key_value_heads", ConfigValue.int(d.keyValueHeads)),
        ("original_max_position_embeddings", ConfigValue.int(d.maxPositionEmbeddings)),
        ("resid_pdrop", ConfigValue.float("0.0")),
        ("rms_norm_eps", ConfigValue.float("1e-05")),
        ("rope_parameters", ConfigValue.rope(theta: "10000.0", partialRotaryFactor: "1.0")),
        ("sliding_window", .null),
        ("use_cache", .bool(true)),
      ])
    })
}
