import Testing
import TensorIO

@testable import AdapterLoading

/// The recommended profile on loads that fail or involve prompt learning: it still names every
/// problem of the checkpoint, under the names the file gives.
@Suite("Recommended profile: failed loads and prompt learning")
struct RecommendedFailedLoadTests {
  @Test("a size mismatch does not hide the checkpoint's other problems")
  func failedLoadStillDiagnosed() throws {
    let qv = ["q_proj", "v_proj"]
    // Rank 8 saved for a rank-4 config, in F16, with a key no module has.
    let checkpoint = Build.loraCheckpoint(qv, r: 8, dtype: .f16)
      .adding("base_model.model.model.unknown.lora_A.weight", [8, 16], dtype: .f16)
    let outcome = Build.simulate(try Build.base(), Build.adapter(try Build.lora(qv), checkpoint), profile: .recommended)
    #expect(outcome.error?.category == .sizeMismatch)
    #expect(outcome.missingKeys.isEmpty && outcome.unexpectedKeys.isEmpty, "a failed load reports no keys")
    let codes = Set(outcome.diagnostics.map(\.code))
    #expect(codes.isSuperset(of: [.shapeMismatch, .checkpointKeyUnexpected, .dtypeCast]), "\(codes)")
    let unexpected = outcome.diagnostics.first { $0.code == .checkpointKeyUnexpected }
    #expect(unexpected?.keys == ["base_model.model.model.unknown.lora_A.weight"])
    // PEFT's profile raises the same error and says nothing else.
    let peft = Build.simulate(try Build.base(), Build.adapter(try Build.lora(qv), checkpoint), profile: .peft)
    #expect(peft.error?.kind == "RuntimeError")
    #expect(peft.diagnostics.isEmpty)
  }

  /// PEFT 0.21.2 on the same pair (BertForMaskedLM fixture, prompt tuning with 4 virtual tokens,
  /// `task_type` FEATURE_EXTRACTION, one stray key added) returned unexpected keys
  /// `["unknown_module.lora_Z.weight", "prompt_embeddings"]` from `load_adapter`.
  @Test("prompt learning: prompt_embeddings is loaded, other keys keep their file names")
  func promptLearningKeys() throws {
    let config = try Build.config(
      ["task_type": .string("FEATURE_EXTRACTION"), "num_virtual_tokens": .number("4"), "token_dim": .number("16"),
       "num_transformer_submodules": .number("1"), "num_attention_heads": .number("4"), "num_layers": .number("2")],
      type: "PROMPT_TUNING")
    // In the file's order: safetensors writes the names sorted.
    let checkpoint = StateDict([.init(key: "base_model.model.unknown_module.lora_Z.weight", info: TensorInfo(dtype: .f32, shape: [2, 2]))])
      .adding("prompt_embeddings", [4, 16])
    let adapter = Build.adapter(config, checkpoint)
    let base = try Build.base("bert-mlm")
    let peft = Build.simulate(base, adapter, name: "other", loaded: [("default", adapter)], profile: .peft)
    #expect(peft.unexpectedKeys == ["unknown_module.lora_Z.weight", "prompt_embeddings"])
    let recommended = Build.simulate(base, adapter, name: "other", loaded: [("default", adapter)], profile: .recommended)
    #expect(recommended.error == nil)
    #expect(recommended.unexpectedKeys == ["base_model.model.unknown_module.lora_Z.weight"])
  }
}
