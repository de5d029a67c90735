import TensorIO

/// OSF, orthogonal subspace fine-tuning (`peft.tuners.osf`), on `nn.Linear` only (any other targeted module is
/// silently left alone, yet counts as targeted). Each weight `(out, in)` is split by SVD at its top
/// `k = effective_rank` singular values; the trainable rest is a `ParameterDict` per adapter,
/// `osf_svd_params.<name>.{S_low (m−k,), U_low (out, m−k), V_low (m−k, in)}` with `m = min(out, in)`, in the base
/// weight's dtype. The frozen SVD parts live in non-persistent buffers: neither saved nor loaded. Only the
/// shapes depend on the base, never the values, so a load is predicted from names and shapes alone.
public struct OSFTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .osf }
  public var configClassName: String { "OSFConfig" }
  public var modelClassName: String { "OSFModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "effective_rank", "target_modules", "rank_pattern", "init_weights", "modules_to_save", "target_svd_config",
    ])
  }
  public var layerAttributes: [LayerAttribute] { [LayerAttribute("osf_svd_params", .moduleDict)] }

  /// `_prepare_adapter_config`: the per-model-type default, else every linear layer.
  public func defaultTargetModules(for base: BaseModel) -> TargetModules? {
    PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType)
      ?? .pattern(TargetModules.allLinearShorthand)
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    // `_create_and_replace` returns early for a module without a 2-D weight, and `dispatch_default` builds
    // nothing for one that is not an `nn.Linear`.
    guard case .linear(let i, let o, _) = target.base,
      let weight = target.baseTensors.first(where: { $0.name == "weight" }), weight.info.shape.count == 2
    else { return .untouched }
    let minDim = min(i, o)
    var rank = try Self.resolve(config.json["effective_rank"], minDim: minDim, config: config, field: "effective_rank")
    if let patterns = config.json["rank_pattern"]?.objectValue {
      for (pattern, value) in patterns {
        let regex: PythonRegex
        do { regex = try PythonRegex(pattern, field: "rank_pattern") } catch {
          throw PythonError(kind: "re.error", message: error.detail)
        }
        if try regex.search(target.key) {
          rank = try Self.resolve(value, minDim: minDim, config: config, field: "rank_pattern.\(pattern)")
          break
        }
      }
    }
    if rank <= 0 {
      throw .valueError("`effective_rank` should be a positive integer value but the value passed is \(rank)")
    }
    let low = minDim - rank
    let dtype = weight.info.dtype
    // `nn.ParameterDict` built from a plain dict registers its entries in sorted key order.
    let tensors = [
      ModuleTensor(name: "S_low", info: TensorInfo(dtype: dtype, shape: [low])),
      ModuleTensor(name: "U_low", info: TensorInfo(dtype: dtype, shape: [o, low])),
      ModuleTensor(name: "V_low", info: TensorInfo(dtype: dtype, shape: [low, i])),
    ]
    return LayerPlan(
      layerClassName: "Linear", entries: [AdapterEntry("osf_svd_params", .module(className: "ParameterDict", tensors: tensors))])
  }

  /// `_resolve_rank`: `None` is half the smaller dimension, a float in (0, 1] a fraction of it, anything else
  /// truncated to an integer; clamped to `[0, min_dim]`.
  static func resolve(_ value: JSONValue?, minDim: Int, config: AdapterConfig, field: String) throws(PythonError) -> Int {
    guard let value, !value.isNull else { return max(minDim / 2, 0) }
    guard case .number(let text) = value, let number = Double(text), number.isFinite, abs(number) < 1e15 else {
      throw .notSimulated(
        "\(config.source): `\(field)` is \(value.typeName), not a number PEFT's OSF code can be predicted for")
    }
    let isFloat = text.contains(where: { ".eE".contains($0) })
    let rank = isFloat && number > 0 && number <= 1 ? Int(Double(minDim) * number) : Int(number)
    return max(min(minDim, rank), 0)
  }
}
