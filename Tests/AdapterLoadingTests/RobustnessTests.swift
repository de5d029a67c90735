import Foundation
import Testing
import TensorIO

@testable import AdapterLoading

/// Hostile shapes and configs never trap: every tuner, on bases whose shapes are zero, huge or
/// inconsistent, gives an outcome (possibly an error) instead of crashing.
@Suite("Robustness")
struct RobustnessTests {
  struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    mutating func dimension() -> Int {
      switch next() % 6 {
      case 0: return 0
      case 1: return Int.max / 2 + Int(next() % 1000)
      case 2: return 1 << 40
      default: return Int(next() % 64)
      }
    }
  }

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
    var rng = SplitMix64(state: UInt64(seed) &* 7919)
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

  @Test("degenerate tensor names are typed errors")
  func badNames() throws {
    for name in [".weight", "a..b", "x."] {
      #expect(throws: BaseModelError.self) {
        try Build.custom([(name, [1])], config: [("model_type", .string("llama"))])
      }
    }
  }
}
