import Foundation
import TensorIO

@testable import AdapterLoading

/// In-memory bases and adapters for the edge cases, built from the tiny architectures transformers
/// recorded (`Fixtures/architectures`) and from hand-written checkpoints whose shapes follow PEFT's
/// documented formulas (lora_A `(r, in)`, lora_B `(out, r)`).
enum Build {
  /// A base from an architecture fixture, optionally with its vocabulary resized (`embed_tokens`,
  /// `lm_head`, `wte`, `shared` rows) as `resize_token_embeddings` would.
  static func base(_ name: String = "llama", vocab: Int? = nil) throws -> BaseModel {
    let record = try Fixtures.object("architectures/\(name).json")
    guard var config = record["config"]?.objectValue, let list = record["saved_tensors"] else { throw FixtureError("bad fixture") }
    var tensors = try list.tensorList()
    if let vocab, let old = config["vocab_size"]?.intValue {
      config["vocab_size"] = .number(String(vocab))
      tensors = tensors.map { name, info in
        var i = info
        if i.shape.count == 2 && i.shape[0] == old { i.shape[0] = vocab }
        return (name, i)
      }
    }
    return try BaseModel(config: config, weights: try table(tensors), source: name)
  }

  /// A base from explicit tensors and config fields.
  static func custom(_ tensors: [(String, [Int])], config: [(String, JSONValue)]) throws -> BaseModel {
    try BaseModel(
      config: JSONObject(config), weights: try table(tensors.map { ($0.0, TensorInfo(dtype: .f32, shape: $0.1)) }))
  }

  /// An adapter config as PEFT would save it (only the fields that matter set).
  static func config(_ fields: [String: JSONValue], type: String = "LORA") throws -> AdapterConfig {
    var object = JSONObject()
    object["peft_type"] = .string(type)
    for key in fields.keys.sorted() { object[key] = fields[key] }
    return try AdapterConfig(json: object)
  }

  static func lora(_ targets: [String], r: Int = 4, extra: [String: JSONValue] = [:]) throws -> AdapterConfig {
    var fields = extra
    fields["target_modules"] = .array(targets.map { .string($0) })
    fields["r"] = .number(String(r))
    fields["lora_alpha"] = .number("8")
    return try config(fields)
  }

  /// The Llama fixture's projection shapes `(out, in)`.
  static let llamaShapes: [String: (Int, Int)] = [
    "q_proj": (16, 16), "k_proj": (8, 16), "v_proj": (8, 16), "o_proj": (16, 16),
    "gate_proj": (32, 16), "up_proj": (32, 16), "down_proj": (16, 32),
  ]

  /// A LoRA checkpoint for the tiny Llama (2 layers), in PEFT's key order.
  static func loraCheckpoint(_ targets: [String], r: Int = 4, dtype: DType = .f32, layers: Int = 2) -> StateDict {
    var entries: [StateDict.Entry] = []
    for layer in 0..<layers {
      for target in targets {
        guard let (out, inn) = llamaShapes[target] else { continue }
        let parent = ["q_proj", "k_proj", "v_proj", "o_proj"].contains(target) ? "self_attn" : "mlp"
        let path = "base_model.model.model.layers.\(layer).\(parent).\(target)"
        entries.append(.init(key: "\(path).lora_A.weight", info: TensorInfo(dtype: dtype, shape: [r, inn])))
        entries.append(.init(key: "\(path).lora_B.weight", info: TensorInfo(dtype: dtype, shape: [out, r])))
      }
    }
    return StateDict(entries)
  }

  static func adapter(_ config: AdapterConfig, _ checkpoint: StateDict) -> AdapterSource {
    AdapterSource(config: config, checkpoint: checkpoint)
  }

  static func simulate(
    _ base: BaseModel, _ adapter: AdapterSource, name: String = "default", loaded: [(String, AdapterSource)] = [],
    profile: LoadProfile = .peft, ignoreMismatched: Bool = false, lowCPU: Bool = false
  ) -> LoadOutcome {
    LoadSimulator.simulate(
      base: base, adapter: adapter,
      context: LoadContext(
        adapterName: name, loaded: loaded.map { LoadedAdapter(name: $0.0, source: $0.1) },
        ignoreMismatchedSizes: ignoreMismatched, lowCPUMemUsage: lowCPU),
      profile: profile)
  }

  /// The adapter's warnings without transformers' deprecation notice.
  static func peftWarnings(_ outcome: LoadOutcome) -> [String] {
    outcome.warnings.filter { $0.category != "FutureWarning" }.map(\.message)
  }

  static func key(_ layer: Int, _ module: String, _ param: String, _ name: String? = nil) -> String {
    let parent = ["q_proj", "k_proj", "v_proj", "o_proj"].contains(module) ? "self_attn" : "mlp"
    let suffix = name.map { ".\($0)" } ?? ""
    return "base_model.model.model.layers.\(layer).\(parent).\(module).\(param)\(suffix).weight"
  }
}

extension StateDict {
  func adding(_ key: String, _ shape: [Int], dtype: DType = .f32) -> StateDict {
    var copy = self
    copy[key] = .init(key: key, info: TensorInfo(dtype: dtype, shape: shape))
    return copy
  }

  func removing(_ keys: String...) -> StateDict {
    var copy = self
    copy.remove(Set(keys))
    return copy
  }

  func renamed(_ transform: (String) -> String) -> StateDict {
    StateDict(entries.map { var e = $0; e.key = transform($0.key); return e })
  }
}
