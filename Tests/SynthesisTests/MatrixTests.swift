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
    for recipe in try MatrixSpec.decode(try JSONValue.parse(Self.matrix)).cases {
      do { planned[recipe.id] = try PairPlan(recipe) } catch {
        skipped[recipe.id] = error
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

  @Test("each axis value is decoded once and placed in every case it expands to, at the case's own field")
  func axisValuesAreTypedPerCase() throws {
    let spec = try MatrixSpec.decode(try JSONValue.parse(Self.matrix))
    let recipe = try #require(spec.cases.first { $0.id == "gpt2/vocab-up/lora/drop-b" })
    #expect(recipe.base.family == .gpt2)
    #expect(recipe.baseMutations.map(\.value) == [.resizeVocab(to: 160, padToMultipleOf: nil)])
    #expect(recipe.baseMutations.map(\.path) == ["base.mutations[0].resize_vocab"])
    #expect(recipe.baseMutations.map(\.description) == ["resize_vocab(to=160)"])
    #expect(recipe.adapterMutations.map(\.path) == ["adapter.mutations[0].drop_keys"])
    #expect(recipe.adapter.peftType == "LORA" && recipe.adapter.fields["r"] == .number("4"))
    let phi3 = try #require(spec.cases.first { $0.id == "phi3/none/loha/none" })
    #expect(phi3.adapter.fields["target_modules"] == .array([.string("qkv_proj")]), "the architecture's targets")
  }

  @Test(
    "a bad axis value is an error of the matrix file at that value, not a skipped combination",
    arguments: [
      (#""base_mutations": {"up": [{"resize_vocab": {"too": 3}}]}"#, "base_mutations.up[0].resize_vocab"),
      (#""adapter_mutations": {"x": [{"drop_kyes": {}}]}"#, "adapter_mutations.x[0].drop_kyes"),
    ])
  func badAxisValueIsAMatrixError(_ axis: String, _ field: String) throws {
    let text = #"{"architectures": ["llama"], "tuners": {"lora": {"tuner": "LORA"}}, "# + axis + "}"
    let error = try #require(throws: SynthesisError.self) { try MatrixSpec.decode(try JSONValue.parse(text)) }
    #expect(error.field.hasPrefix(field), "\(error)")
  }

  @Test("base_config that does not fit an architecture refuses that architecture's combinations, with the reason")
  func baseConfigPerArchitecture() throws {
    let text = #"{"architectures": ["llama", "gpt2"], "tuners": {"lora": {"tuner": "LORA"}}, "base_config": {"rms_norm_eps": 1e-5}}"#
    let spec = try MatrixSpec.decode(try JSONValue.parse(text))
    #expect(spec.cases.map(\.id) == ["llama/none/lora/none", "gpt2/none/lora/none"])
    #expect(spec.refused["llama/none/lora/none"] == nil)
    let refusal = try #require(spec.refused["gpt2/none/lora/none"])
    #expect(refusal.field == "base.config.rms_norm_eps", "\(refusal)")
  }
}
