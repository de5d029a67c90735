/// Sorts a Python-style exception (class name and message, as PEFT raises it and the PEFT
/// profiles reproduce it) into the corpus's error kinds — the same table the PEFT driver applies
/// (docs/driver-protocol.md §4).
public enum ErrorClassifier {
  /// The kind for an exception of class `type` with text `message`.
  public static func kind(type: String, message: String) -> ErrorKind {
    if type == "NoMatchingPeftModuleError" { return .targetNotFound }
    if type == "RuntimeError" && message.contains("size mismatch for ") { return .sizeMismatch }
    if message.contains("You set `ignore_mismatched_sizes` to `False`") { return .sizeMismatch }
    if message.contains("Target modules") && message.contains("not found") { return .targetNotFound }
    if message.contains("from state dictionary however they were not present") { return .missingSharedWeights }
    if message.contains("Trying to load old OFT checkpoint") { return .unsupportedCheckpoint }
    if message.contains("Cannot combine adapters with different peft types") { return .incompatibleAdapters }
    if message.contains("Adapter with name") && message.contains("already exists") { return .adapterNameConflict }
    if message.contains("Unknown PEFT type passed") { return .invalidAdapterConfig }
    if message.contains("Can't find weights for") || type == "FileNotFoundError" { return .weightsNotFound }
    if type == "KeyError" { return .missingAuxiliaryKey }
    if type == "TypeError" { return .invalidAdapterConfig }
    return .other
  }
}
