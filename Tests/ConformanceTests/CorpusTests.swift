import AdapterLoading
import Synthesis
import SystemSupport
import TensorIO
import TestSupport
import Testing

@testable import Conformance

@Suite("Corpus folder")
struct CorpusTests {
  static func validCase(_ id: String, tuner: String = "LORA") -> String {
    """
    id: \(id)
    description: a clean round trip
    base: {architecture: llama}
    adapter: {tuner: \(tuner)}
    expect: {missing_keys: [], unexpected_keys: [], error: null}

    """
  }

  @Test func loadsCasesSortedAndLintsTheRest() throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/b/two.yaml", Self.validCase("b/two"))
    try dir.write("cases/a/one.yaml", Self.validCase("a/one", tuner: "LOHA"))
    try dir.write("cases/a/bad.yaml", Self.validCase("a/bad", tuner: "LOAH"))
    try dir.write("cases/a/notes.txt", "not a case")
    try dir.write("cases/a/wrong-id.yaml", Self.validCase("a/one"))
    let corpus = try Corpus.load(root: dir.path)
    #expect(corpus.cases.map(\.id) == ["a/one", "b/two"])
    #expect(corpus.cases.map(\.source) == ["cases/a/one.yaml", "cases/b/two.yaml"])
    let rendered = corpus.diagnostics.map(\.description)
    #expect(rendered.contains { $0.hasPrefix("cases/a/bad.yaml:4:18: error: unknown tuner 'LOAH'") }, "\(rendered)")
    #expect(rendered.contains { $0.hasPrefix("cases/a/notes.txt: error: not a case file") })
    #expect(rendered.contains { $0.hasPrefix("cases/a/wrong-id.yaml:1:5: error: case id 'a/one' does not match") })
    #expect(corpus.hasErrors)
  }

  @Test func hashChangesWithAnyFileAndOnlyThen() throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/a.yaml", Self.validCase("a"))
    let first = try Corpus.load(root: dir.path).hash
    #expect(try Corpus.load(root: dir.path).hash == first)
    #expect(first.count == 64)
    try dir.write("malformed/safetensors/x.safetensors", [0, 1, 2])
    let second = try Corpus.load(root: dir.path).hash
    #expect(second != first)
    try dir.write("expectations/peft.yaml", "loader: peft\nentries: []\n")
    #expect(try Corpus.load(root: dir.path).hash != second)
  }

  @Test func missingCasesFolderThrows() {
    let dir = TemporaryDirectory()
    #expect(throws: FileError.self) { try Corpus.load(root: dir.path) }
  }

  @Test func malformedFilesAreCheckedForExistence() throws {
    let dir = TemporaryDirectory()
    let text = """
      id: m
      description: header length beyond the file
      base: {architecture: llama}
      adapter: {tuner: LORA}
      malformed: {file: safetensors/short.safetensors}
      expect: {error: {kind: format-error, format_error: InvalidHeaderLength}}
      """
    try dir.write("cases/m.yaml", text)
    #expect(try Corpus.load(root: dir.path).diagnostics.contains { $0.message.contains("does not exist") })
    try dir.write("malformed/safetensors/short.safetensors", [8, 0, 0, 0, 0, 0, 0, 0, 0x7B])
    let corpus = try Corpus.load(root: dir.path)
    #expect(corpus.diagnostics.isEmpty, "\(corpus.diagnostics)")
    #expect(corpus.cases.first?.formats == [.safetensors], "the format follows the file")
  }

  @Test func scaffoldIsAValidCase() {
    let (spec, diagnostics) = CaseDecoder().decode(
      CaseScaffold.text(id: "family/new-case"), file: "cases/family/new-case.yaml", expectedID: "family/new-case")
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    #expect(spec?.formats == [.safetensors, .hdf5])
    #expect(spec?.expect.error == ErrorExpectation.none)
  }

  @Test(arguments: [
    ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
  ])
  func sha256KnownAnswers(_ input: String, _ digest: String) {
    var hasher = SHA256()
    hasher.update(input)
    #expect(hasher.finalize() == digest)
  }

  @Test func sha256MillionA() {
    var hasher = SHA256()
    hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
    #expect(hasher.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }
}

@Suite("Malformed manifests")
struct MalformedManifestTests {
  @Test func everyRejectedFileBecomesACase() throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/a.yaml", CorpusTests.validCase("a"))
    try dir.write(
      "malformed/safetensors/expected.json",
      """
      {"cases": [
        {"file": "hole.safetensors", "expected": {"error": "invalidOffset", "tensor": "b"}, "note": "a hole"},
        {"file": "dup.safetensors", "expected": {"ok": ["a"]}, "strict": {"error": "duplicateKey", "tensor": "a"}, "note": "twice"},
        {"file": "fine.safetensors", "expected": {"ok": []}, "note": "valid"}
      ]}
      """)
    try dir.write(
      "malformed/hdf5/manifest.json",
      """
      {"format": "adaptest-malformed-hdf5", "cases": [
        {"file": "text.h5", "error": "not-hdf5", "stage": "open", "why": "a text file"},
        {"file": "odd.h5", "error": "no-such-kind", "stage": "open", "why": "typo"}
      ]}
      """)
    let corpus = try Corpus.load(root: dir.path)
    #expect(corpus.cases.map(\.id) == ["a", "malformed/hdf5/odd", "malformed/hdf5/text", "malformed/safetensors/dup", "malformed/safetensors/hole"])
    let dup = try #require(corpus.cases.first { $0.id == "malformed/safetensors/dup" })
    #expect(dup.expect.error == .error(ExpectedError(kind: .formatError, formatError: "duplicateKey")), "strict wins")
    #expect(dup.malformed == MalformedInput(file: "safetensors/dup.safetensors", replaces: .adapter))
    #expect(dup.formats == [.safetensors])
    #expect(dup.source == "malformed/safetensors/expected.json")
    let text = try #require(corpus.cases.first { $0.id == "malformed/hdf5/text" })
    #expect(text.formats == [.hdf5])
    #expect(text.description.contains("a text file"))
    #expect(corpus.diagnostics.map(\.description) == [
      "malformed/hdf5/manifest.json: error: cases[1]: unknown format error 'no-such-kind'; expected one of "
        + CaseVocabulary.standard.formatErrors.sortedUTF8().joined(separator: ", ")
    ])
  }
}

@Suite("Rule-table cross-check")
struct RuleTableCrossCheckTests {
  @Test func aWrittenExpectationThatContradictsTheRuleTableIsAWarning() throws {
    let dir = TemporaryDirectory()
    // Dropping lora_B of layer 1 makes exactly that key missing; this case claims another one.
    try dir.write(
      "cases/wrong.yaml",
      """
      id: wrong
      description: a deliberately wrong expectation
      base: {architecture: llama, config: {vocab_size: 128, hidden_size: 16, num_hidden_layers: 2}}
      adapter:
        tuner: LORA
        config: {r: 4, target_modules: [q_proj, v_proj]}
        mutations: [drop_keys: {keys: [base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight]}]
      expect:
        missing_keys: [base_model.model.model.layers.0.self_attn.v_proj.lora_B.default.weight]
        error: null
      """)
    let corpus = try Corpus.load(root: dir.path)
    let warning = try #require(corpus.diagnostics.first)
    #expect(warning.severity == .warning)
    #expect(warning.location == SourceLocation(file: "cases/wrong.yaml", line: 9, column: 3))
    #expect(warning.message.contains("layers.1.self_attn.v_proj.lora_B.default.weight"))
    #expect(corpus.cases.map(\.id) == ["wrong"], "a warning keeps the case")
  }

  @Test func aCaseTheGeneratorCannotBuildIsAnErrorAtItsField() throws {
    let dir = TemporaryDirectory()
    try dir.write(
      "cases/unbuildable.yaml",
      """
      id: unbuildable
      description: drops a key the checkpoint does not have
      base: {architecture: llama}
      adapter:
        tuner: LORA
        config: {r: 4, target_modules: [q_proj]}
        mutations:
          - drop_keys: {keys: [no.such.key]}
      expect: {error: null}
      """)
    let corpus = try Corpus.load(root: dir.path)
    let error = try #require(corpus.diagnostics.first)
    #expect(error.severity == .error)
    #expect(error.message.hasPrefix("the generator cannot build this case: adapter.mutations[0]"), "\(error)")
    #expect(error.location.line == 8)
    #expect(corpus.cases.isEmpty)
  }
}

/// A filtered run plans only the matrix cases it selects; the others stay known by id.
@Suite("Matrix selection")
struct MatrixSelectionTests {
  static let matrix = """
    architectures: [llama, gpt2]
    base_mutations:
      same: []
      vocab-up:
        - resize_vocab: {to: 300}
    tuners:
      lora: {tuner: LORA}
      ia3: {tuner: IA3}
    adapter_mutations:
      intact: []

    """

  @Test("only the selected cases are planned, each as a full load plans it; the rest are listed by id")
  func selectedCasesArePlannedAlike() throws {
    let dir = TemporaryDirectory()
    try dir.write("matrix.yaml", Self.matrix)
    let all = MatrixCases.load(root: dir.path)
    #expect(all.diagnostics.isEmpty, "\(all.diagnostics)")
    #expect(all.cases.count == 8 && all.unplanned.isEmpty)
    let some = MatrixCases.load(root: dir.path) { $0.hasPrefix("matrix/gpt2/") }
    #expect(some.cases.map(\.id).sorted() == all.cases.map(\.id).filter { $0.hasPrefix("matrix/gpt2/") }.sorted())
    #expect(Set(some.unplanned) == Set(all.cases.map(\.id).filter { !$0.hasPrefix("matrix/gpt2/") }))
    #expect(some.hash == all.hash)
    for spec in some.cases {
      let full = try #require(all.cases.first { $0.id == spec.id })
      #expect(spec.expect == full.expect && spec.plan != nil && spec.unbuildable == full.unbuildable)
    }
  }

  @Test(
    "a matrix case's id maps each character as its definition does, printable ASCII by bytes",
    arguments: [
      "llama/same/lora/intact", "Qwen3_MoE/Vocab-Up/LoRA/No Prefix", "a+b/c:d/e=f/g~h", "gpt2/wider/ia3/x.y_z-w",
      "É/ǅ/ß/x", "e\u{301}/①/٣/x", "a\r\nb/c\td/e/f", "",
    ])
  func caseIDsMapCharacters(id: String) {
    let defined = "matrix/" + id.lowercased().map { $0.isLetter || $0.isNumber || "._-/".contains($0) ? $0 : "-" }.map(String.init).joined()
    #expect(MatrixCases.caseID(PairSpec(id: id, base: BaseModelSpec(family: .llama), adapter: AdapterConfigSpec(peftType: "LORA"))) == defined)
  }

  @Test("an expectation entry naming only unplanned cases is not stale; one naming no case is")
  func unplannedCasesAreKnownToExpectations() throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/a.yaml", CorpusTests.validCase("a"))
    try dir.write("matrix.yaml", Self.matrix)
    try dir.write(
      "expectations/peft.yaml",
      """
      loader: peft
      entries:
        - match: '^matrix/llama/vocab-up/'
          status: xfail
          reason: named cases exist but are not selected
          ref: test
        - match: '^matrix/mistral/'
          status: xfail
          reason: no such case
          ref: test

      """)
    let corpus = try Corpus.load(root: dir.path, matrix: .only { $0.hasPrefix("matrix/gpt2/") })
    #expect(corpus.cases.map(\.id).filter { $0.hasPrefix("matrix/") }.count == 4)
    #expect(corpus.unplannedMatrixCaseIDs.count == 4)
    let stale = corpus.diagnostics.filter { $0.message.contains("matches no case") }
    #expect(stale.count == 1 && stale[0].message.contains("mistral"), "\(corpus.diagnostics)")
    #expect(try Corpus.load(root: dir.path, matrix: .none).cases.map(\.id) == ["a"])
  }

  /// Every entry of every expectation file is checked against the case ids: a stale entry is a warning at
  /// its line, a pattern over the matching budget an error at its line that drops its file, and the other
  /// files stand.
  @Test func expectationEntriesAreCheckedEachAtItsLine() throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/a.yaml", CorpusTests.validCase("a"))
    try dir.write(
      "expectations/peft.yaml",
      """
      loader: peft
      entries:
        - match: '^a$'
          status: xfail
          reason: fine
          ref: test
        - match: '(a+)+b!'
          status: skip
          reason: hostile
          ref: test

      """)
    try dir.write(
      "expectations/recommended.yaml",
      """
      loader: recommended
      entries:
        - match: '^a$'
          status: xfail
          reason: fine
          ref: test
        - match: '^gone$'
          status: xfail
          reason: stale
          ref: test

      """)
    let hostileID = String(repeating: "a", count: 40) + "c/b!"
    let corpus = try Corpus.load(root: dir.path, extraCaseIDs: [hostileID], matrix: .none)
    #expect(corpus.expectations["peft"] == nil)
    #expect(corpus.expectations["recommended"]?.entries.map(\.pattern.source) == ["^a$", "^gone$"])
    let findings = corpus.diagnostics.map(\.description)
    #expect(findings.count == 2, "\(findings)")
    #expect(findings.contains { $0.hasPrefix("expectations/peft.yaml:7") && $0.contains("error") && $0.contains("exceeds the matching budget") }, "\(findings)")
    #expect(findings.contains { $0.hasPrefix("expectations/recommended.yaml:7") && $0.contains("warning") && $0.contains("'^gone$' matches no case") }, "\(findings)")
  }
}
