import AdapterLoading
import FuzzSupport
import TensorIO

// The input is a base model description in the form of the test fixtures
// (`Tests/AdapterLoadingTests/Fixtures/architectures/*.json`):
// `{"config": {config.json}, "saved_tensors": [[name, dtype, [shape]], …]}` — the config.json and the
// tensor names and shapes a checkpoint reader would hand over. The model is built (config decoding,
// module tree from the names) and a LoRA adapter on all linear layers is injected into it.
let lora: AdapterConfig? = try? AdapterConfig(
  json: JSONObject([
    ("peft_type", .string("LORA")), ("r", .number("2")), ("lora_alpha", .number("4")),
    ("target_modules", .string("all-linear")), ("task_type", .string("CAUSAL_LM")),
    ("modules_to_save", .array([.string("lm_head")])),
  ]))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelConfig(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  guard let lora else { fatalError("the fixed adapter config does not decode") }
  guard let json = try? JSONValue.parse(UnsafeRawBufferPointer(fuzzBytes(start, count))),
    let config = json["config"]?.objectValue, let rows = json["saved_tensors"]?.arrayValue
  else { return 0 }
  var table = TensorTable()
  for row in rows {
    guard let items = row.arrayValue, items.count == 3, let name = items[0].stringValue,
      let dtype = items[1].stringValue.flatMap(DType.init(name:)),
      let shape = items[2].arrayValue?.compactMap(\.intValue)
    else { continue }
    // A reader never hands over negative or overflowing shapes: it validates them first.
    guard (try? TensorInfo(dtype: dtype, shape: shape).byteCount()) != nil else { continue }
    try? table.append(TensorEntry(name: name, info: TensorInfo(dtype: dtype, shape: shape), file: "model.safetensors"))
  }
  do {
    let base = try BaseModel(config: config, weights: table)
    consume(base.stateDict)
    var warnings: [PythonWarning] = []
    let model = try PeftModel(base: base, config: lora, warnings: &warnings)
    consume(model.stateDict)
  } catch {
    consume("\(error)")
  }
  return 0
}
