/// Loader-independent categories of failed loads (the vocabulary the conformance suite compares across
/// loaders, never the message text).
extension PythonError {
  /// `size-mismatch`, `missing-auxiliary-key`, `target-not-found`, `missing-shared-weights`,
  /// `unsupported-checkpoint`, `incompatible-adapters`, `adapter-name-conflict`,
  /// `invalid-adapter-config`, `not-simulated` or `other`.
  public var category: String {
    switch kind {
    case "RuntimeError" where message.hasPrefix("Error(s) in loading state_dict"): return "size-mismatch"
    case "KeyError" where message.contains(".modules_to_save") || message.hasPrefix("'base_model.")
      || message.contains("trainable_tokens_delta") || message == "'prompt_embeddings'":
      return "missing-auxiliary-key"
    case "NoMatchingPeftModuleError": return "target-not-found"
    case "NotSimulated": return "not-simulated"
    default: break
    }
    if message.hasPrefix("Specified to load vera_A and vera_B") || message.hasPrefix("Specified to load pvera_A and pvera_B") {
      return "missing-shared-weights"
    }
    if message.hasPrefix("Trying to load old OFT checkpoint") || message.hasPrefix("OFT has been updated") {
      return "unsupported-checkpoint"
    }
    if message.hasPrefix("Cannot combine adapters with different peft types") { return "incompatible-adapters" }
    if message.hasPrefix("Adapter with name '") && message.hasSuffix("' already exists.") { return "adapter-name-conflict" }
    if kind == "KeyError" && !message.hasPrefix("'base_model.") { return "invalid-adapter-config" }
    // PEFT 0.13 builds the config class with every field of the file.
    if kind == "TypeError" && message.contains(".__init__() got an unexpected keyword argument '") {
      return "invalid-adapter-config"
    }
    if message.hasPrefix("Invalid task type") || message.contains("`layers_to_transform` cannot")
      || message.contains("`layers_pattern`") || message.hasPrefix("AdaLoRA does not work")
      || message.contains("does not support DoRA") || message.hasPrefix("Either `r` or `oft_block_size`")
      || message.hasPrefix("You can only specify either r")
    {
      return "invalid-adapter-config"
    }
    return "other"
  }
}
