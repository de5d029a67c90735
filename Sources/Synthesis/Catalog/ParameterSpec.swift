import TensorIO

/// How a parameter's values are drawn, following transformers' `_init_weights` in spirit: weights
/// and embeddings from a narrow normal distribution, norms at one (or zero where the model adds one),
/// biases at zero.
public enum ValueDistribution: Sendable, Hashable, CustomStringConvertible {
  /// Approximately normal with mean 0 and this standard deviation.
  case normal(std: Float)
  /// Every element equal to `value` (1 for norm scales, 0 for biases).
  case constant(Float)

  /// transformers' default `initializer_range`.
  public static let weights = ValueDistribution.normal(std: 0.02)
  public static let ones = ValueDistribution.constant(1)
  public static let zeros = ValueDistribution.constant(0)

  public var description: String {
    switch self {
    case .normal(let std): "normal(std: \(std))"
    case .constant(let value): "constant(\(value))"
    }
  }
}

/// The kind of module a parameter belongs to: what an adapter targeting it sees.
public enum LayerKind: String, Sendable, Hashable, Codable {
  /// `nn.Linear`: weight `(out, in)`.
  case linear
  /// GPT-2's `Conv1D`: weight `(in, out)`, transposed relative to `nn.Linear`.
  case conv1D = "conv1d"
  /// `nn.Embedding`: weight `(count, dim)`.
  case embedding
  /// LayerNorm / RMSNorm.
  case norm
  /// Fused MoE experts: 3-D `(experts, d1, d2)` parameters on one module.
  case experts
  /// A bare parameter of a container module (BERT's `cls.predictions.bias`).
  case parameter
}

/// One parameter of a model's state dict.
public struct ParameterSpec: Sendable, Hashable, CustomStringConvertible {
  /// Its state-dict name (`model.layers.0.self_attn.q_proj.weight`).
  public var name: String
  /// Its shape, outermost first.
  public var shape: [Int]
  /// The module it belongs to.
  public var module: LayerKind
  /// How its values are generated.
  public var distribution: ValueDistribution
  /// Whether it is the model's input or output embedding (`get_input_embeddings()` /
  /// `get_output_embeddings()`): what `resize_token_embeddings` and PEFT's embedding saving touch.
  public var embedding: EmbeddingRole?

  public init(
    name: String, shape: [Int], module: LayerKind, distribution: ValueDistribution, embedding: EmbeddingRole? = nil
  ) {
    self.name = name
    self.shape = shape
    self.module = module
    self.distribution = distribution
    self.embedding = embedding
  }

  /// The dotted path of the module that owns it (`…q_proj` for `…q_proj.weight`).
  public var modulePath: String {
    guard let dot = name.lastIndex(of: ".") else { return "" }
    return String(name[..<dot])
  }

  /// `name F32[4, 16]`-style text without the dtype.
  public var description: String { "\(name) [\(shape.map(String.init).joined(separator: ", "))]" }
}

/// A parameter of the input or the output embedding module.
public enum EmbeddingRole: String, Sendable, Hashable {
  case input
  case output
}

/// How `save_pretrained` writes one state-dict parameter.
public enum SavedForm: Sendable, Hashable {
  /// Written under its own name and shape.
  case asIs
  /// Omitted: it is the same tensor as `source`, which is written.
  case tied(to: String)
  /// Written as these tensors instead (transformers 5 turns fused MoE experts back into the
  /// per-expert checkpoint layout when saving).
  case split([ParameterSpec])
}

/// One entry of a model's parameter layout: the state-dict parameter and how it is saved.
public struct LayoutEntry: Sendable, Hashable {
  public var parameter: ParameterSpec
  public var saved: SavedForm

  public init(_ parameter: ParameterSpec, saved: SavedForm = .asIs) {
    self.parameter = parameter
    self.saved = saved
  }
}
