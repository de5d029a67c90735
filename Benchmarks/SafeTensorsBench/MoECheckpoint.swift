import TensorIO

/// The tensor names and shapes of a Qwen3-MoE-30B-style checkpoint (hidden 2048, 128 experts of
/// width 768, 32 query and 4 key/value heads of 128), extended with layers and cut to `count`
/// tensors, so the header has the size and texture of a real 20,000-tensor one.
enum MoECheckpoint {
  static func tensors(count: Int, tinyShapes: Bool = false) -> [(name: String, info: TensorInfo)] {
    var list: [(String, [Int])] = [("model.embed_tokens.weight", [151_936, 2048])]
    var layer = 0
    while list.count < count {
      let p = "model.layers.\(layer)."
      list += [
        (p + "input_layernorm.weight", [2048]), (p + "post_attention_layernorm.weight", [2048]),
        (p + "self_attn.q_proj.weight", [4096, 2048]), (p + "self_attn.k_proj.weight", [512, 2048]),
        (p + "self_attn.v_proj.weight", [512, 2048]), (p + "self_attn.o_proj.weight", [2048, 4096]),
        (p + "self_attn.q_norm.weight", [128]), (p + "self_attn.k_norm.weight", [128]),
        (p + "mlp.gate.weight", [128, 2048]),
      ]
      for expert in 0..<128 {
        let e = p + "mlp.experts.\(expert)."
        list += [(e + "gate_proj.weight", [768, 2048]), (e + "up_proj.weight", [768, 2048]), (e + "down_proj.weight", [2048, 768])]
      }
      layer += 1
    }
    list = Array(list.prefix(count - 2)) + [("model.norm.weight", [2048]), ("lm_head.weight", [151_936, 2048])]
    return list.map { name, shape in (name, TensorInfo(dtype: .bf16, shape: tinyShapes ? [2] : shape)) }
  }
}
