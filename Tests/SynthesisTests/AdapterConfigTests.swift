import Foundation
import TensorIO
import Testing

@testable import Synthesis

/// The synthesized `adapter_config.json` against what PEFT 0.21.2's `save_pretrained` wrote for the
/// same tuner arguments (`Fixtures/peft-0.21.2-adapters.json`, made by
/// `scripts/recorders/record_peft_reference.py`).
@Suite struct AdapterConfigTests {
  static let reference: JSONObject = {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/peft-0.21.2-adapters.json").path
    let bytes = (try? FileSystem.read(path)) ?? []
    return (try? JSONValue.parse(bytes))?["variants"]?.objectValue ?? JSONObject()
  }()

  static func list(_ items: String...) -> JSONValue { .array(items.map { .string($0) }) }
  static func int(_ value: Int) -> JSONValue { .number(String(value)) }
  static let qv = list("q_proj", "v_proj")

  /// The arguments the reference script passed to each PEFT config class.
  static let variants: [(String, ModelFamily, AdapterConfigSpec)] = [
    ("lora", .llama, .init(peftType: "LORA", fields: JSONObject([("r", int(4)), ("lora_alpha", int(8)), ("target_modules", qv)]))),
    ("lora-causal-lm", .llama, .init(peftType: "LORA", fields: JSONObject([("r", int(4)), ("target_modules", qv)]), taskType: "CAUSAL_LM")),
    ("lora-dora", .llama, .init(peftType: "LORA", fields: JSONObject([("r", int(4)), ("target_modules", qv), ("use_dora", .bool(true))]))),
    ("lora-bias", .llama, .init(peftType: "LORA", fields: JSONObject([("r", int(4)), ("target_modules", qv), ("lora_bias", .bool(true))]))),
    ("lora-embedding", .llama, .init(peftType: "LORA", fields: JSONObject([("r", int(4)), ("target_modules", list("embed_tokens", "lm_head"))]))),
    ("lora-modules-to-save", .llama, .init(peftType: "LORA", fields: JSONObject([("r", int(4)), ("target_modules", qv), ("modules_to_save", list("lm_head"))]))),
    ("lora-trainable-tokens", .llama, .init(peftType: "LORA", fields: JSONObject([("r", int(4)), ("target_modules", qv), ("trainable_token_indices", .array([int(3), int(5)]))]))),
    ("lora-conv1d", .gpt2, .init(peftType: "LORA", fields: JSONObject([("r", int(4)), ("target_modules", list("c_attn")), ("fan_in_fan_out", .bool(true))]))),
    ("lora-t5", .t5, .init(peftType: "LORA", fields: JSONObject([("r", int(4)), ("target_modules", list("q", "v"))]))),
    ("lora-moe-experts", .qwen3Moe, .init(peftType: "LORA", fields: JSONObject([("r", int(2)), ("target_modules", .array([])), ("target_parameters", list("mlp.experts.gate_up_proj"))]))),
    ("adalora", .llama, .init(peftType: "ADALORA", fields: JSONObject([("init_r", int(4)), ("target_r", int(2)), ("target_modules", qv), ("total_step", int(10))]))),
    ("loha", .llama, .init(peftType: "LOHA", fields: JSONObject([("r", int(4)), ("alpha", int(8)), ("target_modules", qv)]))),
    ("lokr", .llama, .init(peftType: "LOKR", fields: JSONObject([("r", int(4)), ("alpha", int(8)), ("target_modules", qv)]))),
    ("ia3", .llama, .init(peftType: "IA3", fields: JSONObject([("target_modules", list("k_proj", "v_proj", "down_proj")), ("feedforward_modules", list("down_proj"))]))),
    ("vera", .llama, .init(peftType: "VERA", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("vera-no-projection", .llama, .init(peftType: "VERA", fields: JSONObject([("r", int(4)), ("target_modules", qv), ("save_projection", .bool(false))]))),
    ("vblora", .llama, .init(peftType: "VBLORA", fields: JSONObject([("r", int(4)), ("target_modules", qv), ("num_vectors", int(8)), ("vector_length", int(4))]))),
    ("vblora-topk", .llama, .init(peftType: "VBLORA", fields: JSONObject([("r", int(4)), ("target_modules", qv), ("num_vectors", int(8)), ("vector_length", int(4)), ("save_only_topk_weights", .bool(true))]))),
    ("oft", .llama, .init(peftType: "OFT", fields: JSONObject([("oft_block_size", int(4)), ("target_modules", qv)]))),
    ("boft", .llama, .init(peftType: "BOFT", fields: JSONObject([("boft_block_size", int(4)), ("target_modules", qv)]))),
    ("fourierft", .llama, .init(peftType: "FOURIERFT", fields: JSONObject([("n_frequency", int(8)), ("target_modules", qv)]))),
    ("hra", .llama, .init(peftType: "HRA", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("miss", .llama, .init(peftType: "MISS", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("ln_tuning", .llama, .init(peftType: "LN_TUNING", fields: JSONObject([("target_modules", list("input_layernorm"))]))),
    ("prompt_tuning", .llama, .init(peftType: "PROMPT_TUNING", fields: JSONObject([("num_virtual_tokens", int(4))]), taskType: "CAUSAL_LM")),
    ("prefix_tuning", .llama, .init(peftType: "PREFIX_TUNING", fields: JSONObject([("num_virtual_tokens", int(4))]), taskType: "CAUSAL_LM")),
    ("p_tuning", .llama, .init(peftType: "P_TUNING", fields: JSONObject([("num_virtual_tokens", int(4)), ("encoder_hidden_size", int(8))]), taskType: "CAUSAL_LM")),
    ("trainable_tokens", .llama, .init(peftType: "TRAINABLE_TOKENS", fields: JSONObject([("target_modules", list("embed_tokens")), ("token_indices", .array([int(1), int(2)]))]))),
    ("hira", .llama, .init(peftType: "HIRA", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("c3a", .llama, .init(peftType: "C3A", fields: JSONObject([("block_size", int(4)), ("target_modules", qv)]))),
    ("delora", .llama, .init(peftType: "DELORA", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("gralora", .llama, .init(peftType: "GRALORA", fields: JSONObject([("r", int(4)), ("gralora_k", int(2)), ("target_modules", qv)]))),
    ("road", .llama, .init(peftType: "ROAD", fields: JSONObject([("group_size", int(4)), ("target_modules", qv)]))),
    ("waveft", .llama, .init(peftType: "WAVEFT", fields: JSONObject([("n_frequency", int(8)), ("target_modules", qv)]))),
    ("deft", .llama, .init(peftType: "DEFT", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("beft", .llama, .init(peftType: "BEFT", fields: JSONObject([("target_modules", qv)]))),
    ("peanut", .llama, .init(peftType: "PEANUT", fields: JSONObject([("r", int(4)), ("depth", int(1)), ("target_modules", qv)]))),
    ("pvera", .llama, .init(peftType: "PVERA", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("glora", .llama, .init(peftType: "GLORA", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("shira", .llama, .init(peftType: "SHIRA", fields: JSONObject([("r", int(2)), ("target_modules", qv)]))),
    ("lily", .llama, .init(peftType: "LILY", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("randlora", .llama, .init(peftType: "RANDLORA", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("unilora", .llama, .init(peftType: "UNILORA", fields: JSONObject([("r", int(2)), ("theta_d_length", int(64)), ("target_modules", qv)]))),
    ("poly", .llama, .init(peftType: "POLY", fields: JSONObject([("r", int(4)), ("n_tasks", int(2)), ("target_modules", qv)]))),
    ("supertuning", .llama, .init(peftType: "SUPERTUNING", fields: JSONObject([("sparsity", .number("0.9")), ("target_modules", qv)]))),
    ("mpt", .llama, .init(peftType: "MULTITASK_PROMPT_TUNING", fields: JSONObject([("num_virtual_tokens", int(4)), ("num_tasks", int(2)), ("num_ranks", int(2))]), taskType: "CAUSAL_LM")),
    ("cpt", .llama, .init(peftType: "CPT", fields: JSONObject([("cpt_token_ids", .array([int(5), int(6), int(7)]))]), taskType: "CAUSAL_LM")),
    ("cartridge", .llama, .init(peftType: "CARTRIDGE", fields: JSONObject([("num_virtual_tokens", int(4))]), taskType: "CAUSAL_LM")),
    ("osf", .llama, .init(peftType: "OSF", fields: JSONObject([("target_modules", qv)]))),
    ("psoft", .llama, .init(peftType: "PSOFT", fields: JSONObject([("r", int(4)), ("target_modules", qv)]))),
    ("tinylora", .llama, .init(peftType: "TINYLORA", fields: JSONObject([("r", int(2)), ("u", int(4)), ("target_modules", qv)]))),
    ("frod", .llama, .init(peftType: "FROD", fields: JSONObject([("sparse_rate", .number("0.1")), ("target_modules", qv)]))),
    ("adaption-prompt", .llama, .init(peftType: "ADAPTION_PROMPT", fields: JSONObject([("adapter_len", int(4)), ("adapter_layers", int(1))]), taskType: "CAUSAL_LM")),
    ("shadow", .llama, .init(peftType: "SHADOW", fields: JSONObject([("r", int(2))]), taskType: "CAUSAL_LM")),
  ]

  /// PEFT keeps these as Python sets, so their written order depends on the string hash seed.
  static let setValued: Set<String> = ["target_modules", "feedforward_modules", "modules_to_save"]

  static func normalized(_ config: JSONObject) -> [String: JSONValue] {
    var result: [String: JSONValue] = [:]
    for (key, value) in config {
      if setValued.contains(key), let items = value.arrayValue {
        result[key] = .array(items.sorted { ($0.stringValue ?? "") < ($1.stringValue ?? "") })
      } else {
        result[key] = value
      }
    }
    return result
  }

  @Test func everyReferenceVariantIsCovered() {
    #expect(Set(Self.reference.keys) == Set(Self.variants.map(\.0)))
    #expect(Set(Self.variants.map(\.2.peftType)) == Set(PEFTConfigDefaults.peftTypes))
  }

  @Test(arguments: variants.map(\.0))
  func configMatchesWhatPEFTWrote(variant: String) throws {
    let (_, family, spec) = try #require(Self.variants.first { $0.0 == variant })
    let expected = try #require(Self.reference[variant]?["config"]?.objectValue)
    let base = try BaseModelSpec(family: family).describe()
    var config = try AdapterConfigBuilder.config(spec, base: base)
    // Without `target_modules`, the pair writer fills what PEFT resolved at injection (Shadow: every block).
    if config["target_modules"] == .null, let resolved = try AdapterCatalog.resolvedTargetModules(config: config, base: base) {
      config["target_modules"] = resolved
    }
    #expect(Self.normalized(config) == Self.normalized(expected))
    let missing = Set(expected.keys).subtracting(config.keys).sorted()
    let extra = Set(config.keys).subtracting(expected.keys).sorted()
    #expect(missing.isEmpty && extra.isEmpty, "missing \(missing), extra \(extra)")
    for key in expected.keys where !Self.setValued.contains(key) && config[key] != expected[key] {
      Issue.record("\(key): ours \(String(describing: config[key])) vs PEFT \(String(describing: expected[key]))")
    }
  }

  @Test func textIsSortedIndentedWithoutFinalNewline() throws {
    let base = try BaseModelSpec(family: .llama).describe()
    let spec = Self.variants[0].2
    let text = AdapterConfigBuilder.text(try AdapterConfigBuilder.config(spec, base: base))
    let reference = try #require(Self.reference["lora"]?["config_text"]?.stringValue)
    // PEFT wrote target_modules in set order; everything else is byte-identical.
    let withoutTargets = { (s: String) in s.replacingOccurrences(of: "\"v_proj\",\n    \"q_proj\"", with: "\"q_proj\",\n    \"v_proj\"") }
    #expect(withoutTargets(text) == withoutTargets(reference))
  }

  @Test func unknownTunersAndFieldsNameTheField() throws {
    let base = try BaseModelSpec(family: .llama).describe()
    #expect(throws: SynthesisError.self) { try AdapterConfigBuilder.config(.init(peftType: "LORAX"), base: base) }
    do {
      _ = try AdapterConfigBuilder.config(.init(peftType: "LOHA", fields: JSONObject([("lora_alpha", .number("8"))])), base: base)
      Issue.record("expected an error")
    } catch {
      #expect(error.field == "config.lora_alpha")
    }
  }
}
