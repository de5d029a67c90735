/// Loader-independent categories of failed loads (the vocabulary the conformance suite compares across
/// loaders, never the message text).
extension PythonError {
  /// The exception's ``ErrorKind``: `size-mismatch`, `missing-auxiliary-key`, `target-not-found`,
  /// `missing-shared-weights`, `unsupported-checkpoint`, `incompatible-adapters`,
  /// `adapter-name-conflict`, `invalid-adapter-config`, `not-simulated` or `other`.
  public var category: ErrorKind {
    switch kind {
    case "RuntimeError" where message.hasPrefix("Error(s) in loading state_dict"): return .sizeMismatch
    // transformers 5's own loading, after its LOAD REPORT.
    case "RuntimeError" where message.hasPrefix("You set `ignore_mismatched_sizes` to `False`"): return .sizeMismatch
    // A tensor key (transformers 4.x names it without `base_model.model.`), never a method name.
    case "KeyError" where message.contains(".modules_to_save") || message.hasPrefix("'base_model.")
      || message.contains("trainable_tokens_delta") || message == "'prompt_embeddings'" || message.contains("."):
      return .missingAuxiliaryKey
    case "NoMatchingPeftModuleError": return .targetNotFound
    case "NotSimulated": return .notSimulated
    default: break
    }
    // Cartridge's encoder refuses another row count itself, and `Tensor.copy_` another width.
    if (kind == "ValueError" && message.hasPrefix("Invalid `prompt_embeddings` shape."))
      || (kind == "RuntimeError" && message.hasPrefix("The size of tensor a (") && message.contains(") must match the size of tensor b ("))
    {
      return .sizeMismatch
    }
    if message.hasPrefix("Specified to load vera_A and vera_B") || message.hasPrefix("Specified to load pvera_A and pvera_B") {
      return .missingSharedWeights
    }
    if message.hasPrefix("Trying to load old OFT checkpoint") || message.hasPrefix("OFT has been updated") {
      return .unsupportedCheckpoint
    }
    if message.hasPrefix("Cannot combine adapters with different peft types") { return .incompatibleAdapters }
    if message.hasPrefix("Adapter with name '") && message.hasSuffix("' already exists.") { return .adapterNameConflict }
    // transformers' `load_adapter`.
    if message.hasPrefix("Adapter with name ") && message.hasSuffix(" already exists. Please use a different name.") {
      return .adapterNameConflict
    }
    if kind == "KeyError" && !message.hasPrefix("'base_model.") { return .invalidAdapterConfig }
    // transformers' `from_pretrained(adapter_folder)`: the base it names is not local and the Hub is unreachable.
    if kind == "OSError" && message.hasPrefix(TransformersAdapterLoading.offlineMessagePrefix) { return .baseNotFound }
    // PEFT 0.13 builds the config class with every field of the file.
    if kind == "TypeError" && message.contains(".__init__() got an unexpected keyword argument '") {
      return .invalidAdapterConfig
    }
    if message.hasPrefix("Invalid task type") || message.contains("`layers_to_transform` cannot")
      || message.contains("`layers_pattern`") || message.hasPrefix("AdaLoRA does not work")
      || message.contains("does not support DoRA") || message.hasPrefix("Either `r` or `oft_block_size`")
      || message.hasPrefix("You can only specify either r") || message.hasPrefix("`num_frozen_tokens` must be")
      || message.hasPrefix("CPTConfig only supports task_type") || message.hasPrefix("cpt_token_ids, cpt_mask and")
      // Adaption prompt's config code refuses a model type its table lacks (every release).
      || message.hasPrefix("Unsupported model type for adaption prompt")
    {
      return .invalidAdapterConfig
    }
    return .other
  }
}
