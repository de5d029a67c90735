import TestSupport
import Foundation
import TensorIO
import Testing

@testable import Conformance

/// Corpus authoring as a new contributor meets it: where a problem is, what was meant, and which
/// expectation entry made a result expected.
@Suite("Lint for corpus authors", .serialized)
struct LintAuthoringTests {
  static let dedentedMutations = """
    id: b/three
    description: drops a key
    mutations:
      - drop_keys: {keys: [x]}
    base: {architecture: llama}
    adapter: {tuner: LORA}
    expect: {missing_keys: [], unexpected_keys: [], error: null}

    """

  @Test func aMisplacedFieldSaysWhereItBelongs() throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/b/three.yaml", Self.dedentedMutations)
    let corpus = try Corpus.load(root: dir.path)
    let diagnostic = try #require(corpus.diagnostics.first)
    #expect(diagnostic.location == SourceLocation(file: "cases/b/three.yaml", line: 3, column: 1))
    #expect(diagnostic.message == "unknown field 'mutations' in the case")
    #expect(diagnostic.expected?.hasPrefix("base.mutations or adapter.mutations (it belongs there, not in the case)") == true)
    // A near miss of a field of this section is still suggested as such.
    try dir.write("cases/b/three.yaml", Self.dedentedMutations.replacingOccurrences(of: "mutations:", with: "adaptr:"))
    let typo = try #require(try Corpus.load(root: dir.path).diagnostics.first { $0.message.contains("adaptr") })
    #expect(typo.expected?.hasPrefix("'adapter' (did you mean it?)") == true)
  }

  @Test func aConfigFieldOneTypoAwayFromTheTunersConfigClassGetsASuggestion() throws {
    let dir = TemporaryDirectory()
    let text = CorpusTests.validCase("a").replacingOccurrences(
      of: "adapter: {tuner: LORA}", with: "adapter:\n  tuner: LORA\n  config: {r: 4, lora_alhpa: 8}")
    try dir.write("cases/a.yaml", text)
    let corpus = try Corpus.load(root: dir.path)
    #expect(corpus.diagnostics.map(\.description) == [
      "cases/a.yaml:6:30: error: the generator cannot build this case: adapter.config.lora_alhpa: LORA has no field 'lora_alhpa'; "
        + "expected 'lora_alpha' (did you mean it?)"
    ])
    // A field far from every LoraConfig field gets no guess.
    try dir.write("cases/a.yaml", text.replacingOccurrences(of: "lora_alhpa", with: "my_own_field"))
    let far = try #require(try Corpus.load(root: dir.path).diagnostics.first)
    #expect(far.message.hasSuffix("LORA has no field 'my_own_field'") && far.expected == nil)
  }

  @Test(arguments: ["TODO", "TODO: explain", "fixme later", "  TBD"])
  func aPlaceholderDescriptionIsAWarning(_ description: String) throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/a.yaml", CorpusTests.validCase("a").replacingOccurrences(of: "a clean round trip", with: "'\(description)'"))
    let corpus = try Corpus.load(root: dir.path)
    #expect(corpus.cases.map(\.id) == ["a"], "a warning keeps the case")
    let warning = try #require(corpus.diagnostics.first)
    #expect(warning.severity == .warning && warning.location.line == 2)
    #expect(warning.message.hasPrefix("the description is still a placeholder"))
  }

  @Test func aDescriptionThatMerelyMentionsTodoIsFine() throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/a.yaml", CorpusTests.validCase("a").replacingOccurrences(of: "a clean round trip", with: "Todos-free round trip"))
    #expect(try Corpus.load(root: dir.path).diagnostics.isEmpty)
  }

  @Test(arguments: [("pfet", "'peft' (did you mean it?)"), ("recomended", "'recommended' (did you mean it?)"), ("mystery", "a built-in profile")])
  func anExpectationFileForAnUnknownLoaderIsAnError(loader: String, hint: String) throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/a.yaml", CorpusTests.validCase("a"))
    try dir.write("expectations/\(loader).yaml", "loader: \(loader)\nentries: []\n")
    try dir.write("expectations/peft@0.18.yaml", "loader: peft@0.18\nentries: []\n")
    let corpus = try Corpus.load(root: dir.path)
    #expect(corpus.diagnostics.map(\.description) == [
      "expectations/\(loader).yaml: error: no loader is called '\(loader)'; expected "
        + (hint.hasPrefix("a built-in") ? "" : hint + "; ") + "a built-in profile peft, peft-0.13, recommended, or NAME@VERSION for a driver"
    ])
    #expect(corpus.expectations.keys.sorted() == ["peft@0.18"], "a driver's file is fine")
  }

  @Test func lintPathsOpenFromTheWorkingDirectory() throws {
    let dir = TemporaryDirectory()
    try dir.write("Corpus/cases/b/three.yaml", Self.dedentedMutations)
    for corpus in ["Corpus", "./Corpus/", dir.file("Corpus")] {
      let lint = try AdaptestCLI.run(["corpus", "lint", "--corpus", corpus], in: dir.path)
      #expect(lint.status == 1)
      let first = try #require(lint.out.split(separator: "\n").first)
      let expectedFile = corpus.hasPrefix("/") ? dir.file("Corpus/cases/b/three.yaml") : "Corpus/cases/b/three.yaml"
      #expect(first.hasPrefix("\(expectedFile):3:1: error: unknown field 'mutations'"), "\(first)")
      #expect(FileManager.default.fileExists(atPath: dir.file(String(first.prefix { $0 != ":" }).replacingOccurrences(of: dir.path + "/", with: ""))))
    }
  }

  @Test func expectedResultsNameTheEntryThatMadeThemExpected() throws {
    let dir = TemporaryDirectory()
    for id in ["a/one", "a/two"] {
      var text = CorpusTests.validCase(id)
      if id == "a/one" { text = text.replacingOccurrences(of: "missing_keys: []", with: "missing_keys: [x.weight]") }
      try dir.write("Corpus/cases/\(id).yaml", text)
    }
    // A family-wide entry on line 4: a/one fails as it says (XFAIL); a/two passes though it says not (XPASS).
    try dir.write(
      "Corpus/expectations/recommended.yaml",
      "# family-wide\nloader: recommended\nentries:\n  - match: '^a/'\n    status: xfail\n    reason: the whole family\n    ref: issue-1\n")
    let run = try AdaptestCLI.run(["run", "--loader", "recommended", "--no-baseline", "--out", "out"], in: dir.path)
    #expect(run.status == 1, "\(run.err)")
    let results = try ReportWriter.read(dir.file("out/results.json")).results
    #expect(results.map(\.status) == [.xfail, .xpass])
    #expect(results.allSatisfy { $0.expectation?.at == "expectations/recommended.yaml:4" })
    #expect(results[1].message == "passes, but the expectation file says it fails: the whole family (issue-1) at expectations/recommended.yaml:4")
    #expect(try dir.read("out/summary.md").contains("the whole family (issue-1) at expectations/recommended.yaml:4"))
    #expect(try dir.read("out/junit.xml").contains("xfail: the whole family (issue-1) at expectations/recommended.yaml:4"))
  }
}
