import AdapterLoading
import TensorIO
import Testing

@testable import Synthesis

@Suite struct MatrixTests {
  static let matrix = """
    {
      "architectures": ["llama", "gpt2", "phi3"],
      "base_mutations": {"none": [], "vocab-up": [{"resize_vocab": {"to": 160}}], "heads-3": [{"num_heads": {"to": 3}}]},
      "tuners": {"lora": {"tuner": "LORA", "config": {"r": 4}}, "loha": {"tuner": "LOHA"}},
      "adapter_mutations": {"none": [], "drop-b": [{"drop_keys": {"match": "layers\\\\.1\\\\..*(lora_B|hada_w2_b)"}}]},
      "targets": {"phi3": ["qkv_proj"]}
    }
    """

  @Test func expandsEveryCombinationWithReadableIDs() throws {
    let spec = try MatrixSpec.decode(try JSONValue.parse(Self.matrix))
    #expect(spec.cases.count == 3 * 3 * 2 * 2)
    #expect(spec.cases.first?.id == "llama/none/lora/none")
    #expect(spec.cases.contains { $0.id == "phi3/heads-3/loha/drop-b" })
  }

  @Test func impossibleCombinationsFailWithTheirReason() throws {
    var planned: [String: PairPlan] = [:]
    var skipped: [String: SynthesisError] = [:]
    for (id, json) in try MatrixSpec.decode(try JSONValue.parse(Self.matrix)).cases {
      do { planned[id] = try PairPlan(try PairSpec.decode(json, id: id)) } catch {
        skipped[id] = error
      }
    }
    // 16 = hidden 16 has no 3-way head split; LoHa cannot wrap GPT-2's Conv1D.
    #expect(skipped["llama/heads-3/lora/none"]?.field == "base.mutations[0].num_heads.to")
    #expect(skipped["gpt2/none/loha/none"]?.field == "adapter.config")
    #expect(planned["phi3/none/lora/none"]?.adapterConfig["target_modules"] == .array([.string("qkv_proj")]))
    // Without target_modules the config records PEFT's defaults for the architecture.
    #expect(planned["llama/none/lora/none"]?.adapterConfig["target_modules"] == .array([.string("q_proj"), .string("v_proj")]))
    #expect(planned["gpt2/vocab-up/lora/none"]?.outcome.diagnostics == [.baseDriftIgnored])
    #expect(planned["llama/none/loha/drop-b"]?.outcome.missingKeys.count == 2)
    #expect(planned.count + skipped.count == 36)
  }

  @Test func badMatrixFieldsAreNamed() {
    #expect(throws: SynthesisError(field: "architectures", .missing)) { try MatrixSpec.decode(try JSONValue.parse("{}")) }
    #expect(throws: SynthesisError.self) {
      try MatrixSpec.decode(try JSONValue.parse(#"{"architectures": ["llama"], "tuners": {"lora": {"tuner": "LORA"}}, "extra": 1}"#))
    }
  }

  /// Issue 15: `generate --matrix` made folders named with ESC and `<` from a matrix's axis names.
  @Test(arguments: ["lo\u{1B}[31mra", "<b>", "..", "a/b", "Lora", "_x", ""])
  func axisNamesArePlain(_ name: String) throws {
    let matrix = JSONValue.object(JSONObject([
      ("architectures", .array([.string("llama")])),
      ("tuners", .object(JSONObject([(name, .object(JSONObject([("tuner", .string("LORA"))])))]))),
    ]))
    let error = try #require(throws: SynthesisError.self) { try MatrixSpec.decode(matrix) }
    #expect(error.description.contains("tuners"), "\(error)")
  }
}
