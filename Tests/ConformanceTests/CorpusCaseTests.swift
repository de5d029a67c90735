import TensorIO
import TestSupport
import Testing

@testable import Conformance

/// The repository's corpus, read once for the parameterized tests below.
enum CorpusFixture {
  /// The hand-written cases and the malformed-manifest cases; the generated matrix has its own test.
  static let corpus: Corpus? = try? Corpus.load(root: Repository.corpus, matrix: .none)
  static let cases: [CaseSpec] = corpus?.cases ?? []
}

extension CaseSpec: CustomTestStringConvertible {
  public var testDescription: String { id }
}

/// Every corpus case against the built-in profiles, one test per case: a case passes when each
/// profile's result is expected (PASS, XFAIL or SKIP) — FAIL, ERROR, TIMEOUT and XPASS fail it.
@Suite("Corpus cases against the built-in profiles")
struct CorpusCaseTests {
  @Test func theCorpusIsThere() throws {
    let corpus = try #require(CorpusFixture.corpus)
    // Without the matrix, entries for matrix cases look stale (warnings); errors are what counts.
    let errors = corpus.diagnostics.filter { $0.severity == .error }
    #expect(errors.isEmpty, "\(errors.map(\.description).joined(separator: "\n"))")
    #expect(CorpusFixture.cases.count >= 80)
  }

  /// The generated matrix expands to at least 2,000 cases, every one buildable or skipped with a
  /// reason, and its expectation-file entries all match something.
  @Test func theMatrixExpands() throws {
    let corpus = try Corpus.load(root: Repository.corpus)
    let errors = corpus.diagnostics.filter { $0.severity == .error }
    #expect(errors.isEmpty, "\(errors.map(\.description).joined(separator: "\n"))")
    let matrix = corpus.cases.filter { $0.id.hasPrefix("matrix/") }
    #expect(matrix.count >= 2000)
    #expect(matrix.allSatisfy { $0.unbuildable != nil || $0.expect.error != nil })
    #expect(matrix.filter { $0.unbuildable != nil }.allSatisfy { !($0.unbuildable ?? "").isEmpty })
  }

  @Test(arguments: CorpusFixture.cases)
  func corpusCase(_ spec: CaseSpec) async throws {
    let corpus = try #require(CorpusFixture.corpus)
    let dir = TemporaryDirectory()
    let loaders = BuiltinLoaders.names.compactMap { BuiltinLoaders.loader(named: $0) }
    let runner = ConformanceRunner(
      loaders: loaders, materializer: SynthesisMaterializer(corpusRoot: Repository.corpus),
      expectations: { corpus.expectations(forLoader: $0) },
      jobs: 1, scratch: dir.file("scratch"))
    let (_, results) = await runner.run(RunPlan.runs([spec]))
    #expect(results.count == loaders.count * spec.formats.count)
    for result in results {
      #expect(!result.status.isUnexpected, "\(result.loader) [\(result.format?.rawValue ?? "")]: \(result.status): \(result.message)")
    }
  }
}
