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
  /// The base and adapter every derived case uses: a tiny llama with a LoRA on q_proj/v_proj.
  static func template(id: String, description: String, file: String, formatError: String, format: CheckpointFormat, source: String)
    throws(SynthesisError) -> CaseSpec
  {
    let base = try BaseModelSpec(
      family: .llama, config: JSONObject([("vocab_size", .int(128)), ("hidden_size", .int(16)), ("num_hidden_layers", .int(2))]),
      path: "base.config")
    let adapter = AdapterConfigSpec(
      peftType: "LORA", fields: JSONObject([("r", .int(4)), ("target_modules", .strings(["q_proj", "v_proj"]))]))
    return CaseSpec(
      id: id, description: description, refs: [source], recipe: PairSpec(id: id, base: base, adapter: adapter, formats: [format]),
      malformed: MalformedInput(file: file, replaces: .adapter),
      expect: ExpectedOutcome(error: .error(ExpectedError(kind: .formatError, formatError: formatError))), source: source)
  }

  private static func append(
    _ make: () throws(SynthesisError) -> CaseSpec, source: String, to cases: inout [CaseSpec], _ diagnostics: inout [LintDiagnostic]
  ) {
    do {
      cases.append(try make())
    } catch {
      diagnostics.append(LintDiagnostic(.error, at: SourceLocation(file: source), "the generator cannot build the template: \(error)"))
    }
  }

  /// Every derived case, plus problems with the manifests themselves.
  static func cases(root: String, vocabulary: CaseVocabulary) -> ([CaseSpec], [LintDiagnostic]) {
    var cases: [CaseSpec] = []
    var diagnostics: [LintDiagnostic] = []
    let safetensors = "malformed/safetensors/expected.json"
    if let document = read(FileSystem.join(root, safetensors), safetensors, &diagnostics) {
      for (i, entry) in (document["cases"]?.arrayValue ?? []).enumerated() {
        // Adaptest's strict default is the spec where it deliberately differs from the reference.
        let expectation = entry["strict"].flatMap { $0.isNull ? nil : $0 } ?? entry["expected"]
        guard let file = entry["file"]?.stringValue, let kind = expectation?["error"]?.stringValue else { continue }
        let note = entry["note"]?.stringValue ?? ""
        append(
          { () throws(SynthesisError) in
            try template(
              id: "malformed/safetensors/" + stem(file),
              description: "The adapter's weights file is malformed (\(note)); a correct loader refuses it with a format error.",
              file: "safetensors/" + file, formatError: kind, format: .safetensors, source: safetensors)
          }, source: safetensors, to: &cases, &diagnostics)
        check(kind, file: safetensors, index: i, vocabulary, &diagnostics)
      }
    }
    let hdf5 = "malformed/hdf5/manifest.json"
    if let document = read(FileSystem.join(root, hdf5), hdf5, &diagnostics) {
      for (i, entry) in (document["cases"]?.arrayValue ?? []).enumerated() {
        guard let file = entry["file"]?.stringValue, let kind = entry["error"]?.stringValue else { continue }
        let why = entry["why"]?.stringValue ?? ""
        append(
          { () throws(SynthesisError) in
            try template(
              id: "malformed/hdf5/" + stem(file),
              description: "The adapter's HDF5 weights file is malformed (\(why)); a correct loader refuses it with a format error.",
              file: "hdf5/" + file, formatError: kind, format: .hdf5, source: hdf5)
          }, source: hdf5, to: &cases, &diagnostics)
        check(kind, file: hdf5, index: i, vocabulary, &diagnostics)
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
