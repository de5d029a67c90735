import Foundation
import TensorIO
import Testing

@testable import AdapterLoading

/// The structure table recorded from transformers, and what Adaptest infers for architectures it lacks.
@Suite("Architectures")
struct ArchitectureTests {
  // MARK: Recorded structures

  @Test("the table covers every model type transformers 5.24 registers a text task for", arguments: [
    ("falcon", "FalconForCausalLM", "transformer"), ("bloom", "BloomForCausalLM", "transformer"),
    ("gptj", "GPTJForCausalLM", "transformer"), ("gpt_neox", "GPTNeoXForCausalLM", "gpt_neox"),
    ("deberta-v2", "DebertaV2ForSequenceClassification", "deberta"), ("opt", "OPTForCausalLM", "model"),
    ("bart", "BartForConditionalGeneration", "model"), ("mamba", "MambaForCausalLM", "backbone"),
  ])
  func recordedPrefixes(_ modelType: String, _ modelClass: String, _ prefix: String) throws {
    let architecture = Architecture.resolve(modelType: modelType, modelClass: modelClass)
    #expect(architecture.isRecorded)
    #expect(architecture.baseModelPrefix == prefix)
    #expect(architecture.holdsBackbone)
    #expect(architecture.provenance == .recorded(transformers: "5.24.0"))
  }

  @Test("figures of the table: model types, causal-LM classes, and a lookup well under 5 ms")
  func tableFigures() throws {
    let types = ModelStructureTable.modelTypes
    #expect(types.count >= 600)
    let causal = types.compactMap(ModelStructureTable.structure(forModelType:)).filter {
      $0.classes.values.contains { $0.tasks.contains("causal-lm") }
    }
    #expect(causal.count >= 150)
    // T5's `base_model_prefix` is `transformer`, but no T5 class holds a module of that name.
    let t5 = try #require(ModelStructureTable.structure(forModelType: "t5")?.classes["T5ForConditionalGeneration"])
    #expect(t5.basePrefix == "transformer" && !t5.holdsBackbone)
  }

  @Test("a model type's line is found by binary search: the table is sorted by bytes, and each line is the one a scan finds")
  func tableLookupAgreesWithAScan() throws {
    let text = ModelStructureTable.recorded.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
    var scanned: [String: String] = [:]
    var order: [String] = []
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      let parts = line.split(separator: "\t", maxSplits: 1)
      order.append(String(parts[0]))
      scanned[String(parts[0])] = parts.count > 1 ? String(parts[1]) : nil
    }
    #expect(ModelStructureTable.modelTypes == order)
    #expect(zip(order, order.dropFirst()).allSatisfy { ByteSearch.precedes($0, $1) }, "the lookup needs the lines sorted")
    for type in order {
      #expect(ModelStructureTable.recordedLine(forModelType: type) == scanned[type], "\(type)")
    }
    let absent = ["", "#peft", "#transformers", "0", "a", "llam", "llama ", "llama3", "zzzz", "~", "é"].filter { scanned[$0] == nil }
    for type in absent {
      #expect(ModelStructureTable.recordedLine(forModelType: type) == nil, "\(type)")
      #expect(ModelStructureTable.structure(forModelType: type) == nil, "\(type)")
    }
  }

  @Test("a class the type does not map to keeps the bare backbone's records and says so")
  func unrecordedClassOfKnownType() throws {
    let architecture = Architecture.resolve(modelType: "llama", modelClass: "LlamaForSomethingNew")
    #expect(!architecture.isRecorded)
    guard case .inferred(let facts) = architecture.provenance else { Issue.record("not inferred"); return }
    #expect(facts.contains { $0.contains("LlamaForSomethingNew") })
    #expect(architecture.baseModelPrefix == "model")
  }

  @Test("transformers' renamings: GPT-NeoX's legacy embed_out, LayerNorm gamma/beta")
  func renamings() throws {
    let neox = Architecture.resolve(modelType: "gpt_neox", modelClass: "GPTNeoXForCausalLM")
    func rename(_ key: String, _ architecture: Architecture) -> String {
      architecture.keyRenamings.reduce(key) { $1.apply(to: $0) ?? $0 }
    }
    #expect(rename("embed_out.weight", neox) == "lm_head.weight")
    #expect(rename("gpt_neox.embed_out_proj.weight", neox) == "gpt_neox.embed_out_proj.weight")
    let bert = Architecture.resolve(modelType: "bert", modelClass: "BertModel")
    #expect(rename("encoder.layer.0.output.LayerNorm.gamma", bert) == "encoder.layer.0.output.LayerNorm.weight")
  }

  @Test("a recorded class's short name is its last dotted part without the modeling-module mark", arguments: [
    ("nn.Linear", "Linear"), ("~Qwen3MoeAttention", "Qwen3MoeAttention"), ("torch.nn.modules.conv.Conv1d", "Conv1d"),
    ("pkg.~Block", "Block"), ("a.b.", "b"), ("", ""), ("Plain", "Plain"),
  ])
  func shortClassNames(_ className: String, _ short: String) {
    let record = ModuleRecord(kind: .other, className: className, tensors: [], nonPersistentBuffers: [], children: [])
    #expect(record.shortClassName == short)
  }

  @Test("a required literal never rules out a key the regex matches", arguments: [
    ("^embed_out\\.", "embed_out."), ("LayerNorm.gamma", "LayerNorm"), ("(q|k|v)_input_norm", "_input_norm"),
    ("^model\\.language_model\\.model", "model.language_model.model"), ("a*bc", "bc"),
    ("xx[ab]y", "xx"), ("a{2}bc", "bc"), ("\\x41bc", nil), ("(?i)layernorm", nil), ("a|b", nil),
  ] as [(String, String?)])
  func requiredLiterals(_ pattern: String, _ literal: String?) {
    #expect(KeyRenaming.requiredLiteral(pattern) == literal)
  }

  // MARK: Custom architectures (ground truth from real PEFT)

  /// A remote-code-like model (`acme_lm`, backbone under `trunk`, MLP registered before attention), its
  /// base and adapter saved by transformers and PEFT, and PEFT's `load_adapter` result
  /// (`scripts/recorders/record_custom_architectures.py`).
  static let customCases = ["head-prefix", "no-head-prefix", "dropped-lora-b"]

  @Test("custom architecture: the peft profile reports what PEFT reports, and says what it inferred",
        arguments: customCases)
  func customArchitecture(_ name: String) throws {
    let record = try Fixtures.object("custom-architectures/\(name).json")
    let base = try BaseModel(
      config: try #require(record["base_config"]?.objectValue),
      weights: try table(try #require(record["base_tensors"]).tensorList()), source: name)
    #expect(!base.architecture.isRecorded)
    let config = try AdapterConfig(json: try #require(record["adapter_config"]?.objectValue))
    let checkpoint = StateDict(
      try #require(record["adapter_tensors"]).tensorList().map { StateDict.Entry(key: $0.0, info: $0.1) })
    let adapter = AdapterSource(config: config, checkpoint: checkpoint)
    let peft = try #require(record["peft"]?.objectValue)
    let outcome = Build.simulate(base, adapter, name: "other", loaded: [("default", adapter)], profile: .peft)
    #expect(outcome.error == nil)
    #expect(outcome.missingKeys == peft["missing_keys"]?.arrayValue?.compactMap(\.stringValue))
    #expect(outcome.unexpectedKeys == peft["unexpected_keys"]?.arrayValue?.compactMap(\.stringValue))
    let note = try #require(outcome.diagnostics.first { $0.code == .architectureInferred })
    #expect(note.message.contains("'trunk.'"))
    #expect(outcome.text().contains("architecture-inferred"))

    let recommended = Build.simulate(base, adapter, name: "other", loaded: [("default", adapter)], profile: .recommended)
    #expect(recommended.diagnostics.contains { $0.code == .architectureInferred })
    if peft["missing_keys"]?.arrayValue?.isEmpty == true {
      #expect(recommended.status == .clean, "a clean adapter on an inferred architecture is clean")
    } else {
      #expect(recommended.error == nil, "the load succeeds in PEFT: recommended must not say it raises")
    }
  }

  @Test("a checkpoint saved without the head prefix is re-rooted from the adapter's keys")
  func reRootedFromAdapter() throws {
    let record = try Fixtures.object("custom-architectures/no-head-prefix.json")
    let base = try BaseModel(
      config: try #require(record["base_config"]?.objectValue),
      weights: try table(try #require(record["base_tensors"]).tensorList()))
    #expect(base.architecture.baseModelPrefix == "")
    #expect(base.inferences.contains { $0.hasPrefix("no backbone prefix") })
    let checkpoint = StateDict(
      try #require(record["adapter_tensors"]).tensorList().map { StateDict.Entry(key: $0.0, info: $0.1) })
    let adapter = AdapterSource(
      config: try AdapterConfig(json: try #require(record["adapter_config"]?.objectValue)), checkpoint: checkpoint)
    let fitted = base.fitted(to: [adapter])
    #expect(fitted.architecture.baseModelPrefix == "trunk")
    #expect(fitted.stateDict.keys.allSatisfy { $0.hasPrefix("trunk.") })
    #expect(fitted.inputEmbeddingPath == "trunk.tokens")
  }

  @Test("an unknown model type is never given a fallback prefix")
  func noFallbackPrefix() throws {
    let base = try Build.custom(
      [("transformer.h.0.attn.weight", [4, 4]), ("transformer.wte.weight", [8, 4]), ("lm_head.weight", [8, 4])],
      config: [("model_type", .string("brand_new")), ("architectures", .array([.string("BrandNewForCausalLM")]))])
    #expect(base.stateDict.keys.contains("transformer.h.0.attn.weight"))
    #expect(!base.stateDict.keys.contains { $0.hasPrefix("model.") })
    #expect(base.architecture.baseModelPrefix == "transformer")
    #expect(base.inferences.contains { $0.contains("'transformer.'") })
  }
}

/// Item 1 of the resource model: tree building linear in the bytes of the names.
@Suite("Name trees")
struct NameTreeTests {
  @Test("a name nested deeper than Python's recursion limit is a typed error naming it")
  func tooDeep() throws {
    let name = Array(repeating: "a", count: 100_000).joined(separator: ".") + ".weight"
    #expect(throws: BaseModelError.self) {
      try Build.custom([(name, [1])], config: [("model_type", .string("llama"))])
    }
    let deepest = Array(repeating: "a", count: BaseModel.maximumDepth - 1).joined(separator: ".") + ".weight"
    let model = try Build.custom([(deepest, [2])], config: [("model_type", .string("brand_new"))])
    #expect(model.stateDict.keys == [deepest])
  }

  @Test("a flat module with 100,000 children builds, in torch's order")
  func wide() throws {
    let tensors = (0..<100_000).reversed().map { ("blocks.\($0).weight", [2]) }
    let model = try Build.custom(tensors, config: [("model_type", .string("brand_new"))])
    let keys = model.stateDict.keys
    #expect(keys.count == 100_000)
    #expect(keys.first == "blocks.0.weight" && keys.last == "blocks.99999.weight")
  }
}
