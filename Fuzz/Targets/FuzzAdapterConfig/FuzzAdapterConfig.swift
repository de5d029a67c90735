import AdapterLoading
import FuzzSupport
import TensorIO

// The input is an adapter_config.json. It is decoded, then injected into a small fixed Llama-shaped
// base (twice: as the first adapter and as a second one), so that target matching (regular
// expressions, layer indices, patterns) and every tuner's validation run on the fuzzed values; then
// every load-simulation profile loads the checkpoint that config saves (what `adaptest check` runs).
let base: BaseModel? = {
  var tensors: [(String, [Int])] = [("model.embed_tokens.weight", [32, 8]), ("lm_head.weight", [32, 8]), ("model.norm.weight", [8])]
  for layer in 0..<2 {
    let prefix = "model.layers.\(layer)."
    tensors += [
      (prefix + "self_attn.q_proj.weight", [8, 8]), (prefix + "self_attn.k_proj.weight", [4, 8]),
      (prefix + "self_attn.v_proj.weight", [4, 8]), (prefix + "self_attn.o_proj.weight", [8, 8]),
      (prefix + "mlp.gate_proj.weight", [16, 8]), (prefix + "mlp.up_proj.weight", [16, 8]),
      (prefix + "mlp.down_proj.weight", [8, 16]), (prefix + "input_layernorm.weight", [8]),
      (prefix + "post_attention_layernorm.weight", [8]),
    ]
  }
  let config = JSONObject([
    ("model_type", .string("llama")), ("architectures", .array([.string("LlamaForCausalLM")])),
    ("vocab_size", .number("32")), ("hidden_size", .number("8")), ("num_hidden_layers", .number("2")),
    ("tie_word_embeddings", .bool(false)),
  ])
  let table = try? TensorTable(tensors.map { TensorEntry(name: $0.0, info: TensorInfo(dtype: .f32, shape: $0.1), file: "model.safetensors") })
  return table.flatMap { try? BaseModel(config: config, weights: $0) }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdapterConfig(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  guard let base else { fatalError("the fixed base model does not build") }
  let json: JSONValue
  do {
    json = try JSONValue.parse(UnsafeRawBufferPointer(fuzzBytes(start, count)))
  } catch {
    consume(error.description)
    return 0
  }
  guard let object = json.objectValue else { return 0 }
  let config: AdapterConfig
  do {
    config = try AdapterConfig(json: object)
  } catch {
    consume(error.description)
    return 0
  }
  // The checkpoint PEFT would have saved for this config (empty when injection fails): every profile
  // of `adaptest check` then simulates loading it, as the first adapter and next to another.
  var checkpoint = StateDict()
  do {
    var warnings: [PythonWarning] = []
    var model = try PeftModel(base: base, config: config, warnings: &warnings)
    checkpoint = try model.adapterCheckpoint("default").stateDict
    try model.addAdapter("second", config: config, warnings: &warnings)
    consume(model.stateDict)
    consume(warnings)
  } catch {
    consume("\(error)")
  }
  let source = AdapterSource(config: config, checkpoint: checkpoint)
  for profile in LoadProfile.allCases {
    consume(LoadSimulator.simulate(base: base, adapter: source, profile: profile))
    let context = LoadContext(adapterName: "second", loaded: [LoadedAdapter(name: "default", source: source)])
    consume(LoadSimulator.simulate(base: base, adapter: source, context: context, profile: profile))
  }
  return 0
}
