import TensorIO

/// What a module is, in the terms PEFT dispatches on (`isinstance` checks in its tuner layers).
public enum ModuleKind: Hashable, Sendable {
  /// `torch.nn.Linear`: weight `(out, in)`.
  case linear(inFeatures: Int, outFeatures: Int, bias: Bool)
  /// `torch.nn.Embedding` (and subclasses such as Gemma's scaled embedding): weight `(num, dim)`.
  case embedding(numEmbeddings: Int, embeddingDim: Int)
  /// transformers' GPT-2 `Conv1D`: a linear layer whose weight is stored transposed, `(in, out)`.
  case conv1D(inFeatures: Int, outFeatures: Int, bias: Bool)
  /// `torch.nn.Conv1d/2d/3d`: weight `(out, in / groups, *kernel)`.
  case conv(dimensions: Int, inChannels: Int, outChannels: Int, kernel: [Int], bias: Bool)
  /// `torch.nn.LayerNorm` (with or without bias).
  case layerNorm(shape: [Int], bias: Bool)
  /// An RMS norm (Llama-style, T5's layer norm): a 1-D weight, no bias.
  case rmsNorm(shape: [Int])
  /// A module holding 3-D expert parameters (transformers v5 fused MoE experts).
  case experts
  /// A module without parameters of its own that only groups children (`ModuleList`, blocks, models).
  case container
  /// Something else; PEFT's layer dispatch rejects it.
  case other

  // MARK: Kinds that exist only after PEFT wraps the model

  /// A PEFT tuner layer (`lora.Linear`, `IA3Layer`, …) wrapping its `base_layer`.
  case tunerLayer(PeftType)
  /// `nn.ModuleDict` keyed by adapter name.
  case moduleDict
  /// `nn.ParameterDict` keyed by adapter name.
  case parameterDict
  /// PEFT's `BufferDict` keyed by adapter name.
  case bufferDict(persistent: Bool)
  /// `ModulesToSaveWrapper` (`original_module` + `modules_to_save.<adapter>`).
  case modulesToSaveWrapper
  /// `TrainableTokensWrapper` (`token_adapter`).
  case trainableTokensWrapper
  /// The tuner model (`LoraModel`, …) holding `model` and shared model-level parameters.
  case tunerModel(PeftType)
  /// The `PeftModel` at the root.
  case peftModel

  /// Input and output features PEFT derives for the module (`_get_in_out_features`), if it has them.
  public var inOutFeatures: (in: Int, out: Int)? {
    switch self {
    case .linear(let i, let o, _): (i, o)
    case .conv1D(let i, let o, _): (i, o)
    case .embedding(let n, let d): (n, d)
    case .conv(_, let i, let o, _, _): (i, o)
    default: nil
    }
  }

  /// Whether PEFT's `all-linear` counts the module (`nn.Linear` or `Conv1D`).
  public var isLinearLike: Bool {
    switch self {
    case .linear, .conv1D: true
    default: false
    }
  }

  /// Whether the module is one of PEFT's adapter-name-keyed containers.
  public var isAdapterDict: Bool {
    switch self {
    case .moduleDict, .parameterDict, .bufferDict: true
    default: false
    }
  }
}
