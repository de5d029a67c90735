import Foundation
import Testing
import TensorIO
import TestSupport

@testable import AdapterLoading

/// Hostile shapes and configs never trap: every tuner, on bases whose shapes are zero, huge or
/// inconsistent, gives an outcome (possibly an error) instead of crashing.
@Suite("Robustness")
struct RobustnessTests {
  static let tuners: [(String, [String: JSONValue])] = [
    ("LORA", ["r": .number("4")]), ("LORA", ["r": .number("4"), "use_dora": .bool(true)]),
    ("ADALORA", ["init_r": .number("4"), "total_step": .number("10")]), ("LOHA", ["r": .number("4")]),
    ("LOKR", ["r": .number("4")]), ("IA3", [:]), ("VERA", ["r": .number("4")]),
    ("VBLORA", ["r": .number("2"), "num_vectors": .number("4"), "vector_length": .number("2")]),
    ("OFT", ["r": .number("0"), "oft_block_size": .number("4")]), ("BOFT", ["boft_block_size": .number("2")]),
    ("FOURIERFT", ["n_frequency": .number("3")]), ("HRA", ["r": .number("2")]), ("MISS", ["r": .number("2")]),
    ("LN_TUNING", [:]), ("TRAINABLE_TOKENS", ["token_indices": .array([.number("0")])]),
  ]

  @Test("random shapes never trap", arguments: 0..<15)
  func randomShapes(seed: Int) throws {
    var rng = SeededGenerator(seed: UInt64(seed) &* 7919)
    let tensors: [(String, [Int])] = [
      ("model.embed_tokens.weight", [rng.dimension(), rng.dimension()]),
      ("model.layers.0.proj.weight", [rng.dimension(), rng.dimension()]),
      ("model.layers.0.proj.bias", [rng.dimension()]),
      ("model.layers.0.conv.weight", [rng.dimension(), rng.dimension(), rng.dimension(), rng.dimension()]),
      ("model.layers.0.norm.weight", [rng.dimension()]),
      ("model.layers.0.experts.gate_up_proj", [rng.dimension(), rng.dimension(), rng.dimension()]),
      ("lm_head.weight", [rng.dimension(), rng.dimension()]),
    ]
    let base = try Build.custom(
      tensors,
      config: [("model_type", .string("llama")), ("architectures", .array([.string("LlamaForCausalLM")])),
               ("vocab_size", .number("64"))])
    for (type, fields) in Self.tuners {
      var f = fields
      f["target_modules"] = .array([.string("proj"), .string("conv"), .string("norm"), .string("embed_tokens")])
      if type == "LORA" { f["target_parameters"] = .array([.string("experts.gate_up_proj")]) }
      guard let config = try? Build.config(f, type: type) else { continue }
      var checkpoint = StateDict()
      for i in 0..<3 {
        checkpoint = checkpoint.adding("base_model.model.model.layers.0.proj.lora_A\(i).weight", [rng.dimension(), rng.dimension()])
      }
      for profile in LoadProfile.allCases {
        let outcome = Build.simulate(base, Build.adapter(config, checkpoint), profile: profile)
        // Reaching here is the point; any outcome is acceptable, and it renders.
        #expect(!outcome.text().isEmpty)
        _ = JSONWriter.compact.string(outcome.json)
      }
    }
  }

  /// Every numeric field an adapter config or a base's `config.json` can hold, with a value PEFT
  /// would accept or one it could never allocate (`init_r = 2**62`), gives an outcome or a typed
  /// error, never an arithmetic-overflow trap.
  @Test("random numeric config values never trap", arguments: 0..<96)
  func randomConfigNumbers(seed: Int) throws {
    var rng = SeededGenerator(seed: UInt64(seed) &* 104_729 &+ 1)
    func number() -> String {
      switch rng.next() % 10 {
      case 0: return String(Int.max)
      case 1: return String(Int.min)
      case 2: return String(1 << 62)
      case 3: return String(Int.max - Int(rng.next() % 4))
      case 4: return String(Int64(bitPattern: rng.next()))
      case 5: return String(1 << 31)
      case 6: return String((1 << 62) + 1)
      default: return rng.next() % 16 == 0 ? "-1" : String(rng.next() % 9)
      }
    }
    let intFields = [
      "r", "init_r", "target_r", "total_step", "num_vectors", "vector_length", "topk", "oft_block_size",
      "boft_block_size", "boft_block_num", "boft_n_butterfly_factor", "n_frequency", "decompose_factor",
      "mini_r", "num_virtual_tokens", "token_dim", "num_transformer_submodules", "num_layers",
      "num_attention_heads", "encoder_hidden_size", "layers_to_transform", "projection_prng_key",
      "random_loc_seed",
    ]
    let doubleFields = ["lora_alpha", "alpha", "lora_dropout"]
    let types = Self.tuners.map(\.0) + ["PROMPT_TUNING", "P_TUNING", "PREFIX_TUNING"]
    let modelFields = [
      "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
      "pad_token_id",
    ]
    for type in types {
      var modelConfig: [(String, JSONValue)] = [
        ("model_type", .string("llama")), ("architectures", .array([.string("LlamaForCausalLM")])),
      ]
      for field in modelFields where rng.next() % 2 == 0 { modelConfig.append((field, .number(number()))) }
      let base = try Build.custom(
        [("model.embed_tokens.weight", [8, 4]), ("model.layers.0.proj.weight", [4, 4]),
         ("model.layers.0.conv.weight", [4, 4, 3, 3]), ("model.layers.0.norm.weight", [4]),
         ("lm_head.weight", [8, 4])],
        config: modelConfig)
      var f: [String: JSONValue] = [
        "target_modules": rng.next() % 4 == 0
          ? .array([.string("proj"), .string("conv"), .string("norm"), .string("embed_tokens")]) : .array([.string("proj")]),
        "task_type": .string(rng.next() % 2 == 0 ? "CAUSAL_LM" : "SEQ_2_SEQ_LM"),
      ]
      for field in intFields where rng.next() % 2 == 0 { f[field] = .number(number()) }
      if rng.next() % 2 == 0 { f["total_step"] = .number("10") }
      for field in doubleFields where rng.next() % 3 == 0 {
        f[field] = .number(["1e308", "-1e308", "9.3e18", "-9.3e18", "0.5"][Int(rng.next() % 5)])
      }
      if rng.next() % 2 == 0 { f["rank_pattern"] = .object(JSONObject([("model.layers.0.proj", .number(number()))])) }
      f["alpha_pattern"] = .object(JSONObject([("proj", .number(["1e308", "9.3e18", "-9.3e18", "2"][Int(rng.next() % 4)]))]))
      f["n_frequency_pattern"] = .object(JSONObject([("proj", .number(number()))]))
      f["token_indices"] = .array([.number(number())])
      f["trainable_token_indices"] = .array([.number(number())])
      guard let config = try? Build.config(f, type: type) else { continue }
      var checkpoint = StateDict()
      for name in ["lora_A", "lora_B", "lora_E", "vera_lambda_b", "prompt_embeddings"] {
        checkpoint = checkpoint.adding(
          name == "prompt_embeddings" ? name : "base_model.model.model.layers.0.proj.\(name)",
          [Int(rng.next() % 6), Int(rng.next() % 6)])
      }
      for profile in LoadProfile.allCases {
        for ignore in [false, true] {
          let outcome = Build.simulate(base, Build.adapter(config, checkpoint), profile: profile, ignoreMismatched: ignore)
          #expect(!outcome.text().isEmpty)
        }
      }
    }
  }

  /// Issue 15: AdaLoRA `init_r = 2**62` with `ignore_mismatched_sizes` trapped on `lora_E`'s element
  /// count doubled (PEFT's check for a weight saved as two halves).
  @Test("AdaLoRA init_r 2**62 with ignore_mismatched_sizes is an outcome")
  func adaLoRAHugeRank() throws {
    let base = try Build.base()
    let config = try Build.config(
      ["init_r": .number(String(1 << 62)), "total_step": .number("10"), "target_modules": .array([.string("q_proj")])],
      type: "ADALORA")
    let checkpoint = StateDict().adding("base_model.model.model.layers.0.self_attn.q_proj.lora_E", [4, 1])
    for profile in LoadProfile.allCases {
      let outcome = Build.simulate(base, Build.adapter(config, checkpoint), profile: profile, ignoreMismatched: true)
      #expect(!outcome.text().isEmpty)
    }
  }

  /// Issue 15: patterns on which `re` backtracks exponentially hung `check`; now every config field
  /// that holds a regex stops at the matching budget with an error naming the field.
  @Test(
    "an exponential regex in any config field is a budget error naming the field",
    arguments: [
      ("target_modules", ["target_modules": JSONValue.string("(.*)*X")]),
      ("exclude_modules", ["target_modules": .array([.string("q_proj")]), "exclude_modules": .string("(.*)*X")]),
      ("layers_pattern", [
        "target_modules": .array([.string("q_proj")]), "layers_to_transform": .array([.number("0")]),
        "layers_pattern": .string("(.*)*X"),
      ]),
      ("rank_pattern", [
        "target_modules": .array([.string("q_proj")]),
        "rank_pattern": .object(JSONObject([("(.*)*X", .number("2"))])),
      ]),
      ("modules_to_save", ["target_modules": .array([.string("q_proj")]), "modules_to_save": .array([.string("(.*)*X")])]),
    ])
  func regexBudget(field: String, fields: [String: JSONValue]) throws {
    var f = fields
    f["r"] = .number("4")
    let config = try Build.config(f)
    let clock = ContinuousClock()
    // A release whose LoraConfig lacks the field refuses or drops it before any regex runs.
    for profile in LoadProfile.allCases where profile.release?.methods?["LORA"]?.fields.contains(field) ?? true {
      var outcome: LoadOutcome?
      let elapsed = clock.measure {
        outcome = Build.simulate(try! Build.base(), Build.adapter(config, Build.loraCheckpoint(["q_proj"])), profile: profile)
      }
      let error = try #require(outcome?.error, "\(field) [\(profile)]")
      #expect(error.kind == PythonRegex.budgetErrorKind)
      #expect(error.message.hasPrefix("\(field) regex exceeds the matching budget"), "\(error.message)")
      #expect(error.message.contains("would backtrack the same way"))
      #expect(elapsed < .seconds(30))
    }
  }

  @Test("degenerate tensor names are typed errors")
  func badNames() throws {
    for name in [".weight", "a..b", "x."] {
      #expect(throws: BaseModelError.self) {
        try Build.custom([(name, [1])], config: [("model_type", .string("llama"))])
      }
    }
  }
}

extension SeededGenerator {
  /// A dimension from the hostile mix: zero, near `Int.max / 2`, 2^40, or small.
  fileprivate mutating func dimension() -> Int {
    switch next() % 6 {
    case 0: return 0
    case 1: return Int.max / 2 + Int(next() % 1000)
    case 2: return 1 << 40
    default: return Int(next() % 64)
    }
  }
}
