import TensorIO

extension PeftModel {
  /// `PeftModel.add_adapter` for prompt learning: a prompt encoder under `prompt_encoder.<name>` and a
  /// reference to the base model's word embeddings under `word_embeddings`.
  mutating func addPromptLearningAdapter(_ adapterName: String, config inputConfig: AdapterConfig, warnings: inout [PythonWarning])
    throws(PythonError)
  {
    var config = inputConfig
    let modelConfig = base.config
    // _prepare_prompt_learning_config
    try tuner.prepareConfig(&config, base: base)
    if config.numLayers == nil {
      config.numLayers = modelConfig["num_hidden_layers"]?.intValue ?? modelConfig["num_layers"]?.intValue
        ?? modelConfig["n_layer"]?.intValue
    }
    if config.tokenDim == nil {
      config.tokenDim = modelConfig["hidden_size"]?.intValue ?? modelConfig["n_embd"]?.intValue
        ?? modelConfig["d_model"]?.intValue
    }
    if config.numAttentionHeads == nil {
      config.numAttentionHeads = modelConfig["num_attention_heads"]?.intValue ?? modelConfig["n_head"]?.intValue
        ?? modelConfig["num_heads"]?.intValue ?? modelConfig["encoder_attention_heads"]?.intValue
    }
    // Grouped-query attention (PEFT #1901): the prefix is sized for the key/value heads.
    // Before PEFT 0.18 the saved `token_dim` and heads decide, so a prefix keeps its width on a base with
    // another head_dim.
    if Self.kvPrefixTypes.contains(config.peftType), let kvHeads = modelConfig["num_key_value_heads"]?.intValue {
      let headDim = (options.sizesPrefixWithHeadDim ? modelConfig["head_dim"]?.intValue : nil)
        ?? ((config.tokenDim ?? 0) / max(config.numAttentionHeads ?? 1, 1))
      config.tokenDim = try Checked.product([headDim, kvHeads])
      config.numAttentionHeads = kvHeads
    }
    if config.numTransformerSubmodules == nil {
      config.numTransformerSubmodules = config.taskType == "SEQ_2_SEQ_LM" ? 2 : 1
    }
    _ = try PromptLearningTuner.sizes(config)
    let plan = try tuner.promptEncoder(config)
    adapters.append(NamedAdapter(name: adapterName, config: config))
    let root = tree.root
    let encoders: Int
    if let existing = tree[root].child("prompt_encoder") {
      encoders = existing
    } else {
      encoders = tree.add(Module(kind: .moduleDict, className: "ModuleDict"))
      tree.setChild(root, "prompt_encoder", encoders)
    }
    let children = plan.embeddings.map { child in
      (
        child.name,
        tree.add(
          Module(
            kind: .embedding(numEmbeddings: child.rows, embeddingDim: child.width), className: "Embedding",
            tensors: [ModuleTensor(name: "weight", info: TensorInfo(dtype: .f32, shape: [child.rows, child.width]))]))
      )
    }
    let encoder = tree.add(Module(kind: .other, className: plan.className, tensors: plan.parameters, children: children))
    tree.setChild(encoders, adapterName, encoder)
    if let words = wordEmbeddingsNode() {
      tree.setChild(root, "word_embeddings", words)
    }
    if let modules = config.modulesToSave {
      try setTrainable(adapterName, moduleNames: modules, kind: .modulesToSave, strict: false)
    }
  }

  /// The methods `_prepare_prompt_learning_config` sizes for the key/value heads: both serve the prompt as
  /// `past_key_values`.
  static let kvPrefixTypes: Set<PeftType> = [.prefixTuning, .cartridge]

  /// `_setup_prompt_encoder`'s word embeddings: `embeddings.word_embeddings` if the model has it, else the
  /// first parameter of the backbone (the first sub-model) whose first dimension is the vocabulary size.
  func wordEmbeddingsNode() -> Int? {
    if let direct = tree.module(at: "embeddings.word_embeddings", from: baseRoot) { return direct }
    let vocab = base.vocabSize
    let backbone = tree[baseRoot].children.first { child in
      if case .container = tree[child.node].kind { return !tree[child.node].children.isEmpty }
      return false
    }?.node ?? baseRoot
    for (_, node) in tree.namedModules(from: backbone)
    where tree[node].tensors.contains(where: { !$0.isBuffer && $0.info.shape.first == vocab }) {
      return node
    }
    return nil
  }
}
