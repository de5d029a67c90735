import TensorIO

/// LoKr (`peft.tuners.lokr`): Kronecker product. `out = a·b`, `in = c·d` by `factorization` (near the
/// square root, or `decompose_factor`); `lokr_w1 (a, c)` or `lokr_w1_a (a, r)` + `lokr_w1_b (r, c)` when
/// `decompose_both` and r is small; `lokr_w2 (b, d)` or `lokr_w2_a (b, r)` + `lokr_w2_b (r, d)` when r is
/// below half the larger factor.
public struct LoKrTuner: Tuner {
  public init() {}
  public var peftType: PeftType { .lokr }
  public var configClassName: String { "LoKrConfig" }
  public var modelClassName: String { "LoKrModel" }
  public var configFields: Set<String> {
    LoHaTuner.lycorisFields.union(["decompose_both", "decompose_factor", "rank_dropout_scale"])
  }

  public var layerAttributes: [LayerAttribute] {
    ["lokr_w1", "lokr_w1_a", "lokr_w1_b", "lokr_w2", "lokr_w2_a", "lokr_w2_b", "lokr_t2"].map {
      LayerAttribute($0, .parameterDict)
    }
  }

  public func defaultTargetModules(for base: BaseModel) -> TargetModules? { PEFTModelDefaults.targetModules(peftType, modelType: base.architecture.modelType) }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    let r = try TunerSupport.rank(config, key: target.key, default: config.r ?? 8)
    let factor = config.decomposeFactor ?? -1
    let both = config.decomposeBoth ?? false
    switch target.base {
    case .linear(let i, let o, _):
      try TunerSupport.positiveRank(r)
      let (inM, inN) = try Self.factorization(i, factor)
      let (outL, outK) = try Self.factorization(o, factor)
      let useW1 = !(both && Double(r) < Double(max(outL, inM)) / 2)
      let useW2 = !(Double(r) < Double(max(outK, inN)) / 2)
      var entries: [AdapterEntry] =
        useW1 ? [.parameter("lokr_w1", [outL, inM])] : [.parameter("lokr_w1_a", [outL, r]), .parameter("lokr_w1_b", [r, inM])]
      entries += useW2 ? [.parameter("lokr_w2", [outK, inN])] : [.parameter("lokr_w2_a", [outK, r]), .parameter("lokr_w2_b", [r, inN])]
      return LayerPlan(layerClassName: "Linear", entries: entries)
    case .conv(let d, let inChannels, let o, let kernel, _) where d == 1 || d == 2:
      try TunerSupport.positiveRank(r)
      let (inM, inN) = try Self.factorization(inChannels, factor)
      let (outL, outK) = try Self.factorization(o, factor)
      let useW1 = !(both && Double(r) < Double(max(outL, inM)) / 2)
      let useW2 = Double(r) >= Double(max(outK, inN)) / 2
      let effective = (config.useEffectiveConv2d ?? false) && kernel.contains { $0 != 1 }
      var entries: [AdapterEntry] =
        useW1 ? [.parameter("lokr_w1", [outL, inM])] : [.parameter("lokr_w1_a", [outL, r]), .parameter("lokr_w1_b", [r, inM])]
      if useW2 {
        entries.append(.parameter("lokr_w2", [outK, inN] + kernel))
      } else if effective {
        let k = d == 2 ? kernel : kernel + [1]
        entries += [.parameter("lokr_t2", [r, r] + k), .parameter("lokr_w2_a", [r, outK]), .parameter("lokr_w2_b", [r, inN])]
      } else {
        entries += [.parameter("lokr_w2_a", [outK, r]), .parameter("lokr_w2_b", [r, try Checked.product([inN] + kernel)])]
      }
      return LayerPlan(layerClassName: "Conv\(d)d", entries: entries)
    default:
      if target.existingLayer != nil {
        throw .typeError("LoKr is not implemented for base layers of type \(target.baseClassName)")
      }
      throw .typeError(
        "Target module of type \(target.typeRepr) not supported, currently only adapters for Conv2d, Conv1d, Linear are supported")
    }
  }

  /// PEFT's `factorization(dimension, factor)`: `(m, n)` with `m·n = dimension`, `m ≤ n`.
  ///
  /// PEFT walks the divisors upwards while they stay at most `factor` and below their cofactor; the
  /// same walk is done here over divisors found up to √dimension (PEFT's own loop would take time
  /// proportional to a prime dimension). Dimensions beyond 2⁴⁴ are refused.
  static func factorization(_ dimension: Int, _ factor: Int) throws(PythonError) -> (Int, Int) {
    if factor > 0 && dimension > 0 && dimension % factor == 0 { return (factor, dimension / factor) }
    guard dimension > 0 else { return (1, dimension) }
    guard dimension <= 1 << 44 else { throw .valueError("LoKr cannot factorize a dimension of \(dimension)") }
    let limit = factor == -1 ? dimension : factor
    var small: [Int] = []
    var q = 2
    while q * q <= dimension {
      if dimension % q == 0 { small.append(q) }
      q += 1
    }
    var ascending = small
    for s in small.reversed() where s * s != dimension { ascending.append(dimension / s) }
    ascending.append(dimension)
    var m = 1
    var n = dimension
    for divisor in ascending {
      guard m < n else { break }
      if divisor > limit { break }
      m = divisor
      n = dimension / divisor
    }
    return m > n ? (n, m) : (m, n)
  }

}
