import Foundation
import TensorIO
import TestSupport
import Testing

@testable import AdapterLoading

/// Adaption prompt's model table against PEFT itself. Its loads are replayed from real PEFT by the ground-truth
/// suites (`Fixtures/peft-ground-truth`, cases `*adaption-prompt*`) and its injection and saving by
/// ``InjectionTests`` (`Fixtures/injection/adaption-prompt-*`).
@Suite("Adaption prompt")
struct AdaptionPromptTests {
  static let pythonMissing = ReferencePython.path == nil

  /// The generated `AdaptionPromptModelTable.swift` is exactly what its recorder writes from the pinned PEFT.
  @Test(.disabled(if: pythonMissing, "ADAPTEST_PYTHON is not set: no Python with PEFT to record from"))
  func committedTableEqualsPEFT() throws {
    let run = try ReferencePython.checkGeneratedTable(
      recorder: "record_adaption_prompt_models.py", table: "AdapterLoading/Tuners/AdaptionPromptModelTable.swift")
    #expect(run.status == 0, "\(run.errors)")
    #expect(AdaptionPromptTuner.modelTableVersion == "0.21.2")
  }

  /// Every model type PEFT lists is one the architecture table knows, and the attention module it names is a
  /// child of that model's decoder layers; any other model type is PEFT's `ValueError`.
  @Test("the supported model types, and PEFT's refusal of the others", arguments: ["llama", "mistral", "gpt2", "qwen2"])
  func supportedModelTypes(_ name: String) throws {
    let base = try Build.base(name)
    let config = try Build.config(
      ["adapter_len": .number("2"), "adapter_layers": .number("1"), "task_type": .string("CAUSAL_LM")], type: "ADAPTION_PROMPT")
    var warnings: [PythonWarning] = []
    let supported = AdaptionPromptTuner.supportedModelTypes.contains(base.architecture.modelType)
    do {
      let model = try PeftModel(base: base, config: config, warnings: &warnings)
      #expect(supported)
      let wrapped = model.stateDict.keys.filter { $0.hasSuffix(".adaption_prompt") }
      #expect(wrapped.count == 1)
    } catch {
      #expect(!supported)
      #expect(error == .valueError("Unsupported model type for adaption prompt: '\(base.architecture.modelType)'."))
    }
  }

  /// The refusal is raised in PEFT's config code in every release (the recorded frames say so), which the
  /// driver reports as `invalid-adapter-config`: the engine's kind for it must be the same, or a profile and
  /// its release disagree on every such case (found on the GPT-2 matrix cases under PEFT 0.14).
  @Test(
    "an unsupported model type is an invalid adapter config, as the driver classifies it",
    arguments: [
      "peft-ground-truth/cases/cross-arch--adaption-prompt--t5-v128.json",
      "peft-releases/0.13.2-stripped/cases/roundtrip--gpt2-adaption-prompt.json",
    ])
  func unsupportedModelTypeKind(_ fixture: String) throws {
    let record = try Fixtures.object(fixture)
    let error = try #require(record["from_pretrained"]?["error"]?.objectValue)
    let frames = (error["frames"]?.arrayValue ?? []).compactMap(\.stringValue)
    #expect(frames.last?.hasPrefix("peft/tuners/adaption_prompt/config.py:") == true, "\(frames)")
    let recorded = PythonError(kind: try #require(error["type"]?.stringValue), message: try #require(error["message"]?.stringValue))
    #expect(recorded.category == .invalidAdapterConfig)
  }
}
