import AdapterLoading
import Synthesis
import TensorIO

/// Malformed-input cases derived from the manifests of the generated malformed corpora
/// (`Corpus/malformed/safetensors/expected.json`, `Corpus/malformed/hdf5/manifest.json`): one case
/// per file the format's rules reject, expecting a `format-error` with the file's error kind.
///
/// The manifests are written by hand from the format rules (and checked against the reference
/// reader by their generators), so they are the spec; these cases only put each file in the place
/// of a generated adapter's weights.
enum MalformedManifests {
  /// The pair every derived case builds: a tiny llama with a LoRA on q_proj/v_proj, its adapter
  /// weights then replaced by the malformed file.
  static func recipe(id: String, format: CheckpointFormat) throws(SynthesisError) -> PairSpec {
    let base = try BaseModelSpec(
      family: .llama, config: JSONObject([("vocab_size", .int(128)), ("hidden_size", .int(16)), ("num_hidden_layers", .int(2))]),
      path: "base.config")
    let adapter = AdapterConfigSpec(
      peftType: "LORA", fields: JSONObject([("r", .int(4)), ("target_modules", .strings(["q_proj", "v_proj"]))]))
    return PairSpec(id: id, base: base, adapter: adapter, formats: [format])
  }

  /// One manifest entry: a file and the format error a correct loader names.
  private struct Entry {
    var file: String
    var formatError: String
    var why: String
  }

  /// Every derived case, plus problems with the manifests themselves.
  static func cases(root: String, vocabulary: CaseVocabulary) -> ([CaseSpec], [LintDiagnostic]) {
    var cases: [CaseSpec] = []
    var diagnostics: [LintDiagnostic] = []
    let manifests: [(format: CheckpointFormat, source: String, what: String, entry: (JSONValue) -> Entry?)] = [
      (
        .safetensors, "malformed/safetensors/expected.json", "weights file",
        { entry in
          // Adaptest's strict default is the spec where it deliberately differs from the reference.
          let expectation = entry["strict"].flatMap { $0.isNull ? nil : $0 } ?? entry["expected"]
          guard let file = entry["file"]?.stringValue, let kind = expectation?["error"]?.stringValue else { return nil }
          return Entry(file: file, formatError: kind, why: entry["note"]?.stringValue ?? "")
        }
      ),
      (
        .hdf5, "malformed/hdf5/manifest.json", "HDF5 weights file",
        { entry in
          guard let file = entry["file"]?.stringValue, let kind = entry["error"]?.stringValue else { return nil }
          return Entry(file: file, formatError: kind, why: entry["why"]?.stringValue ?? "")
        }
      ),
    ]
    for manifest in manifests {
      guard let document = read(FileSystem.join(root, manifest.source), manifest.source, &diagnostics) else { continue }
      for (i, item) in (document["cases"]?.arrayValue ?? []).enumerated() {
        guard let entry = manifest.entry(item) else { continue }
        let id = "malformed/\(manifest.format.rawValue)/" + stem(entry.file)
        do {
          cases.append(
            CaseSpec(
              id: id,
              description:
                "The adapter's \(manifest.what) is malformed (\(entry.why)); a correct loader refuses it with a format error.",
              refs: [manifest.source], recipe: try recipe(id: id, format: manifest.format),
              malformed: MalformedInput(file: "\(manifest.format.rawValue)/" + entry.file, replaces: .adapter),
              expect: ExpectedOutcome(error: .error(ExpectedError(kind: .formatError, formatError: entry.formatError))),
              source: manifest.source))
        } catch {
          diagnostics.append(
            LintDiagnostic(.error, at: SourceLocation(file: manifest.source), "the generator cannot build the template: \(error)"))
        }
        check(entry.formatError, file: manifest.source, index: i, vocabulary, &diagnostics)
      }
    }
    return (cases, diagnostics)
  }

  private static func read(_ path: String, _ file: String, _ diagnostics: inout [LintDiagnostic]) -> JSONValue? {
    guard FileSystem.isFile(path) else { return nil }
    do {
      return try JSONValue.parse(try FileSystem.read(path))
    } catch {
      diagnostics.append(LintDiagnostic(.error, at: SourceLocation(file: file), "unreadable manifest: \(error)"))
      return nil
    }
  }

  private static func check(
    _ kind: String, file: String, index: Int, _ vocabulary: CaseVocabulary, _ diagnostics: inout [LintDiagnostic]
  ) {
    guard !vocabulary.formatErrors.contains(FormatErrorName.canonical(kind)) else { return }
    diagnostics.append(
      LintDiagnostic(
        .error, at: SourceLocation(file: file), "cases[\(index)]: unknown format error '\(kind)'",
        expected: Suggestions.expected(kind, among: vocabulary.formatErrors)))
  }

  private static func stem(_ file: String) -> String {
    guard let dot = file.lastIndex(of: ".") else { return file }
    return String(file[..<dot])
  }
}
