import TensorIO

extension ModelFamilyDefinition {
  /// `T5ForConditionalGeneration` (non-gated `relu` feed-forward): `shared` embedding, encoder and
  /// decoder stacks with relative attention bias in block 0 only, `EncDecAttention` in the decoder.
  /// transformers 5 always ties `encoder.embed_tokens`, `decoder.embed_tokens` and `lm_head` to
  /// `shared` (the config's `tie_word_embeddings: false` only turns off output scaling), so only
  /// `shared.weight` is saved.
  static let t5 = ModelFamilyDefinition(
    family: .t5, modelClass: "T5ForConditionalGeneration", autoClass: "AutoModelForSeq2SeqLM",
    defaultTieWordEmbeddings: true, tyingIsFixed: true, optionalDimensions: [.headDim],
    defaultMaxPositionEmbeddings: 0,
    specialTokenDefaults: [("eos_token_id", 1), ("pad_token_id", 0)],
    tinyDimensions: ModelDimensions(vocabSize: 128, hiddenSize: 16, intermediateSize: 32, layers: 2, attentionHeads: 4),
    configDimensionKeys: ["d_ff", "d_kv", "d_model", "num_decoder_layers", "num_heads", "num_layers"],
    layout: { d, _ in
      var b = LayoutBuilder()
      let h = d.hiddenSize
      let inner = d.queryWidth
      let buckets = 32
      b.embedding("shared", count: d.vocabSize, dim: h, embedding: .input)
      for stack in ["encoder", "decoder"] {
        b.embedding("\(stack).embed_tokens", count: d.vocabSize, dim: h, saved: .tied(to: "shared.weight"))
        for i in 0..<d.layers {
          let p = "\(stack).block.\(i).layer"
          for projection in ["q", "k", "v"] { b.linear("\(p).0.SelfAttention.\(projection)", in: h, out: inner) }
          b.linear("\(p).0.SelfAttention.o", in: inner, out: h)
          if i == 0 {
            b.embedding("\(p).0.SelfAttention.relative_attention_bias", count: buckets, dim: d.attentionHeads)
          }
          b.norm("\(p).0.layer_norm", dim: h)
          var feedForward = 1
          if stack == "decoder" {
            for projection in ["q", "k", "v"] { b.linear("\(p).1.EncDecAttention.\(projection)", in: h, out: inner) }
            b.linear("\(p).1.EncDecAttention.o", in: inner, out: h)
            b.norm("\(p).1.layer_norm", dim: h)
            feedForward = 2
          }
          b.linear("\(p).\(feedForward).DenseReluDense.wi", in: h, out: d.intermediateSize)
          b.linear("\(p).\(feedForward).DenseReluDense.wo", in: d.intermediateSize, out: h)
          b.norm("\(p).\(feedForward).layer_norm", dim: h)
        }
        b.norm("\(stack).final_layer_norm", dim: h)
      }
      b.linear("lm_head", in: h, out: d.vocabSize, saved: .tied(to: "shared.weight"), embedding: .output)
      return b.entries
    },
    configFields: { d in
      JSONObject([
        ("classifier_dropout", ConfigValue.float("0.0")),
        ("d_ff", ConfigValue.int(d.intermediateSize)),
        ("d_kv", ConfigValue.int(d.headDim)),
        ("d_model", ConfigValue.int(d.hiddenSize)),
        ("dense_act_fn", .string("relu")),
        ("dropout_rate", ConfigValue.float("0.1")),
        ("feed_forward_proj", .string("relu")),
        ("initializer_factor", ConfigValue.float("1.0")),
        ("is_decoder", .bool(false)),
        ("is_encoder_decoder", .bool(true)),
        ("is_gated_act", .bool(false)),
        ("layer_norm_epsilon", ConfigValue.float("1e-06")),
        ("num_decoder_layers", ConfigValue.int(d.layers)),
        ("num_heads", ConfigValue.int(d.attentionHeads)),
        ("num_layers", ConfigValue.int(d.layers)),
        ("relative_attention_max_distance", ConfigValue.int(128)),
        ("relative_attention_num_buckets", ConfigValue.int(32)),
        ("scale_decoder_outputs", .bool(true)),
        ("use_cache", .bool(true)),
      ])
    })
}
