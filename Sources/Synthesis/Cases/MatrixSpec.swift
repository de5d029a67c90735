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
  /// The cases the matrix expands to, ids `architecture/base/tuner/adapter` (the axis values' names).
  public var cases: [PairSpec]
  /// Why the cases of an architecture cannot be built, by case id: `base_config` does not apply to it
  /// (another architecture's field, a size it cannot take). Such a case's recipe has the
  /// architecture's default base; it is reported, never built.
  public var refused: [String: SynthesisError] = [:]

  /// Expands a matrix file, decoding each axis value once.
  /// - Throws: ``SynthesisError`` naming the field of the matrix file
  ///   (`base_mutations.vocab-up[0].resize_vocab.to`).
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
    let formats = try PairSpec.decodeFormats(try r.strings("formats"), path: "formats")
    let baseConfig = try r.object("base_config") ?? JSONObject()
    let targets = try r.object("targets") ?? JSONObject()
    try r.finish()
    // Each name becomes a folder of `generate --out`: plain lower-case names only (names with ESC or
    // `<` made such folders).
    for (axis, names) in [
      ("architectures", architectures), ("base_mutations", baseMutations.map(\.name)), ("tuners", tunerObject.keys),
      ("adapter_mutations", adapterMutations.map(\.name)),
    ] {
      if let name = names.first(where: { !isPlainName($0) }) {
        throw SynthesisError(
          field: axis, .invalidValue("'\(name)' is not a plain name (a-z, 0-9, '.', '_', '-'; not starting with '.', '_' or '-')"))
      }
    }
    var bases: [(String, BaseModelSpec, SynthesisError?)] = []
    for (i, architecture) in architectures.enumerated() {
      let family: ModelFamily
      do { family = try ModelFamily.named(architecture) } catch { throw error.within("architectures[\(i)]") }
      // The same overrides may not fit every architecture: that architecture's combinations are
      // impossible ones, reported with the reason, as a case file's would be.
      do {
        bases.append((architecture, try BaseModelSpec(family: family, config: baseConfig, path: "base.config"), nil))
      } catch {
        bases.append((architecture, BaseModelSpec(family: family), error))
      }
    }
    var baseValues: [(name: String, mutations: [WrittenMutation<BaseMutation>])] = []
    for (name, list) in baseMutations {
      let field = "base_mutations.\(name)"
      baseValues.append((name, try PairSpec.decodeBaseMutations(list, path: field).map { $0.moved(from: field, to: "base.mutations") }))
    }
    var adapterValues: [(name: String, mutations: [WrittenMutation<AdapterMutationRequest>])] = []
    for (name, list) in adapterMutations {
      let field = "adapter_mutations.\(name)"
      adapterValues.append(
        (name, try PairSpec.decodeAdapterMutations(list, path: field).map { $0.moved(from: field, to: "adapter.mutations") }))
    }
    var tuners: [(name: String, adapter: AdapterConfigSpec)] = []
    for (name, value) in tunerObject {
      guard value.objectValue != nil else {
        throw SynthesisError(field: "tuners.\(name)", .invalidValue("expected {tuner, config}"))
      }
      let (adapter, mutations) = try PairSpec.decodeAdapter(value, path: "tuners.\(name)")
      if !mutations.isEmpty {
        throw SynthesisError(field: "tuners.\(name).mutations", .invalidValue("adapter mutations are the adapter_mutations axis"))
      }
      tuners.append((name, adapter))
    }

    var cases: [PairSpec] = []
    var refused: [String: SynthesisError] = [:]
    for (architecture, base, refusal) in bases {
      for (baseName, baseList) in baseValues {
        for (tunerName, tuner) in tuners {
          var adapter = tuner
          if let target = targets[architecture], adapter.fields["target_modules"] == nil {
            adapter.fields["target_modules"] = target
          }
          let (setup, loaded) = try PairSpec.decodeLoad(load, adapter: adapter, path: "load")
          for (adapterName, adapterList) in adapterValues {
            let id = "\(architecture)/\(baseName)/\(tunerName)/\(adapterName)"
            cases.append(
              PairSpec(
                id: id, base: base, baseMutations: baseList, adapter: adapter, adapterMutations: adapterList,
                load: setup, loaded: loaded, formats: formats))
            if let refusal { refused[id] = refusal }
          }
        }
      }
    }
    return MatrixSpec(cases: cases, refused: refused)
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

  private static func axis(_ object: JSONObject?, field: String) throws(SynthesisError) -> [(name: String, list: JSONValue)] {
    guard let object, object.count > 0 else { return [("none", .array([]))] }
    var values: [(name: String, list: JSONValue)] = []
    for (name, value) in object {
      guard value.arrayValue != nil else {
        throw SynthesisError(field: "\(field).\(name)", .invalidValue("expected a list of mutations"))
      }
      values.append((name, value))
    }
    return values
  }
}
