import TensorIO

/// OFT (`peft.tuners.oft`, ≥ 0.14 format): block-diagonal orthogonal rotations stored as the upper
/// triangles of skew-symmetric blocks, `oft_R.weight (r, b·(b-1)/2)` (`r = 1` with `block_share`), where
/// `b = oft_block_size` and `r = in / b` (one of the two is given, the other derived, adjusted to a
/// divisor of `in` with a warning). Embeddings use `oft_embedding_R` over `embedding_dim`.
public struct OFTTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .oft }
  public var configClassName: String { "OFTConfig" }
  public var modelClassName: String { "OFTModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "r", "oft_block_size", "module_dropout", "target_modules", "fan_in_fan_out", "bias", "exclude_modules",
      "init_weights", "layers_to_transform", "layers_pattern", "modules_to_save", "coft", "eps", "block_share",
      "use_cayley_neumann", "num_cayley_neumann_terms",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [LayerAttribute("oft_R", .moduleDict), LayerAttribute("oft_embedding_R", .moduleDict), LayerAttribute("oft_dropout", .moduleDict)]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    if config.json["oft_block_size"] == nil {
      throw .valueError(
        "OFT has been updated since PEFT 0.14.0. Your trained adapter weights are incompatible with the latest "
          + "version of OFT. Please retrain your adapter weights with newer PEFT versions. Alternatively, downgrade "
          + "PEFT to version 0.13.0 to use the old adapter weights.")
    }
    let r = config.r ?? 0
    let block = config.oftBlockSize ?? 32
    if r == 0 && block == 0 {
      throw .valueError(
        "Either `r` or `oft_block_size` must be non-zero. Currently, r = \(r) and oft_block_size = \(block).")
    }
    if !((r != 0) != (block != 0)) {
      throw .valueError(
        "You can only specify either r (\(r)) or oft_block_size (\(block)), but not both simultaneously, because "
          + "r x oft_block_size == in_features.")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let attribute: String
    let inFeatures: Int
    let layerClass: String
    switch target.base {
    case .linear(let i, _, _):
      if target.existingLayer == nil, config.fanInFanOut == true {
        context.warn("fan_in_fan_out is set to True but the target module is `torch.nn.Linear`. Setting fan_in_fan_out to False.")
        config.fanInFanOut = false
      }
      (attribute, inFeatures, layerClass) = ("oft_R", i, "Linear")
    case .embedding(_, let d):
      (attribute, inFeatures, layerClass) = ("oft_embedding_R", d, "Embedding")
    case .conv(2, let i, _, let k, _):
      (attribute, inFeatures, layerClass) = ("oft_R", try Checked.product([i] + k), "Conv2d")
    default:
      throw .typeError(
        "Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear`, `torch.nn.Conv2d`, "
          + "`torch.nn.Embedding` (optionally quantized) are supported.")
    }
    guard inFeatures > 0 else { throw .valueError("OFT needs in_features > 0, found \(inFeatures)") }
    var r = config.r ?? 0
    var block = config.oftBlockSize ?? 32
    if r == 0 && block != 0 {
      if inFeatures % block != 0 || block > inFeatures {
        let old = block
        block = Self.adjust(inFeatures, block)
        context.warn("Invalid `oft_block_size` (\(old))! Adjusted `oft_block_size` to (\(block)).")
      }
      r = inFeatures / block
    } else if r != 0 && block == 0 {
      if inFeatures % r != 0 || r > inFeatures {
        let old = r
        r = Self.adjust(inFeatures, r)
        context.warn("Invalid `r` (\(old))! Adjusted `r` to (\(r)).")
      }
      block = inFeatures / r
    } else {
      throw .valueError("Something went wrong, please report this error: https://github.com/huggingface/peft/issues")
    }
    // A negative `oft_block_size` or `r` survives PEFT's adjustment; torch then refuses the shape.
    guard block > 0, r > 0 else {
      throw .runtimeError("Trying to create tensor with negative dimension \(min(block, r)): [\(r), \(block)]")
    }
    let elements = try Checked.product([block, block - 1]) / 2
    let rows = config.blockShare == true ? 1 : r
    return LayerPlan(layerClassName: layerClass, entries: [.weightModule(attribute, className: "OFTRotationModule", [rows, elements])])
  }

  /// `adjust_oft_parameters`: the divisor of `in` nearest to `value` (the lower one on ties).
  ///
  /// PEFT walks up from a negative value one step at a time until it reaches a negative divisor, then
  /// returns the value itself; that walk is skipped (a config's `-2**62` would take years).
  static func adjust(_ inFeatures: Int, _ value: Int) -> Int {
    guard value < inFeatures else { return inFeatures }
    guard value > 0 else { return value }
    var higher = value
    while higher <= inFeatures && inFeatures % higher != 0 { higher += 1 }
    var lower = value
    while lower > 1 && inFeatures % lower != 0 { lower -= 1 }
    return (value - lower) <= (higher - value) ? lower : higher
  }

  public func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict
  {
    let remapped = defaultRemap(checkpoint, request: request)
    if remapped.keys.contains(where: { $0.containsText(".oft_r.") }) {
      throw .valueError(
        "Trying to load old OFT checkpoint, which is no longer supported. Please install PEFT <= v0.15.2 to load it "
          + "or train a new OFT adapter.")
    }
    return remapped
  }
}
