import TensorIO

/// What a synthesized base model is: its `config.json` and its parameters, both as the model holds
/// them (state-dict order, tied aliases included) and as `save_pretrained` writes them.
public struct BaseModelDescription: Sendable, Hashable {
  /// The transformers version whose `save_pretrained` output this reproduces.
  public static let transformersVersion = "5.24.0"

  public var family: ModelFamily
  public var dimensions: ResolvedDimensions
  /// `config.json`, written with sorted keys and two-space indentation as transformers does.
  public var config: JSONObject
  /// Every tensor's dtype.
  public var dtype: DType
  /// The state dict in module registration order, with how each entry is saved.
  public var layout: [LayoutEntry]
  /// Number of weight files.
  public var shardCount: Int
  /// The config fields that Adaptest sets (dimensions, dtype, tying, special tokens, overrides);
  /// every other field holds transformers' default for the architecture.
  public var configInputKeys: [String]

  /// The model's `state_dict()` keys and shapes, in order. Loaders report missing keys in this order.
  public var stateDict: [ParameterSpec] { layout.map(\.parameter) }

  /// Tied aliases and the parameter each one is (`lm_head.weight` → `model.embed_tokens.weight`).
  public var tiedWeights: [(alias: String, source: String)] {
    layout.compactMap { entry in
      if case .tied(let source) = entry.saved { return (entry.parameter.name, source) }
      return nil
    }
  }

  /// The tensors `save_pretrained` writes: tied aliases dropped, fused experts split, in state-dict
  /// order.
  public var savedTensors: [ParameterSpec] {
    layout.flatMap { entry -> [ParameterSpec] in
      switch entry.saved {
      case .asIs: [entry.parameter]
      case .tied: []
      case .split(let parts): parts
      }
    }
  }

  // Hashed by the fields that tell bases apart cheaply: planning's memos are keyed by whole descriptions
  // (thousands of lookups per matrix), and hashing every layout entry and config member was a tenth of
  // planning the matrix (`perf record`). Equal descriptions still hash alike (these are fields `==`
  // compares); bases that differ elsewhere only share a bucket.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(family)
    hasher.combine(dimensions)
    hasher.combine(dtype)
    hasher.combine(shardCount)
    hasher.combine(layout.count)
    hasher.combine(config.count)
  }

  /// The dtype and shape of a parameter in this model.
  public func info(of parameter: ParameterSpec) -> TensorInfo { TensorInfo(dtype: dtype, shape: parameter.shape) }

  /// The config as transformers writes it: `json.dumps(config, indent=2, sort_keys=True) + "\n"`.
  public var configText: String { JSONWriter.pythonSorted.string(.object(config)) + "\n" }

  /// A JSON summary for tools outside Swift (the transformers check script): config, dtype, state
  /// dict, tied aliases and saved tensors.
  public var summaryJSON: JSONValue {
    func tensors(_ specs: [ParameterSpec]) -> JSONValue {
      .array(
        specs.map { spec in
          .object(
            JSONObject([
              ("name", .string(spec.name)),
              ("shape", .array(spec.shape.map { ConfigValue.int($0) })),
              ("module", .string(spec.module.rawValue)),
            ]))
        })
    }
    return .object(
      JSONObject([
        ("architecture", .string(family.rawValue)),
        ("model_class", .string(family.definition.modelClass)),
        ("auto_class", .string(family.definition.autoClass)),
        ("dtype", .string(dtype.name)),
        ("config", .object(config)),
        ("state_dict", tensors(stateDict)),
        ("tied", .array(tiedWeights.map { .array([.string($0.alias), .string($0.source)]) })),
        ("saved", tensors(savedTensors)),
        ("shard_count", ConfigValue.int(shardCount)),
        ("config_inputs", .array(configInputKeys.map { .string($0) })),
      ]))
  }
}
