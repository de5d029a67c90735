import AdapterLoading
import Synthesis
import TensorIO
import Testing

@testable import Conformance

@Suite("Case files")
struct CaseDecoderTests {
  static let valid = """
    id: vocab/resized-after-training
    description: The base's vocabulary grew after training; the adapter does not reach the embeddings.
    refs: [peft#1932, peft#2084]
    base:
      architecture: llama
      config: {vocab_size: 128, rms_norm_eps: 1e-05}
      mutations:
        - resize_vocab: {to: 160}
    adapter:
      tuner: LORA
      config: {r: 4, target_modules: [q_proj, v_proj]}
    load:
      adapter_name: second
      loaded: [default]
    formats: [safetensors, hdf5]
    expect:
      missing_keys: []
      unexpected_keys: {excludes: [base_model.model.lm_head.weight]}
      error: null
      diagnostics: [base-drift-ignored]

    """

  func decode(_ text: String, expectedID: String? = nil) -> (CaseSpec?, [LintDiagnostic]) {
    CaseDecoder().decode(text, file: "cases/x.yaml", expectedID: expectedID)
  }

  @Test func decodesEveryField() throws {
    let (spec, diagnostics) = decode(Self.valid, expectedID: "vocab/resized-after-training")
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    let c = try #require(spec)
    #expect(c.id == "vocab/resized-after-training")
    #expect(c.refs == ["peft#1932", "peft#2084"])
    let recipe = try #require(c.recipe)
    #expect(recipe.id == c.id)
    #expect(recipe.base.family == .llama)
    #expect(recipe.base.dimensions.vocabSize == 128)
    #expect(recipe.base.configOverrides["rms_norm_eps"] == .number("1e-05"))
    #expect(recipe.baseMutations.map(\.value) == [.resizeVocab(to: 160, padToMultipleOf: nil)])
    #expect(recipe.baseMutations.map(\.description) == ["resize_vocab(to=160)"])
    #expect(recipe.baseMutations.map(\.path) == ["base.mutations[0].resize_vocab"])
    #expect(recipe.adapter.peftType == "LORA")
    #expect(recipe.adapter.fields["target_modules"] == .array([.string("q_proj"), .string("v_proj")]))
    #expect(c.load.adapterName == "second")
    #expect(recipe.loaded == [LoadedAdapterSpec(name: "default")])
    #expect(c.load.loadedAdapters == ["default"])
    #expect(c.load.call == .loadAdapter, "loaded adapters imply load_adapter")
    #expect(c.formats == [.safetensors, .hdf5])
    #expect(c.expect.missingKeys == .exactly([]))
    #expect(c.expect.unexpectedKeys == .constrained(includes: [], excludes: ["base_model.model.lm_head.weight"]))
    #expect(c.expect.error == ErrorExpectation.none)
    #expect(c.expect.diagnostics == .exactly(["base-drift-ignored"]))
    #expect(c.expect.warnings == nil, "not written, so not asserted")
    #expect(c.expect.mismatchedKeys == nil)
  }

  @Test func defaultsWhenOmitted() throws {
    let text = """
      id: x
      description: d
      base: {architecture: gpt2}
      adapter: {tuner: IA3}
      expect: {error: {kind: target-not-found, type: NoMatchingPeftModuleError}}
      """
    let (spec, diagnostics) = decode(text)
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    let c = try #require(spec)
    #expect(c.load == LoadSetup(adapterName: "default", loadedAdapters: [], ignoreMismatchedSizes: false, call: .fromPretrained))
    #expect(c.formats == [.safetensors])
    #expect(c.expect.error == .error(ExpectedError(kind: .targetNotFound, type: "NoMatchingPeftModuleError")))
  }

  /// `from_pretrained(adapter_folder)`: what the adapter folder names as its base, YAML `null` included.
  @Test(arguments: [
    ("", BaseReference.base), ("\n  base_model_name_or_path: absent", .absent), ("\n  base_model_name_or_path: null", .null),
    ("\n  base_model_name_or_path: 'null'", .null), ("\n  base_model_name_or_path: org/model", .named("org/model")),
  ])
  func decodesWhatTheAdapterNamesAsItsBase(_ field: String, _ reference: BaseReference) throws {
    let text = """
      id: x
      description: d
      base: {architecture: llama}
      adapter: {tuner: LORA}
      load:
        method: auto_from_pretrained\(field)
      expect: {error: null}
      """
    let (spec, diagnostics) = decode(text)
    #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics)")
    let load = try #require(spec).load
    #expect(load.call == .autoFromPretrained)
    #expect(load.baseReference == reference)
  }

  /// One problem per input, at a known line and column, with a known part of the message.
  struct Problem: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var line: Int
    var column: Int
    var message: String
    var expected: String? = nil
    var testDescription: String { name }
  }

  static let header = "id: x\ndescription: d\n"

  static let problems: [Problem] = [
    Problem(
      name: "unknown top-level field", yaml: header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nexpct: {}\nexpect: {error: null}\n",
      line: 5, column: 1, message: "unknown field 'expct' in the case", expected: "'expect' (did you mean it?)"),
    Problem(
      name: "tuner typo", yaml: header + "base: {architecture: llama}\nadapter:\n  tuner: LROA\nexpect: {error: null}\n",
      line: 5, column: 10, message: "unknown tuner 'LROA'", expected: "'LORA' (did you mean it?)"),
    Problem(
      name: "architecture typo", yaml: header + "base: {architecture: lama}\nadapter: {tuner: LORA}\nexpect: {error: null}\n",
      line: 3, column: 22, message: "unknown architecture 'lama'", expected: "'llama' (did you mean it?)"),
    Problem(
      name: "mutation typo",
      yaml: header + "base:\n  architecture: llama\n  mutations:\n    - resize_vocb: {to: 3}\nadapter: {tuner: LORA}\nexpect: {error: null}\n",
      line: 6, column: 7, message: "unknown mutation 'resize_vocb'", expected: "'resize_vocab' (did you mean it?)"),
    Problem(
      name: "mutation argument typo",
      yaml: header + "base:\n  architecture: llama\n  mutations:\n    - resize_vocab: {too: 3}\nadapter: {tuner: LORA}\nexpect: {error: null}\n",
      line: 6, column: 22, message: "unknown field 'too'", expected: "'to' (did you mean it?)"),
    Problem(
      name: "mutation argument type",
      yaml: header + "base:\n  architecture: llama\n  mutations:\n    - resize_vocab: {to: many}\nadapter: {tuner: LORA}\nexpect: {error: null}\n",
      line: 6, column: 26, message: "base.mutations[0].to must be a positive integer, found a string"),
    Problem(
      name: "missing mutation argument",
      yaml: header + "base:\n  architecture: llama\n  mutations:\n    - num_layers\nadapter: {tuner: LORA}\nexpect: {error: null}\n",
      line: 6, column: 7, message: "mutation 'num_layers' needs the argument 'to'"),
    Problem(
      name: "unknown error kind", yaml: header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nexpect:\n  error: size_mismatch\n",
      line: 6, column: 10, message: "unknown error kind 'size_mismatch'", expected: "'size-mismatch' (did you mean it?)"),
    Problem(
      name: "unknown diagnostic code",
      yaml: header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nexpect:\n  diagnostics: [embeding-size-mismatch]\n",
      line: 6, column: 17, message: "unknown diagnostic code 'embeding-size-mismatch'"),
    Problem(
      name: "keys and error together",
      yaml: header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nexpect:\n  missing_keys: [a]\n  error: {kind: size-mismatch}\n",
      line: 6, column: 3, message: "a failed load reports no keys"),
    Problem(
      name: "empty expect", yaml: header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nexpect: {}\n",
      line: 5, column: 9, message: "expect asserts nothing"),
    Problem(
      name: "missing and unexpected at once",
      yaml: header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nexpect:\n  missing_keys: [k]\n  unexpected_keys: [k]\n",
      line: 6, column: 3, message: "expected both missing and unexpected"),
    Problem(
      name: "mismatched keys without ignore",
      yaml: header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nexpect:\n  mismatched_keys: [k]\n",
      line: 6, column: 3, message: "ignore_mismatched_sizes is false"),
    Problem(
      name: "size mismatch error with ignore",
      yaml: header
        + "base: {architecture: llama}\nadapter: {tuner: LORA}\nload: {ignore_mismatched_sizes: true}\nexpect:\n  error: {kind: size-mismatch}\n",
      line: 7, column: 3, message: "ignore_mismatched_sizes is true"),
    Problem(
      name: "from_pretrained with loaded adapters",
      yaml: header
        + "base: {architecture: llama}\nadapter: {tuner: LORA}\nload: {loaded: [default], method: from_pretrained}\nexpect: {error: null}\n",
      line: 1, column: 1, message: "load.loaded must be empty"),
    Problem(
      name: "base_model_name_or_path without auto_from_pretrained",
      yaml: header
        + "base: {architecture: llama}\nadapter: {tuner: LORA}\nload:\n  base_model_name_or_path: absent\nexpect: {error: null}\n",
      line: 6, column: 28, message: "read by method auto_from_pretrained only", expected: "method: auto_from_pretrained"),
    Problem(
      name: "auto_from_pretrained with loaded adapters",
      yaml: header
        + "base: {architecture: llama}\nadapter: {tuner: LORA}\nload: {loaded: [default], method: auto_from_pretrained}\nexpect: {error: null}\n",
      line: 1, column: 1, message: "load.method auto_from_pretrained builds a fresh model"),
    Problem(
      name: "duplicate field", yaml: header + "description: again\nbase: {architecture: llama}\nadapter: {tuner: LORA}\nexpect: {error: null}\n",
      line: 2, column: 1, message: "field 'description' is given twice"),
    Problem(
      name: "wrong type for a list", yaml: header + "refs: peft#1\nbase: {architecture: llama}\nadapter: {tuner: LORA}\nexpect: {error: null}\n",
      line: 3, column: 7, message: "refs must be a list of strings, found a string"),
    Problem(
      name: "number where a name is wanted",
      yaml: header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nload: {adapter_name: 7}\nexpect: {error: null}\n",
      line: 5, column: 22, message: "load.adapter_name must be a string, found an integer"),
    Problem(
      name: "required field missing", yaml: "id: x\nbase: {architecture: llama}\nadapter: {tuner: LORA}\nexpect: {error: null}\n",
      line: 1, column: 1, message: "missing the required field 'description'"),
    Problem(
      name: "invalid YAML", yaml: header + "base: {architecture: llama\nadapter: x\n", line: 4, column: 8, message: "invalid YAML"),
    Problem(
      name: "malformed case without a format error",
      yaml: header
        + "base: {architecture: llama}\nadapter: {tuner: LORA}\nmalformed: {file: safetensors/a.safetensors}\nexpect: {error: null}\n",
      line: 6, column: 9, message: "must expect the load to fail with a format error"),
    Problem(
      name: "malformed path escaping the folder",
      yaml: header
        + "base: {architecture: llama}\nadapter: {tuner: LORA}\nmalformed: {file: ../x.safetensors}\nexpect: {error: {kind: format-error}}\n",
      line: 5, column: 19, message: "must be a plain path inside Corpus/malformed/"),
    Problem(
      name: "format error on a non-format kind",
      yaml: header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nexpect:\n  error: {kind: size-mismatch, format_error: InvalidOffset}\n",
      line: 6, column: 10, message: "only meaningful with kind 'format-error'"),
    Problem(
      name: "includes and excludes overlap",
      yaml: header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nexpect:\n  missing_keys: {includes: [a], excludes: [a]}\n",
      line: 6, column: 44, message: "both included and excluded"),
    Problem(
      name: "id does not match the file",
      yaml: "id: y\ndescription: d\nbase: {architecture: llama}\nadapter: {tuner: LORA}\nexpect: {error: null}\n",
      line: 1, column: 5, message: "does not match the file's location", expected: "'x'"),
  ]

  @Test(arguments: problems) func reportsProblemWithLocation(_ problem: Problem) {
    let (spec, diagnostics) = decode(problem.yaml, expectedID: "x")
    #expect(spec == nil, "a file with errors yields no case")
    let match = diagnostics.first { $0.severity == .error && $0.message.contains(problem.message) }
    #expect(match != nil, "no error containing \"\(problem.message)\" in \(diagnostics)")
    if let match {
      #expect(match.location == SourceLocation(file: "cases/x.yaml", line: problem.line, column: problem.column))
      if let expected = problem.expected { #expect(match.expected?.contains(expected) == true, "\(match)") }
      #expect(match.description.hasPrefix("cases/x.yaml:\(problem.line):\(problem.column): error: "))
    }
  }

  @Test func reportsEveryProblemInOneFile() {
    let text = """
      id: x
      descriptoin: d
      base: {architecture: lama}
      adapter: {tuner: LROA, confg: {}}
      expect: {error: null}
      """
    let (_, diagnostics) = decode(text)
    let messages = diagnostics.map(\.message)
    #expect(messages.contains { $0.contains("'descriptoin'") })
    #expect(messages.contains { $0.contains("'lama'") })
    #expect(messages.contains { $0.contains("'LROA'") })
    #expect(messages.contains { $0.contains("'confg'") })
    #expect(messages.contains { $0.contains("'description'") })
    #expect(diagnostics == diagnostics.sorted(), "diagnostics come sorted by location")
  }

  @Test(arguments: ["", "[]", "just text", "- a\n- b", "id: [1", "\u{FEFF}id: x"])
  func neverTrapsOnJunk(_ text: String) {
    let (spec, diagnostics) = decode(text)
    #expect(spec == nil)
    #expect(!diagnostics.isEmpty)
  }

  @Test func missingMalformedFileIsAnError() {
    let text = Self.header + "base: {architecture: llama}\nadapter: {tuner: LORA}\nmalformed: {file: safetensors/gone.safetensors}\nexpect: {error: {kind: format-error}}\n"
    let decoder = CaseDecoder(malformedFileExists: { _ in false })
    let (_, diagnostics) = decoder.decode(text, file: "cases/x.yaml")
    #expect(diagnostics.contains { $0.message.contains("does not exist") })
  }

  @Test(arguments: [
    ("a", true), ("a/b-c/d.e_f", true), ("1/2", true), ("A", false), ("a//b", false), ("/a", false), ("a/", false),
    (".a", false), ("a b", false), ("-a", false),
  ])
  func validIDs(_ id: String, _ valid: Bool) {
    #expect(CaseDecoder.isValidID(id) == valid)
  }

  @Test func suggestionsPickTheClosestName() {
    #expect(Suggestions.closest(to: "LROA", in: ["LORA", "LOHA", "LOKR"]) == "LORA")
    #expect(Suggestions.closest(to: "zzzzzz", in: ["LORA"]) == nil)
  }
}
