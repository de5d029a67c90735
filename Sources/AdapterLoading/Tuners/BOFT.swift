import TensorIO

/// BOFT (`peft.tuners.boft`): butterfly-factored orthogonal blocks, `boft_R (m+1, blocks, size, size)`
/// and a scale `boft_s (out, 1)`, where `blocks · size = in`. Without PEFT's CUDA extension (any
/// CPU-only machine) the butterfly factor is forced to 1, so `m = 0`.
public struct BOFTTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .boft }
  public var configClassName: String { "BOFTConfig" }
  public var modelClassName: String { "BOFTModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "boft_block_size", "boft_block_num", "boft_n_butterfly_factor", "target_modules", "exclude_modules",
      "boft_dropout", "fan_in_fan_out", "bias", "modules_to_save", "init_weights", "layers_to_transform",
      "layers_pattern",
    ])
  }

  public var layerAttributes: [LayerAttribute] {
    [LayerAttribute("boft_dropout", .moduleDict), LayerAttribute("boft_R", .parameterDict), LayerAttribute("boft_s", .parameterDict)]
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let (inFeatures, outFeatures, layerClass, scale): (Int, Int, String, [Int])
    switch target.base {
    case .linear(let i, let o, _):
      (inFeatures, outFeatures, layerClass, scale) = (i, o, "Linear", [o, 1])
    case .conv(2, let i, let o, let k, _):
      (inFeatures, outFeatures, layerClass, scale) = (try Checked.product([i] + k), o, "Conv2d", [1, o])
    default:
      throw .typeError(
        "Target module \(target.repr) is not supported. Currently, only `torch.nn.Linear` and `torch.nn.Conv2d` "
          + "(optionally quantized) are supported.")
    }
    _ = outFeatures
    var blockSize = config.boftBlockSize ?? 4
    var blockNum = config.boftBlockNum ?? 0
    if !context.boftCUDAExtension {
      // PEFT retries building its CUDA extension for every layer and warns each time.
      context.warn("Failed to load the CUDA extension: (the extension cannot be built here), check if ninja is available.")
      context.warn("Setting boft_n_butterfly_factor to 1 to speed up the finetuning process.")
    }
    var factor = (context.boftCUDAExtension ? (config.boftNButterflyFactor ?? 1) : 1) - 1
    if factor < 0 {
      throw .valueError("You can only specify boft_n_butterfly_factor \(factor + 1) to be a positive integer number.")
    }
    if blockSize == 0 && blockNum != 0 {
      guard inFeatures % blockNum == 0 else {
        throw .valueError("in_features (\(inFeatures)) must be divisible by boft_block_num (\(blockNum))!")
      }
      blockSize = inFeatures / blockNum
    } else if blockSize != 0 && blockNum == 0 {
      guard inFeatures % blockSize == 0 else {
        throw .valueError("in_features (\(inFeatures)) must be divisible by boft_block_size (\(blockSize))!")
      }
      blockNum = inFeatures / blockSize
    } else {
      throw .valueError("Something went wrong, please report this error: https://github.com/huggingface/peft/issues")
    }
    if factor != 0 {
      if blockNum % 2 != 0 { throw .valueError("boft_block_num (\(blockNum)) must be an even number!") }
      if blockSize % 2 != 0 { throw .valueError("boft_block_size (\(blockSize)) must be an even number!") }
    } else {
      factor = 0
    }
    return LayerPlan(
      layerClassName: layerClass,
      entries: [.parameter("boft_R", [factor + 1, blockNum, blockSize, blockSize]), .parameter("boft_s", scale)])
  }
}
