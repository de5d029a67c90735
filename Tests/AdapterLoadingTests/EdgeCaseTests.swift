import Foundation
import Testing
import TensorIO

@testable import AdapterLoading

/// The 40 edge cases of peft-semantics.md §6, each with the behaviour real PEFT (HEAD / 0.21) was
/// observed to have, as the document states it. `LA` = what `load_adapter` returns, `FP` = the
/// warning of `from_pretrained`.
@Suite("PEFT edge cases (peft-semantics §6)")
struct EdgeCaseTests {
  struct Case: Sendable, CustomStringConvertible {
    var number: Int
    var title: String
    var check: @Sendable () throws -> Void
    var description: String { "§6.\(number) \(title)" }
  }

  @Test(arguments: EdgeCases.all)
  func edgeCase(_ c: Case) throws { try c.check() }

  @Test("all 40 cases are covered")
  func coverage() {
    #expect(EdgeCases.all.map(\.number) == Array(1...40))
  }
}

enum EdgeCases {
  typealias C = EdgeCaseTests.Case
  static let qv = ["q_proj", "v_proj"]

  static let all: [C] = [
    C(number: 1, title: "clean LoRA round trip") {
      let base = try Build.base()
      let adapter = Build.adapter(try Build.lora(["q_proj"]), Build.loraCheckpoint(["q_proj"]))
      let fp = Build.simulate(base, adapter)
      #expect(fp.error == nil && fp.missingKeys.isEmpty && fp.unexpectedKeys.isEmpty)
      #expect(Build.peftWarnings(fp).isEmpty)
      let la = Build.simulate(base, adapter, name: "other", loaded: [("default", adapter)])
      #expect(la.missingKeys.isEmpty && la.unexpectedKeys.isEmpty)
      // torch's raw result: the 21 base keys and the 4 keys of adapter `default`.
      #expect(la.rawMissingKeys?.count == 25)
      #expect(la.rawMissingKeys?.filter { $0.contains(".default.") }.count == 4)
    },
    C(number: 2, title: "base vocabulary resized after training, adapter without embeddings") {
      let adapter = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      for vocab in [140, 120] {
        let base = try Build.base(vocab: vocab)
        let la = Build.simulate(base, adapter, name: "other", loaded: [("default", adapter)])
        #expect(la.error == nil && la.missingKeys.isEmpty && la.unexpectedKeys.isEmpty)
        let old = Build.simulate(base, adapter, name: "other", loaded: [("default", adapter)], profile: .peft013)
        #expect(old.missingKeys.contains("base_model.model.model.embed_tokens.weight"))
        #expect(old.missingKeys.contains("base_model.model.lm_head.weight"))
      }
    },
    C(number: 3, title: "resized before training, saved with save_embedding_layers=\"auto\"") {
      let base = try Build.base(vocab: 140)
      var warnings: [PythonWarning] = []
      let config = try Build.lora(qv, extra: ["base_model_name_or_path": .string("tiny-llama")])
      let model = try PeftModel(base: base, config: config, warnings: &warnings)
      let saved = try model.adapterCheckpoint("default", saveEmbeddingLayers: .auto(baseHasConfig: true, baseVocabSize: 128))
      #expect(saved.warnings.map(\.message).contains {
        $0.hasSuffix("as the embedding layer has been resized during finetuning.")
      })
      #expect(saved.stateDict["base_model.model.model.embed_tokens.weight"]?.info.shape == [140, 16])
      #expect(saved.stateDict["base_model.model.lm_head.weight"]?.info.shape == [140, 16])
      let offline = try model.adapterCheckpoint("default", saveEmbeddingLayers: .auto(baseHasConfig: false))
      #expect(offline.warnings.map(\.message).contains {
        $0.hasPrefix("Could not find a config file in tiny-llama")
      })
      #expect(!offline.stateDict.contains("base_model.model.model.embed_tokens.weight"))
    },
    C(number: 4, title: "such an adapter into the original-size base") {
      let adapter = Build.adapter(try Build.lora(qv), embeddingsCheckpoint(vocab: 140))
      for vocab in [128, 150] {
        let out = Build.simulate(try Build.base(vocab: vocab), adapter)
        #expect(out.error?.kind == "RuntimeError")
        let message = out.error?.message ?? ""
        #expect(message.contains("size mismatch for base_model.model.model.embed_tokens.weight"))
        #expect(message.contains("size mismatch for base_model.model.lm_head.weight"))
      }
    },
    C(number: 5, title: "same, with ignore_mismatched_sizes=True") {
      let adapter = Build.adapter(try Build.lora(qv), embeddingsCheckpoint(vocab: 140))
      let base = try Build.base()
      let la = Build.simulate(base, adapter, name: "other", loaded: [("default", Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv)))],
                              ignoreMismatched: true)
      #expect(la.error == nil && la.missingKeys.isEmpty && la.unexpectedKeys.isEmpty)
      #expect(Build.peftWarnings(la).contains { $0.hasPrefix("Some weights of PeftModel were not initialized") })
      #expect(Set(la.mismatched.map(\.key)) == ["base_model.model.model.embed_tokens.weight", "base_model.model.lm_head.weight"])
      // The base embeddings are left unchanged.
      #expect(la.stateDict?["base_model.model.model.embed_tokens.weight"]?.info.shape == [128, 16])
    },
    C(number: 6, title: "same, into a base resized to match") {
      let adapter = Build.adapter(try Build.lora(qv), embeddingsCheckpoint(vocab: 140))
      let out = Build.simulate(try Build.base(vocab: 140), adapter, name: "other", loaded: [("default", adapter)])
      #expect(out.error == nil && out.missingKeys.isEmpty && out.unexpectedKeys.isEmpty)
    },
    C(number: 7, title: "save_embedding_layers=False on a resized model") {
      var warnings: [PythonWarning] = []
      let model = try PeftModel(base: try Build.base(vocab: 140), config: try Build.lora(qv), warnings: &warnings)
      let saved = try model.adapterCheckpoint("default", saveEmbeddingLayers: .no)
      #expect(saved.stateDict.keys == Build.loraCheckpoint(qv).keys)
    },
    C(number: 8, title: "tied embeddings plus resize") {
      let base = try Build.base("llama-tied", vocab: 140)
      var warnings: [PythonWarning] = []
      let model = try PeftModel(base: base, config: try Build.lora(qv), warnings: &warnings)
      let saved = try model.adapterCheckpoint("default", saveEmbeddingLayers: .yes)
      #expect(saved.stateDict.contains("base_model.model.model.embed_tokens.weight"))
      #expect(saved.stateDict.contains("base_model.model.lm_head.weight"))
      let out = Build.simulate(base, Build.adapter(try Build.lora(qv), saved.stateDict))
      #expect(out.error == nil && out.missingKeys.isEmpty && out.unexpectedKeys.isEmpty)
    },
    C(number: 9, title: "embed_tokens targeted") {
      var warnings: [PythonWarning] = []
      let model = try PeftModel(base: try Build.base(), config: try Build.lora(["embed_tokens"]), warnings: &warnings)
      let saved = try model.adapterCheckpoint("default")
      #expect(saved.warnings.map(\.message) == [
        "Setting `save_embedding_layers` to `True` as embedding layers found in `target_modules`."
      ])
      #expect(saved.stateDict.keys == [
        "base_model.model.model.embed_tokens.lora_embedding_A", "base_model.model.model.embed_tokens.lora_embedding_B",
        "base_model.model.model.embed_tokens.base_layer.weight",
      ])
    },
    C(number: 10, title: "lm_head targeted") {
      var warnings: [PythonWarning] = []
      let model = try PeftModel(base: try Build.base(), config: try Build.lora(["lm_head"]), warnings: &warnings)
      let saved = try model.adapterCheckpoint("default")
      #expect(saved.stateDict["base_model.model.lm_head.lora_A.weight"]?.info.shape == [4, 16])
      #expect(saved.stateDict["base_model.model.lm_head.lora_B.weight"]?.info.shape == [128, 4])
      #expect(saved.stateDict.contains("base_model.model.lm_head.base_layer.weight"))
    },
    C(number: 11, title: "lora_B missing from the checkpoint") {
      let full = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      let dropped = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv).removing(Build.key(0, "q_proj", "lora_B")))
      let la = Build.simulate(try Build.base(), dropped, name: "second", loaded: [("default", full)])
      #expect(la.missingKeys == [Build.key(0, "q_proj", "lora_B", "second")])
      let fp = Build.simulate(try Build.base(), dropped)
      #expect(Build.peftWarnings(fp) == [
        "Found missing adapter keys while loading the checkpoint: ['\(Build.key(0, "q_proj", "lora_B", "default"))']."
      ])
    },
    C(number: 12, title: "same, with low_cpu_mem_usage=True") {
      let full = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      let dropped = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv).removing(Build.key(0, "q_proj", "lora_B")))
      let la = Build.simulate(try Build.base(), dropped, name: "second", loaded: [("default", full)], lowCPU: true)
      #expect(la.missingKeys == [Build.key(0, "q_proj", "lora_B", "second")])
      #expect(la.metaKeys == [Build.key(0, "q_proj", "lora_B", "second")])
    },
    C(number: 13, title: "extra unknown keys are unexpected, with no warning") {
      let extra = [
        "base_model.model.model.layers.0.self_attn.q_proj.lora_C.weight", "foo.weight",
        "base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight",
      ]
      var checkpoint = Build.loraCheckpoint(qv)
      for key in extra { checkpoint = checkpoint.adding(key, [4, 16]) }
      let adapter = Build.adapter(try Build.lora(qv), checkpoint)
      let la = Build.simulate(try Build.base(), adapter, name: "other", loaded: [("default", adapter)])
      #expect(Set(la.unexpectedKeys) == Set(extra))
      #expect(la.missingKeys.isEmpty)
      #expect(Build.peftWarnings(la).isEmpty)
      #expect(Build.peftWarnings(Build.simulate(try Build.base(), adapter)).isEmpty)
    },
    C(number: 14, title: "a checkpoint with no adapter keys at all") {
      let adapter = Build.adapter(try Build.lora(qv), StateDict().adding("dummy", [1]))
      let full = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      let la = Build.simulate(try Build.base(), adapter, name: "other", loaded: [("default", full)])
      #expect(la.missingKeys.count == 8 && la.missingKeys.allSatisfy { $0.contains(".other.") })
      #expect(la.unexpectedKeys == ["dummy"])
    },
    C(number: 15, title: "checkpoint keys without base_model.model.") {
      let stripped = Build.loraCheckpoint(qv).renamed { String($0.dropFirst("base_model.model.".count)) }
      let full = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      let la = Build.simulate(try Build.base(), Build.adapter(try Build.lora(qv), stripped), name: "other", loaded: [("default", full)])
      #expect(la.missingKeys.count == 8)
      #expect(la.unexpectedKeys == stripped.keys)
    },
    C(number: 16, title: "checkpoint keys that still contain .default.") {
      let infix = Build.loraCheckpoint(qv).renamed { key in
        let (head, last) = splitKey(key)
        return head + ".default." + last
      }
      let adapter = Build.adapter(try Build.lora(qv), infix)
      let fp = Build.simulate(try Build.base(), adapter)
      #expect(fp.error == nil && fp.missingKeys.isEmpty && Build.peftWarnings(fp).isEmpty)
      let la = Build.simulate(try Build.base(), adapter, name: "second", loaded: [("default", adapter)])
      #expect(la.missingKeys.count == 8 && la.missingKeys.allSatisfy { $0.contains(".second.") })
      #expect(la.unexpectedKeys.isEmpty)
    },
    C(number: 17, title: "lora_A of the wrong rank") {
      let wrong = Build.loraCheckpoint(qv).adding(Build.key(0, "q_proj", "lora_A"), [8, 16])
      let adapter = Build.adapter(try Build.lora(qv), wrong)
      let full = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      let la = Build.simulate(try Build.base(), adapter, name: "second", loaded: [("default", full)])
      #expect(la.error?.kind == "RuntimeError")
      #expect(la.error?.message.contains("size mismatch for \(Build.key(0, "q_proj", "lora_A", "second"))") == true)
      let ignored = Build.simulate(try Build.base(), adapter, name: "second", loaded: [("default", full)], ignoreMismatched: true)
      #expect(ignored.missingKeys == [Build.key(0, "q_proj", "lora_A", "second")])
      #expect(Build.peftWarnings(ignored).first?.hasPrefix("Some weights of PeftModel were not initialized") == true)
      let fp = Build.simulate(try Build.base(), adapter, ignoreMismatched: true)
      #expect(Build.peftWarnings(fp).last?.hasPrefix("Found missing adapter keys while loading the checkpoint") == true)
    },
    C(number: 18, title: "fp16 checkpoint into an fp32 adapter") {
      let adapter = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv, dtype: .f16))
      for lowCPU in [false, true] {
        let out = Build.simulate(try Build.base(), adapter, lowCPU: lowCPU)
        #expect(out.error == nil && out.missingKeys.isEmpty)
        #expect(out.stateDict?[Build.key(0, "q_proj", "lora_A", "default")]?.info.dtype == .f32)
      }
    },
    C(number: 19, title: "adapter name is a substring of another adapter's keys") {
      for (first, second) in [("default", "def"), ("other2", "other")] {
        let adapter = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
        let la = Build.simulate(try Build.base(), adapter, name: second, loaded: [(first, adapter)])
        #expect(la.missingKeys.count == 8 && la.missingKeys.allSatisfy { $0.contains(".\(first).") })
        let ours = Build.simulate(try Build.base(), adapter, name: second, loaded: [(first, adapter)], profile: .recommended)
        #expect(ours.missingKeys.isEmpty)
        #expect(ours.diagnostics.contains { $0.code == .adapterNameCollision })
      }
    },
    C(number: 20, title: "adapter name is a substring of a module or parameter name") {
      let adapter = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      let a = Build.simulate(try Build.base(), adapter, name: "A", loaded: [("default", adapter)])
      #expect(a.missingKeys.count == 4 && a.missingKeys.allSatisfy { $0.contains(".lora_A.default.") })
      let proj = Build.simulate(try Build.base(), adapter, name: "proj", loaded: [("default", adapter)])
      #expect(proj.missingKeys.count == 8)
    },
    C(number: 21, title: "base module contains the tuner prefix and the adapter name") {
      let base = try Build.custom(
        [("linear.weight", [8, 8]), ("linear.bias", [8]), ("flora_head.weight", [4, 8]), ("flora_head.bias", [4])],
        config: [("model_type", .string("custom_mlp"))])
      let checkpoint = StateDict()
        .adding("base_model.model.linear.lora_A.weight", [4, 8]).adding("base_model.model.linear.lora_B.weight", [8, 4])
      let out = Build.simulate(base, Build.adapter(try Build.lora(["linear"]), checkpoint), name: "head")
      #expect(Build.peftWarnings(out) == [
        "Found missing adapter keys while loading the checkpoint: ['base_model.model.flora_head.weight', "
          + "'base_model.model.flora_head.bias']."
      ])
      let ours = Build.simulate(base, Build.adapter(try Build.lora(["linear"]), checkpoint), name: "head", profile: .recommended)
      #expect(ours.missingKeys.isEmpty)
    },
    C(number: 22, title: "adapter named like the prefix (lora)") {
      let adapter = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      let la = Build.simulate(try Build.base(), adapter, name: "lora", loaded: [("default", adapter)])
      #expect(Build.peftWarnings(la) == [
        "Adapter name 'lora' should not be contained in the prefix 'lora_'. This may lead to reinitialization of the adapter weights during loading."
      ])
      let fp = Build.simulate(try Build.base(), adapter, name: "lora")
      #expect(fp.error == nil && fp.missingKeys.isEmpty && fp.unexpectedKeys.isEmpty)
    },
    C(number: 23, title: "adapter named weight or q_proj: clean alone, pollutes later loads") {
      let adapter = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      for name in ["weight", "q_proj"] {
        let alone = Build.simulate(try Build.base(), adapter, name: name)
        #expect(alone.error == nil && alone.missingKeys.isEmpty && Build.peftWarnings(alone).isEmpty)
      }
      let weight = Build.simulate(try Build.base(), adapter, name: "weight", loaded: [("default", adapter)])
      #expect(weight.missingKeys.count == 8)
      let qProj = Build.simulate(try Build.base(), adapter, name: "q_proj", loaded: [("default", adapter)])
      #expect(qProj.missingKeys.count == 4 && qProj.missingKeys.allSatisfy { $0.contains("q_proj") })
    },
    C(number: 24, title: "another adapter named weight, lora_A or layers when saving default") {
      func saved(_ other: String) throws -> StateDict {
        var warnings: [PythonWarning] = []
        var model = try PeftModel(base: try Build.base(), config: try Build.lora(["v_proj"]), warnings: &warnings)
        try model.addAdapter(other, config: try Build.lora(["v_proj"]), warnings: &warnings)
        return try model.adapterCheckpoint("default").stateDict
      }
      let weight = try saved("weight")
      let loraA = try saved("lora_A")
      let layers = try saved("layers")
      #expect(weight.keys.contains("base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight.weight"))
      #expect(loraA.keys.allSatisfy { !$0.contains("lora_A") })
      #expect(layers.isEmpty)
    },
    C(number: 25, title: "target module absent in the base") {
      let none = Build.adapter(try Build.lora(["nonexistent_proj"]), StateDict())
      let out = Build.simulate(try Build.base(), none)
      #expect(out.error?.kind == "NoMatchingPeftModuleError")
      #expect(out.error?.message.hasPrefix("Target modules {'nonexistent_proj'} not found in the base model.") == true)
      let some = Build.adapter(
        try Build.lora(["q_proj", "nonexistent_proj"]),
        Build.loraCheckpoint(["q_proj"]).adding("base_model.model.model.layers.0.self_attn.nonexistent_proj.lora_A.weight", [4, 16]))
      let partial = Build.simulate(try Build.base(), some, name: "other", loaded: [("default", some)])
      #expect(partial.error == nil)
      #expect(partial.unexpectedKeys == ["base_model.model.model.layers.0.self_attn.nonexistent_proj.lora_A.weight"])
    },
    C(number: 26, title: "modules_to_save key missing from the checkpoint") {
      let config = try Build.lora(qv, extra: ["modules_to_save": .array([.string("lm_head")])])
      let out = Build.simulate(try Build.base(), Build.adapter(config, Build.loraCheckpoint(qv)))
      #expect(out.error == PythonError(kind: "KeyError", message: "'base_model.model.lm_head.weight'"))
      let ours = Build.simulate(try Build.base(), Build.adapter(config, Build.loraCheckpoint(qv)), profile: .recommended)
      #expect(ours.error == nil)
      #expect(ours.missingKeys == ["base_model.model.lm_head.modules_to_save.default.weight"])
    },
    C(number: 27, title: "trainable-tokens delta missing") {
      let config = try Build.lora(qv, extra: ["trainable_token_indices": .array([.number("0"), .number("5")])])
      let out = Build.simulate(try Build.base(), Build.adapter(config, Build.loraCheckpoint(qv)))
      #expect(out.error == PythonError(kind: "KeyError", message: "'base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta'"))
    },
    C(number: 28, title: "checkpoint contains a base weight") {
      let adapter = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv).adding("base_model.model.model.norm.weight", [16]))
      let la = Build.simulate(try Build.base(), adapter, name: "other", loaded: [("default", adapter)])
      #expect(la.error == nil && la.missingKeys.isEmpty && la.unexpectedKeys.isEmpty && Build.peftWarnings(la).isEmpty)
      let ours = Build.simulate(try Build.base(), adapter, profile: .recommended)
      #expect(ours.diagnostics.contains { $0.code == .baseWeightInCheckpoint && $0.severity == .warning })
    },
    C(number: 29, title: "VeRA with save_projection=True") {
      let config = try Build.config(["r": .number("4"), "target_modules": .array([.string("q_proj")]), "save_projection": .bool(true)], type: "VERA")
      var warnings: [PythonWarning] = []
      let model = try PeftModel(base: try Build.base(), config: config, warnings: &warnings)
      let saved = try model.adapterCheckpoint("default").stateDict
      #expect(saved.count == 6)
      #expect(saved.contains("base_model.vera_A") && saved.contains("base_model.vera_B"))
      let la = Build.simulate(try Build.base(), Build.adapter(config, saved), name: "other", loaded: [("default", Build.adapter(config, saved))])
      #expect(la.error == nil && la.missingKeys.isEmpty && la.unexpectedKeys.isEmpty)
      let broken = Build.simulate(try Build.base(), Build.adapter(config, saved.removing("base_model.vera_A")))
      #expect(broken.error == .valueError("Specified to load vera_A and vera_B from state dictionary however they were not present!"))
    },
    C(number: 30, title: "VeRA with save_projection=False") {
      let config = try Build.config(["r": .number("4"), "target_modules": .array([.string("q_proj")]), "save_projection": .bool(false)], type: "VERA")
      var warnings: [PythonWarning] = []
      let model = try PeftModel(base: try Build.base(), config: config, warnings: &warnings)
      let saved = try model.adapterCheckpoint("default").stateDict
      #expect(saved.count == 4)
      let out = Build.simulate(try Build.base(), Build.adapter(config, saved))
      #expect(out.error == nil && out.missingKeys.isEmpty && out.unexpectedKeys.isEmpty)
      let prng = Build.peftWarnings(out).filter { $0.contains("PRNG") }
      #expect(prng.count == 2)
    },
    C(number: 31, title: "VB-LoRA, with or without top-k") {
      for topk in [false, true] {
        let config = try Build.config(
          ["r": .number("2"), "num_vectors": .number("16"), "vector_length": .number("4"),
           "save_only_topk_weights": .bool(topk), "target_modules": .array([.string("q_proj")])], type: "VBLORA")
        var warnings: [PythonWarning] = []
        let model = try PeftModel(base: try Build.base(), config: config, warnings: &warnings)
        let saved = Build.adapter(config, try model.adapterCheckpoint("default").stateDict)
        let la = Build.simulate(try Build.base(), saved, name: "second", loaded: [("default", saved)])
        #expect(la.missingKeys == [
          "base_model.model.model.layers.0.self_attn.q_proj.vblora_vector_bank.second",
          "base_model.model.model.layers.1.self_attn.q_proj.vblora_vector_bank.second",
        ])
        #expect(Build.peftWarnings(Build.simulate(try Build.base(), saved)).isEmpty)
      }
    },
    C(number: 32, title: "prompt, prefix and p-tuning") {
      for type in ["PROMPT_TUNING", "PREFIX_TUNING", "P_TUNING"] {
        let config = try Build.config(["task_type": .string("CAUSAL_LM"), "num_virtual_tokens": .number("4")], type: type)
        var warnings: [PythonWarning] = []
        let model = try PeftModel(base: try Build.base(), config: config, warnings: &warnings)
        let saved = try model.adapterCheckpoint("default").stateDict
        #expect(saved.keys == ["prompt_embeddings"])
        let adapter = Build.adapter(config, saved)
        let la = Build.simulate(try Build.base(), adapter, name: "other", loaded: [("default", adapter)])
        #expect(la.error == nil && la.missingKeys.isEmpty && la.unexpectedKeys == ["prompt_embeddings"])
        #expect(Build.peftWarnings(Build.simulate(try Build.base(), adapter)).isEmpty)
      }
    },
    C(number: 33, title: "DoRA") {
      let config = try Build.lora(qv, extra: ["use_dora": .bool(true)])
      var warnings: [PythonWarning] = []
      let model = try PeftModel(base: try Build.base(), config: config, warnings: &warnings)
      let saved = try model.adapterCheckpoint("default").stateDict
      #expect(saved["base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"]?.info.shape == [16])
      #expect(saved["base_model.model.model.layers.0.self_attn.v_proj.lora_magnitude_vector"]?.info.shape == [8])
      let out = Build.simulate(try Build.base(), Build.adapter(config, saved))
      #expect(out.error == nil && out.missingKeys.isEmpty && out.unexpectedKeys.isEmpty)
    },
    C(number: 34, title: "GPT-2 Conv1D") {
      var warnings: [PythonWarning] = []
      let model = try PeftModel(base: try Build.base("gpt2"), config: try Build.lora(["c_attn"]), warnings: &warnings)
      #expect(warnings.map(\.message) == [
        "fan_in_fan_out is set to False but the target module is `Conv1D`. Setting fan_in_fan_out to True."
      ])
      let saved = try model.adapterCheckpoint("default").stateDict
      #expect(saved["base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"]?.info.shape == [4, 16])
      #expect(saved["base_model.model.transformer.h.0.attn.c_attn.lora_B.weight"]?.info.shape == [48, 4])
    },
    C(number: 35, title: "MoE experts via target_parameters") {
      let config = try Build.lora([], extra: ["target_parameters": .array([.string("experts.gate_up_proj"), .string("experts.down_proj")])])
      var warnings: [PythonWarning] = []
      let model = try PeftModel(base: try Build.base("mixtral"), config: config, warnings: &warnings)
      let saved = try model.adapterCheckpoint("default").stateDict
      // gate_up_proj (E=4, 64, 16): lora_A (r·E, 16), lora_B (64, r·E); nested under base_layer.
      let experts = "base_model.model.model.layers.0.mlp.experts"
      #expect(saved["\(experts).base_layer.lora_A.weight"]?.info.shape == [16, 16])
      #expect(saved["\(experts).base_layer.lora_B.weight"]?.info.shape == [64, 16])
      // down_proj (4, 16, 32): lora_A (16, 32), lora_B (16, 16), outermost.
      #expect(saved["\(experts).lora_A.weight"]?.info.shape == [16, 32])
      #expect(saved["\(experts).lora_B.weight"]?.info.shape == [16, 16])
    },
    C(number: 36, title: "encoder-decoder (T5), resized") {
      let base = try Build.base("t5", vocab: 140)
      var warnings: [PythonWarning] = []
      let config = try Build.lora(["q", "v"], extra: ["task_type": .string("SEQ_2_SEQ_LM")])
      let model = try PeftModel(base: base, config: config, warnings: &warnings)
      let saved = try model.adapterCheckpoint("default", saveEmbeddingLayers: .yes).stateDict
      #expect(saved.contains("base_model.model.shared.weight") && saved.contains("base_model.model.lm_head.weight"))
      #expect(saved.keys.contains { $0.hasPrefix("base_model.model.encoder.block.") })
      #expect(saved.keys.contains { $0.contains(".EncDecAttention.") })
      let out = Build.simulate(base, Build.adapter(config, saved))
      #expect(out.error == nil && out.missingKeys.isEmpty && out.unexpectedKeys.isEmpty)
    },
    C(number: 37, title: "AdaLoRA") {
      let config = try Build.config(
        ["init_r": .number("6"), "target_r": .number("4"), "total_step": .number("10"), "target_modules": .array([.string("q_proj")])],
        type: "ADALORA")
      var warnings: [PythonWarning] = []
      let model = try PeftModel(base: try Build.base(), config: config, warnings: &warnings)
      let saved = try model.adapterCheckpoint("default").stateDict
      let layer = "base_model.model.model.layers.0.self_attn.q_proj"
      #expect(saved["\(layer).lora_A"]?.info.shape == [6, 16])
      #expect(saved["\(layer).lora_E"]?.info.shape == [6, 1])
      #expect(saved["\(layer).lora_B"]?.info.shape == [16, 6])
      #expect(!saved.keys.contains { $0.contains("ranknum") })
      let out = Build.simulate(try Build.base(), Build.adapter(config, saved))
      #expect(out.error == nil && out.missingKeys.isEmpty && out.unexpectedKeys.isEmpty)
      // A rank_pattern (boolean masks) shrinks the layers on load.
      var patterned = config.json
      let mask: JSONValue = .array([.bool(true), .bool(false), .bool(true), .bool(false), .bool(false), .bool(false)])
      patterned["rank_pattern"] = .object(JSONObject([("model.layers.0.self_attn.q_proj.lora_E", mask)]))
      let shrunk = saved.adding("\(layer).lora_A", [2, 16]).adding("\(layer).lora_E", [2, 1]).adding("\(layer).lora_B", [16, 2])
      let loaded = Build.simulate(try Build.base(), Build.adapter(try AdapterConfig(json: patterned), shrunk))
      #expect(loaded.error == nil && loaded.missingKeys.isEmpty)
      #expect(loaded.stateDict?["\(layer).lora_A.default"]?.info.shape == [2, 16])
    },
    C(number: 38, title: "multiple adapters side by side") {
      let adapter = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      let second = Build.simulate(try Build.base(), adapter, name: "other", loaded: [("default", adapter)])
      let third = Build.simulate(try Build.base(), adapter, name: "yet-another", loaded: [("default", adapter), ("other", adapter)])
      for out in [second, third] {
        #expect(out.error == nil && out.missingKeys.isEmpty && out.unexpectedKeys.isEmpty)
      }
    },
    C(number: 39, title: "load_adapter into an existing name") {
      let adapter = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      let out = Build.simulate(try Build.base(), adapter, name: "default", loaded: [("default", adapter)])
      #expect(out.error == nil && out.missingKeys.isEmpty && out.unexpectedKeys.isEmpty && Build.peftWarnings(out).isEmpty)
    },
    C(number: 40, title: "sharded base: the shard layout does not change the answer") {
      let record = try Fixtures.object("architectures/llama.json")
      let config = try #require(record["config"]?.objectValue)
      let tensors = try #require(record["saved_tensors"]).tensorList()
      let half = tensors.count / 2
      let sharded = try TensorTable(
        tensors.enumerated().map { i, t in
          TensorEntry(name: t.0, info: t.1, file: i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors")
        })
      let shardedBase = try BaseModel(config: config, weights: sharded)
      let adapter = Build.adapter(try Build.lora(qv), Build.loraCheckpoint(qv))
      let a = Build.simulate(shardedBase, adapter, name: "other", loaded: [("default", adapter)])
      let b = Build.simulate(try Build.base(), adapter, name: "other", loaded: [("default", adapter)])
      #expect(a == b)
    },
  ]

  /// lora on q/v plus `embed_tokens.weight` and `lm_head.weight` for a vocabulary of `vocab` (what PEFT
  /// saves with save_embedding_layers after a resize).
  static func embeddingsCheckpoint(vocab: Int) -> StateDict {
    Build.loraCheckpoint(qv).adding("base_model.model.model.embed_tokens.weight", [vocab, 16])
      .adding("base_model.model.lm_head.weight", [vocab, 16])
  }
}
