import TensorIO

extension ModelFamilyDefinition {
  /// `BertForMaskedLM` (no pooler): `bert.embeddings` (word, position, token type, LayerNorm),
  /// `bert.encoder.layer.N`, and the `cls.predictions` head, whose own `bias` is registered before
  /// its children. With tied embeddings `cls.predictions.decoder.weight` is the word embedding and
  /// `cls.predictions.decoder.bias` is `cls.predictions.bias`; neither alias is saved. The
  /// `position_ids`/`token_type_ids` buffers are not persistent.
  static let bert = ModelFamilyDefinition(
    family: .bert, modelClass: "BertForMaskedLM", autoClass: "AutoModelForMaskedLM",
    defaultTieWordEmbeddings: true, optionalDimensions: [.maxPositionEmbeddings],
    defaultMaxPositionEmbeddings: 512,
    specialTokenDefaults: [("bos_token_id", nil), ("eos_token_id", nil), ("pad_token_id", 0)],
    tinyDimensions: ModelDimensions(
      vocabSize: 128, hiddenSize: 16, intermediateSize: 32, layers: 2, attentionHeads: 4, maxPositionEmbeddings: 64),
    configDimensionKeys: ["hidden_size", "intermediate_size", "max_position_embeddings", "num_attention_heads", "num_hidden_layers"],
    layout: { d, tie in
      var b = LayoutBuilder()
      let h = d.hiddenSize
      b.embedding("bert.embeddings.word_embeddings", count: d.vocabSize, dim: h, embedding: .input)
      b.embedding("bert.embeddings.position_embeddings", count: d.maxPositionEmbeddings, dim: h)
      b.embedding("bert.embeddings.token_type_embeddings", count: 2, dim: h)
      b.norm("bert.embeddings.LayerNorm", dim: h, bias: true)
      for i in 0..<d.layers {
        let p = "bert.encoder.layer.\(i)"
        for projection in ["query", "key", "value"] {
          b.linear("\(p).attention.self.\(projection)", in: h, out: h, bias: true)
        }
        b.linear("\(p).attention.output.dense", in: h, out: h, bias: true)
        b.norm("\(p).attention.output.LayerNorm", dim: h, bias: true)
        b.linear("\(p).intermediate.dense", in: h, out: d.intermediateSize, bias: true)
        b.linear("\(p).output.dense", in: d.intermediateSize, out: h, bias: true)
        b.norm("\(p).output.LayerNorm", dim: h, bias: true)
      }
      b.add("cls.predictions.bias", [d.vocabSize], .parameter, .zeros)
      b.linear("cls.predictions.transform.dense", in: h, out: h, bias: true)
      b.norm("cls.predictions.transform.LayerNorm", dim: h, bias: true)
      b.add(
        "cls.predictions.decoder.weight", [d.vocabSize, h], .linear, .weights,
        saved: tie ? .tied(to: "bert.embeddings.word_embeddings.weight") : .asIs, embedding: .output)
      b.add(
        "cls.predictions.decoder.bias", [d.vocabSize], .linear, .zeros,
        saved: tie ? .tied(to: "cls.predictions.bias") : .asIs, embedding: .output)
      return b.entries
    },
    configFields: { d in
      JSONObject([
        ("add_cross_attention", .bool(false)),
        ("attention_probs_dropout_prob", ConfigValue.float("0.1")),
        ("classifier_dropout", .null),
        ("hidden_act", .string("gelu")),
        ("hidden_dropout_prob", ConfigValue.float("0.1")),
        ("hidden_size", ConfigValue.int(d.hiddenSize)),
        ("initializer_range", ConfigValue.float("0.02")),
        ("intermediate_size", ConfigValue.int(d.intermediateSize)),
        ("is_decoder", .bool(false)),
        ("layer_norm_eps", ConfigValue.float("1e-12")),
        ("max_position_embeddings", ConfigValue.int(d.maxPositionEmbeddings)),
        ("num_attention_heads", ConfigValue.int(d.attentionHeads)),
        ("num_hidden_layers", ConfigValue.int(d.layers)),
        ("type_vocab_size", ConfigValue.int(2)),
        ("use_cache", .bool(true)),
      ])
    })
}
