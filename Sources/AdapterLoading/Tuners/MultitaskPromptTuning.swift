import TensorIO

/// Multitask prompt tuning (`peft.tuners.multitask_prompt_tuning`): prompt tuning whose encoder
/// (`MultitaskPromptEmbedding`) also holds the per-task factors `prefix_task_cols (num_tasks, tokens, num_ranks)`
/// and `prefix_task_rows (num_tasks, num_ranks, token_dim)` (`tokens = num_virtual_tokens ·
/// num_transformer_submodules`). All three are saved (`prefix_task_cols`, `prefix_task_rows`,
/// `prompt_embeddings`); loading puts the embeddings in strictly and the factors with `strict=False`, so an
/// absent factor is silently left random while a factor of another shape raises.
public struct MultitaskPromptTuningTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .multitaskPromptTuning }
  public var configClassName: String { "MultitaskPromptTuningConfig" }
  public var modelClassName: String { "MultitaskPromptEmbedding" }
  public var configFields: Set<String> {
    PromptLearningTuner.promptTuning.configFields.union([
      "prompt_tuning_init_state_dict_path", "prompt_tuning_init_task", "num_ranks", "num_tasks",
    ])
  }
  public var layerAttributes: [LayerAttribute] { [] }

  /// The inits that read a source-task state dict when the encoder is built, even to load an adapter.
  static let sourceInits: Set<String> = ["AVERAGE_SOURCE_TASKS", "EXACT_SOURCE_TASK", "ONLY_SOURCE_SHARED"]

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    throw .valueError("Not supported")
  }

  public func promptEncoder(_ config: AdapterConfig) throws(PythonError) -> PromptEncoderPlan {
    let (virtualTokens, tokenDim) = try PromptLearningTuner.sizes(config)
    let tokens = try Checked.product([virtualTokens, config.numTransformerSubmodules ?? 1])
    let tasks = try TunerSupport.int(config, "num_tasks", default: 1)
    let ranks = try TunerSupport.int(config, "num_ranks", default: 1)
    let initMethod = try TunerSupport.string(config, "prompt_tuning_init", default: "RANDOM")
    if Self.sourceInits.contains(initMethod) {
      guard let path = config.json["prompt_tuning_init_state_dict_path"]?.stringValue else {
        throw .valueError("prompt_tuning_init_state_dict_path needs to be specified with \(initMethod) init method")
      }
      throw .notSimulated(
        "\(config.source): prompt_tuning_init \(initMethod) makes PEFT read the source prompt state dict "
          + "\(pythonRepr(path)) whenever the encoder is built, loading included; that file is not part of the adapter")
    }
    return PromptEncoderPlan(
      className: "MultitaskPromptEmbedding",
      parameters: [
        ModuleTensor(name: "prefix_task_cols", info: TensorInfo(dtype: .f32, shape: [tasks, tokens, ranks])),
        ModuleTensor(name: "prefix_task_rows", info: TensorInfo(dtype: .f32, shape: [tasks, ranks, tokenDim])),
      ],
      embeddings: [.init("embedding", rows: tokens, width: tokenDim)])
  }

  public func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict {
    let prefix = "prompt_encoder.\(request.adapterName)."
    var result = StateDict()
    for (saved, own) in [
      ("prefix_task_cols", "prefix_task_cols"), ("prefix_task_rows", "prefix_task_rows"), ("prompt_embeddings", "embedding.weight"),
    ] {
      guard let entry = request.model.stateDict[prefix + own] else { throw .keyError(prefix + own) }
      result[saved] = .init(key: saved, info: entry.info)
    }
    return result
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    checkpoint
  }

  /// `MultitaskPromptEmbedding._load_adapter_state_dict`: the embeddings strictly, then the encoder with
  /// `strict=False` (a factor of another shape still raises, naming the encoder class).
  public func loadPromptEncoder(_ checkpoint: StateDict, encoder: StateDict) throws(PromptEncoderLoadError) {
    try loadPromptEmbeddings(checkpoint, encoder: encoder, into: "embedding.weight")
    var messages: [String] = []
    var mismatches: [Mismatch] = []
    for entry in encoder.entries {
      guard let saved = checkpoint[entry.key], saved.info.shape != entry.info.shape else { continue }
      messages.append(
        "size mismatch for \(entry.key): copying a param with shape \(torchSizeRepr(saved.info.shape)) from checkpoint, "
          + "the shape in current model is \(torchSizeRepr(entry.info.shape)).")
      mismatches.append(Mismatch(key: saved.key, checkpointShape: saved.info.shape, modelShape: entry.info.shape))
    }
    guard messages.isEmpty else {
      throw PromptEncoderLoadError(
        .runtimeError(TorchStateDictLoader.errorText(className: "MultitaskPromptEmbedding", messages: messages)),
        mismatches: mismatches)
    }
  }

  public var promptEncoderCheckpointKeys: [String] { ["prefix_task_cols", "prefix_task_rows", "prompt_embeddings"] }
}
