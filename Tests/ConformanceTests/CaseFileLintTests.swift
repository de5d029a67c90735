import Conformance
import TensorIO
import TestSupport
import Testing

/// `corpus lint FILE…`: one case file linted alone, without the rest of the corpus or the matrix.
@Suite("Linting one case file")
struct CaseFileLintTests {
  @Test("a committed case lints clean alone, and a broken one names its lines")
  func alone() throws {
    let good = Repository.corpus + "/cases/adapter-names/overwrite-loaded.yaml"
    let (cases, diagnostics) = try Corpus.lint(caseFiles: [good], root: Repository.corpus)
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    #expect(cases.map(\.id) == ["adapter-names/overwrite-loaded"])
    #expect(cases.first?.plan != nil, "planned, as the full lint plans it")

    let dir = TemporaryDirectory("lint-one")
    let bad = try dir.write(
      "Corpus/cases/a/bad.yaml",
      "id: a/bad\ndescription: TODO\nbase: {architecture: lama}\nadapter: {tuner: LORA}\nexpect: {error: null}\n")
    let (none, found) = try Corpus.lint(caseFiles: [bad], root: dir.file("Corpus"))
    #expect(none.isEmpty)
    #expect(found.contains { $0.severity == .error && $0.location.line == 3 && $0.description.contains("lama") }, "\(found)")

    let outside = try dir.write("elsewhere.yaml", "id: x\n")
    let (_, refused) = try Corpus.lint(caseFiles: [outside], root: dir.file("Corpus"))
    #expect(refused.contains { $0.description.contains("not under the corpus's cases folder") })
    #expect(refused.allSatisfy { $0.relative(to: "Corpus").location.file == outside }, "an absolute path stays as given")
  }
}
