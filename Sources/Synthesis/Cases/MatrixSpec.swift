import TensorIO

/// A generated matrix: every architecture × base-mutation set × tuner × adapter-mutation set,
/// each combination one case. Axis values are named, so case ids are readable
/// (`llama/vocab-up/lora/drop-b`).
///
/// ```json
/// {
///   "architectures": ["llama", "gpt2"],
///   "base_mutations": {"none": [], "vocab-up": [{"resize_vocab": {"to": 160}}]},
///   "tuners": {"lora": {"tuner": "LORA", "config": {"r": 4}}, "loha": {"tuner": "LOHA"}},
///   "adapter_mutations": {"none": [], "drop-b": [{"drop_keys": {"match": "lora_B"}}]},
///   "targets": {"phi3": ["qkv_proj"], "qwen3_moe": ["q_proj", "v_proj"]},
///   "load": {"adapter_name": "default"},
///   "formats": ["safetensors"]
/// }
/// ```
/// A tuner without `target_modules` gets `targets[architecture]` or, without one, PEFT's defaults
/// for the architecture (PEFT has none for phi3 and qwen3_moe).
public struct MatrixSpec: Sendable {
  /// The cases the matrix expands to, as case trees (decode each with ``PairSpec/decode(_:id:)``).
  public var cases: [(id: String, json: JSONValue)]

  /// Expands a matrix file.
  /// - Throws: ``SynthesisError`` naming the field of the matrix file.
  public static func decode(_ json: JSONValue) throws(SynthesisError) -> MatrixSpec {
    var r = try FieldReader(json, path: "")
    guard let architectures = try r.strings("architectures"), !architectures.isEmpty else {
      throw SynthesisError(field: "architectures", .missing)
    }
    let baseMutations = try axis(r.object("base_mutations"), field: "base_mutations")
    guard let tunerObject = try r.object("tuners"), tunerObject.count > 0 else {
      throw SynthesisError(field: "tuners", .missing)
    }
    let adapterMutations = try axis(r.object("adapter_mutations"), field: "adapter_mutations")
    let load = r.value("load")
    let formats = r.value("formats")
    let baseConfig = r.value("base_config")
    let targets = try r.object("targets") ?? JSONObject()
    try r.finish()
    var cases: [(String, JSONValue)] = []
    for architecture in architectures {
      for (baseName, baseList) in baseMutations {
        for (tunerName, tuner) in tunerObject {
          guard var adapter = tuner.objectValue else {
            throw SynthesisError(field: "tuners.\(tunerName)", .invalidValue("expected {tuner, config}"))
          }
          if let target = targets[architecture] {
            var config = adapter["config"]?.objectValue ?? JSONObject()
            if config["target_modules"] == nil { config["target_modules"] = target }
            adapter["config"] = .object(config)
          }
          for (adapterName, adapterList) in adapterMutations {
            // Each name becomes a folder of `generate --out`: plain lower-case names only (names with
            // ESC or `<` made such folders).
            for (axis, name) in [
              ("architectures", architecture), ("base_mutations", baseName), ("tuners", tunerName),
              ("adapter_mutations", adapterName),
            ] where !isPlainName(name) {
              throw SynthesisError(
                field: axis, .invalidValue("'\(name)' is not a plain name (a-z, 0-9, '.', '_', '-'; not starting with '.', '_' or '-')"))
            }
            adapter["mutations"] = adapterList
            var base = JSONObject([("architecture", .string(architecture)), ("mutations", baseList)])
            if let baseConfig { base["config"] = baseConfig }
            var object = JSONObject()
            let id = "\(architecture)/\(baseName)/\(tunerName)/\(adapterName)"
            object["id"] = .string(id)
            object["base"] = .object(base)
            object["adapter"] = .object(adapter)
            if let load { object["load"] = load }
            if let formats { object["formats"] = formats }
            cases.append((id, .object(object)))
          }
        }
      }
    }
    return MatrixSpec(cases: cases)
  }

  /// A case-id segment: lower-case letters, digits, `.`, `_`, `-`, not starting with `.`, `_` or `-`,
  /// at most 64 bytes.
  static func isPlainName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first != ".", first != "_", first != "-", name.utf8.count <= 64
    else { return false }
    return name.unicodeScalars.allSatisfy {
      ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
    }
  }

  private static func axis(_ object: JSONObject?, field: String) throws(SynthesisError) -> [(String, JSONValue)] {
    guard let object, object.count > 0 else { return [("none", .array([]))] }
    var values: [(String, JSONValue)] = []
    for (name, value) in object {
      guard value.arrayValue != nil else {
        throw SynthesisError(field: "\(field).\(name)", .invalidValue("expected a list of mutations"))
      }
      values.append((name, value))
    }
    return values
  }
}
