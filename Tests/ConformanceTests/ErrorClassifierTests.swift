import Testing

@testable import Conformance

@Suite("Error classification")
struct ErrorClassifierTests {
  // Messages as PEFT 0.21.2 raises them (peft-semantics.md §1).
  @Test(arguments: [
    ("RuntimeError", "Error(s) in loading state_dict for PeftModelForCausalLM:\n\tsize mismatch for base_model.model.lm_head.weight: copying a param with shape torch.Size([140, 16]) from checkpoint, the shape in current model is torch.Size([128, 16]).", ErrorKind.sizeMismatch),
    ("RuntimeError", "You set `ignore_mismatched_sizes` to `False`, thus raising an error. For details look at the above report!", .sizeMismatch),
    ("NoMatchingPeftModuleError", "Target modules {'nope'} not found in the base model. Please check the target modules and try again.", .targetNotFound),
    ("ValueError", "Target modules {'nope'} not found in the base model. Please check the target modules and try again.", .targetNotFound),
    ("ValueError", "Specified to load vera_A and vera_B from state dictionary however they were not present!", .missingSharedWeights),
    ("ValueError", "Trying to load old OFT checkpoint, which is no longer supported. Please install PEFT <= v0.15.2 to load it or train a new OFT adapter.", .unsupportedCheckpoint),
    ("ValueError", "Cannot combine adapters with different peft types. Found LORA and LOHA.", .incompatibleAdapters),
    ("ValueError", "Adapter with name default already exists. Please use a different name.", .adapterNameConflict),
    ("ValueError", "Unknown PEFT type passed: FOO", .invalidAdapterConfig),
    ("KeyError", "'base_model.model.lm_head.weight'", .missingAuxiliaryKey),
    ("TypeError", "LoraConfig.__init__() got an unexpected keyword argument 'exclude_modules'", .invalidAdapterConfig),
    ("ValueError", "Can't find weights for x in x or in the Hugging Face Hub.", .weightsNotFound),
    ("ZeroDivisionError", "division by zero", .other),
  ])
  func classifies(_ type: String, _ message: String, _ kind: ErrorKind) {
    #expect(ErrorClassifier.kind(type: type, message: message) == kind)
  }
}
