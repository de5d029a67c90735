import AdapterLoading
import TensorIO

/// Builds `adapter_config.json` the way PEFT's `save_pretrained` writes it: every field of the
/// tuner's config class, the case's values, and what PEFT fills in from the model
/// (`auto_mapping`, `inference_mode`, `peft_version`, for prompt learning `token_dim`,
/// `num_layers`, `num_attention_heads`, `num_transformer_submodules`, `encoder_hidden_size`, and an adaption
/// prompt's `target_modules`).
public enum AdapterConfigBuilder {
  /// The config for an adapter trained on `base`.
  /// - Throws: ``SynthesisError`` at `peft_type` for an unknown tuner, at `config.<field>` for a
  ///   field the tuner does not have.
  public static func config(_ spec: AdapterConfigSpec, base: BaseModelDescription) throws(SynthesisError) -> JSONObject {
    guard var config = PEFTConfigDefaults.defaults(for: spec.peftType) else {
      throw SynthesisError(
        field: "peft_type",
        .invalidValue("unknown tuner '\(spec.peftType)' (known: \(PEFTConfigDefaults.peftTypes.joined(separator: ", ")))"))
    }
    for (key, value) in spec.fields {
      guard config[key] != nil else {
        throw SynthesisError(field: "config.\(key)", .invalidValue("\(spec.peftType) has no field '\(key)'"))
      }
      config[key] = value
    }
    let definition = base.family.definition
    config["peft_type"] = .string(spec.peftType)
    config["peft_version"] = .string(PEFTConfigDefaults.peftVersion)
    config["inference_mode"] = .bool(true)
    config["base_model_name_or_path"] = spec.baseModelNameOrPath.map(JSONValue.string) ?? .null
    config["task_type"] = spec.taskType.map(JSONValue.string) ?? .null
    // PeftModel (no task type) records the base class so AutoPeftModel can rebuild it.
    config["auto_mapping"] =
      spec.taskType == nil
      ? .object(
        JSONObject([
          ("base_model_class", .string(definition.modelClass)),
          ("parent_library", .string("transformers.models.\(definition.modelType).modeling_\(definition.modelType)")),
        ])) : .null
    if PEFTConfigDefaults.promptLearningTypes.contains(spec.peftType) {
      fillPromptLearningFields(&config, spec: spec, base: base)
    }
    // `prepare_config` fills an adaption prompt's attention module from PEFT's table (unsupported model types
    // are refused when the adapter is saved).
    if spec.peftType == PeftType.adaptionPrompt.rawValue, config["target_modules"] == .null,
      let module = AdaptionPromptTuner.defaultTargetModules(modelType: definition.modelType)
    {
      config["target_modules"] = .string(module)
    }
    return ConfigValue.sortedKeys(config)
  }

  /// What `_prepare_prompt_learning_config` and `PeftModel` fill in: layers, width and heads from
  /// the model config (for prefix tuning and Cartridge, the key/value heads and their width), the encoder width,
  /// and two transformer submodules for sequence-to-sequence models.
  static func fillPromptLearningFields(_ config: inout JSONObject, spec: AdapterConfigSpec, base: BaseModelDescription) {
    let d = base.dimensions
    func setIfNull(_ key: String, _ value: Int) {
      if config[key] == .null { config[key] = ConfigValue.int(value) }
    }
    if spec.peftType == "CPT" {
      // `CPTConfig.__post_init__`: one token id by default, masks of ones, as many virtual tokens as ids.
      if config["cpt_token_ids"] == .null { config["cpt_token_ids"] = .array([ConfigValue.int(0)]) }
      let ids = config["cpt_token_ids"]?.arrayValue ?? []
      for mask in ["cpt_mask", "cpt_tokens_type_mask"] where config[mask] == .null {
        config[mask] = .array(ids.map { _ in ConfigValue.int(1) })
      }
      config["num_virtual_tokens"] = ConfigValue.int(ids.count)
    }
    setIfNull("num_layers", d.layers)
    setIfNull("token_dim", d.hiddenSize)
    setIfNull("num_attention_heads", d.attentionHeads)
    if ["PREFIX_TUNING", "CARTRIDGE"].contains(spec.peftType), base.config["num_key_value_heads"] != nil,
      let tokenDim = config["token_dim"]?.intValue, let heads = config["num_attention_heads"]?.intValue, heads > 0
    {
      let headDim = base.config["head_dim"]?.intValue ?? tokenDim / heads
      config["token_dim"] = ConfigValue.int(headDim * d.keyValueHeads)
      config["num_attention_heads"] = ConfigValue.int(d.keyValueHeads)
    }
    if config["encoder_hidden_size"] == .null, let tokenDim = config["token_dim"] {
      config["encoder_hidden_size"] = tokenDim
    }
    if config["num_transformer_submodules"] == .null {
      config["num_transformer_submodules"] = ConfigValue.int(spec.taskType == "SEQ_2_SEQ_LM" ? 2 : 1)
    }
  }

  /// The file text: `json.dumps(config, indent=2, sort_keys=True)` (PEFT writes no final newline).
  public static func text(_ config: JSONObject) -> String { JSONWriter.pythonSorted.string(.object(config)) }
}
