import TensorIO

extension ModelFamilyDefinition {
  /// `GPT2LMHeadModel`: `Conv1D` projections whose weights are `(in, out)`, a fused `c_attn`
  /// `(H, 3·H)`, learned positions `wpe`, and `lm_head` tied to `wte` by default. The causal-mask
  /// buffer `attn.bias` is not persistent in transformers 5, so nothing but parameters is saved.
  static let gpt2 = ModelFamilyDefinition(
    family: .gpt2, modelClass: "GPT2LMHeadModel", autoClass: "AutoModelForCausalLM",
    defaultTieWordEmbeddings: true, optionalDimensions: [.maxPositionEmbeddings],
    defaultMaxPositionEmbeddings: 1024,
    specialTokenDefaults: [("bos_token_id", 50256), ("eos_token_id", 50256), ("pad_token_id", nil)],
    tinyDimensions: ModelDimensions(
      vocabSize: 128, hiddenSize: 16, intermediateSize: 64, layers: 2, attentionHeads: 4, maxPositionEmbeddings: 64),
    configDimensionKeys: ["n_embd", "n_head", "n_inner", "n_layer", "n_positions"],
    layout: { d, tie in
      var b = LayoutBuilder()
      let h = d.hiddenSize
      b.embedding("transformer.wte", count: d.vocabSize, dim: h, embedding: .input)
      b.embedding("transformer.wpe", count: d.maxPositionEmbeddings, dim: h)
      for i in 0..<d.layers {
        let p = "transformer.h.\(i)"
        b.norm("\(p).ln_1", dim: h, bias: true)
        b.conv1D("\(p).attn.c_attn", in: h, out: 3 * h)
        b.conv1D("\(p).attn.c_proj", in: h, out: h)
        b.norm("\(p).ln_2", dim: h, bias: true)
        b.conv1D("\(p).mlp.c_fc", in: h, out: d.intermediateSize)
        b.conv1D("\(p).mlp.c_proj", in: d.intermediateSize, out: h)
      }
      b.norm("transformer.ln_f", dim: h, bias: true)
      b.linear("lm_head", in: h, out: d.vocabSize, saved: tie ? .tied(to: "transformer.wte.weight") : .asIs,
        embedding: .output)
      return b.entries
    },
    configFields: { d in
      JSONObject([
        ("activation_function", .string("gelu_new")),
        ("add_cross_attention", .bool(false)),
        ("attn_pdrop", ConfigValue.float("0.1")),
        ("embd_pdrop", ConfigValue.float("0.1")),
        ("initializer_range", ConfigValue.float("0.02")),
        ("layer_norm_epsilon", ConfigValue.float("1e-05")),
        ("n_embd", ConfigValue.int(d.hiddenSize)),
        ("n_head", ConfigValue.int(d.attentionHeads)),
        // `null` means 4 × n_embd.
        ("n_inner", d.intermediateSize == 4 * d.hiddenSize ? .null : ConfigValue.int(d.intermediateSize)),
        ("n_layer", ConfigValue.int(d.layers)),
        ("n_positions", ConfigValue.int(d.maxPositionEmbeddings)),
        ("reorder_and_upcast_attn", .bool(false)),
        ("resid_pdrop", ConfigValue.float("0.1")),
        ("scale_attn_by_inverse_layer_idx", .bool(false)),
        ("scale_attn_weights", .bool(true)),
        ("summary_activation", .null),
        ("summary_first_dropout", ConfigValue.float("0.1")),
        ("summary_proj_to_labels", .bool(true)),
        ("summary_type", .string("cls_index")),
        ("summary_use_proj", .bool(true)),
        ("use_cache", .bool(true)),
      ])
    })
}
