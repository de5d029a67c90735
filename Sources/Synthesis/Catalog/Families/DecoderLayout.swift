/// The Llama-style decoder shared by llama, mistral, qwen2, gemma and the MoE families:
/// `model.embed_tokens`, `model.layers.N.{self_attn, mlp, input_layernorm, post_attention_layernorm}`,
/// `model.norm`, `lm_head`.
struct DecoderLayout {
  /// How the MLP of each layer is built.
  enum MLP {
    /// `gate_proj`, `up_proj`, `down_proj` Linear layers.
    case dense
    /// Qwen3-MoE: fused `experts.gate_up_proj (E, 2·I, H)` and `experts.down_proj (E, H, I)`, then
    /// the router `gate.weight (E, H)`; saved as `experts.N.{gate,up,down}_proj.weight`.
    case qwen3Experts
    /// Mixtral: router `gate.weight` first, then the fused experts; saved under the original
    /// `block_sparse_moe` names (`gate.weight`, `experts.N.w1/w2/w3.weight`).
    case mixtralExperts
  }

  var qkvBias = false
  var qkNorm = false
  /// Gemma stores its RMSNorm scales as offsets from one, initialised at zero.
  var normScale: ValueDistribution = .ones
  var mlp: MLP = .dense

  func entries(_ d: ResolvedDimensions, tieWordEmbeddings: Bool) -> [LayoutEntry] {
    var b = LayoutBuilder()
    let h = d.hiddenSize
    b.embedding("model.embed_tokens", count: d.vocabSize, dim: h, embedding: .input)
    for i in 0..<d.layers {
      let p = "model.layers.\(i)"
      b.linear("\(p).self_attn.q_proj", in: h, out: d.queryWidth, bias: qkvBias)
      b.linear("\(p).self_attn.k_proj", in: h, out: d.keyValueWidth, bias: qkvBias)
      b.linear("\(p).self_attn.v_proj", in: h, out: d.keyValueWidth, bias: qkvBias)
      b.linear("\(p).self_attn.o_proj", in: d.queryWidth, out: h)
      if qkNorm {
        b.norm("\(p).self_attn.q_norm", dim: d.headDim, scale: normScale)
        b.norm("\(p).self_attn.k_norm", dim: d.headDim, scale: normScale)
      }
      switch mlp {
      case .dense:
        b.linear("\(p).mlp.gate_proj", in: h, out: d.intermediateSize)
        b.linear("\(p).mlp.up_proj", in: h, out: d.intermediateSize)
        b.linear("\(p).mlp.down_proj", in: d.intermediateSize, out: h)
      case .qwen3Experts:
        let e = d.experts
        let inter = d.expertIntermediateSize
        b.add(
          "\(p).mlp.experts.gate_up_proj", [e, 2 * inter, h], .experts, .weights,
          saved: Self.perExpert(e, "\(p).mlp.experts", ["gate_proj", "up_proj"], shape: [inter, h]))
        b.add(
          "\(p).mlp.experts.down_proj", [e, h, inter], .experts, .weights,
          saved: Self.perExpert(e, "\(p).mlp.experts", ["down_proj"], shape: [h, inter]))
        b.add("\(p).mlp.gate.weight", [e, h], .parameter, .weights)
      case .mixtralExperts:
        let e = d.experts
        let inter = d.intermediateSize
        let saved = "\(p).block_sparse_moe"
        b.add(
          "\(p).mlp.gate.weight", [e, h], .parameter, .weights,
          saved: .split([ParameterSpec(name: "\(saved).gate.weight", shape: [e, h], module: .parameter, distribution: .weights)]))
        b.add(
          "\(p).mlp.experts.gate_up_proj", [e, 2 * inter, h], .experts, .weights,
          saved: Self.perExpert(e, "\(saved).experts", ["w1", "w3"], shape: [inter, h]))
        b.add(
          "\(p).mlp.experts.down_proj", [e, h, inter], .experts, .weights,
          saved: Self.perExpert(e, "\(saved).experts", ["w2"], shape: [h, inter]))
      }
      b.norm("\(p).input_layernorm", dim: h, scale: normScale)
      b.norm("\(p).post_attention_layernorm", dim: h, scale: normScale)
    }
    b.norm("model.norm", dim: h, scale: normScale)
    b.linear(
      "lm_head", in: h, out: d.vocabSize, saved: tieWordEmbeddings ? .tied(to: "model.embed_tokens.weight") : .asIs,
      embedding: .output)
    return b.entries
  }

  /// The per-expert Linear weights a fused parameter is saved as, expert by expert.
  static func perExpert(_ experts: Int, _ prefix: String, _ names: [String], shape: [Int]) -> SavedForm {
    .split(
      (0..<experts).flatMap { e in
        names.map { ParameterSpec(name: "\(prefix).\(e).\($0).weight", shape: shape, module: .linear, distribution: .weights) }
      })
  }
}
