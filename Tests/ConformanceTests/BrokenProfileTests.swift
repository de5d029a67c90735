import TensorIO
import TestSupport
import Testing

@testable import Conformance

/// A built-in profile with a deliberate bug: every successful load also reports one spurious
/// missing key (the kind of regression PEFT ≤ 0.13 had).
struct BrokenProfile: ConformanceLoader {
  let wrapped: any ConformanceLoader
  var id: String { wrapped.id }

  func start() async throws -> LoaderInfo { try await wrapped.start() }

  func run(_ prepared: PreparedCase) async throws -> LoaderAnswer {
    guard case .outcome(var outcome) = try await wrapped.run(prepared), outcome.error == nil else {
      return try await wrapped.run(prepared)
    }
    outcome.missingKeys.append("base_model.model.lm_head.weight")
    return .outcome(outcome)
  }
}

@Suite("Regressions")
struct BrokenProfileTests {
  /// A broken profile's run, diffed against the sound profile's run, shows every case that the
  /// bug breaks as a regression — and nothing else.
  @Test func diffCatchesABrokenProfile() async throws {
    let corpus = try Corpus.load(root: Repository.corpus, matrix: .none)
    let cases = corpus.cases.filter { $0.id.hasPrefix("vocab-resized/") || $0.id.hasPrefix("keys/") || $0.id.hasPrefix("malformed-base/") }
    let dir = TemporaryDirectory()
    func run(_ loader: any ConformanceLoader, _ folder: String) async -> RunResults {
      let suite = ConformanceSuite(
        cases: cases, corpusHash: corpus.hash, expectations: { corpus.expectations(forLoader: $0) }, loaders: [loader],
        materializer: SynthesisMaterializer(corpusRoot: Repository.corpus), scratch: dir.file(folder))
      return await suite.run()
    }
    let sound = try #require(BuiltinLoaders.loader(named: "recommended"))
    let before = await run(sound, "sound")
    let after = await run(BrokenProfile(wrapped: sound), "broken")
    let diff = ResultsDiff.compare(old: before, new: after)

    // Expected from construction: a case that passed and lists its missing keys exactly, on a
    // successful load, now fails; cases expecting an error, or only constraining the list, are untouched.
    let breakable = Set(
      before.results.filter { result in
        guard let spec = cases.first(where: { $0.id == result.id }), case .exactly = spec.expect.missingKeys else {
          return false
        }
        return result.status == .pass && spec.expect.error == ErrorExpectation.none
      }.map(\.key))
    #expect(!breakable.isEmpty)
    let regressed = Set(diff.regressed.map(\.key))
    #expect(regressed == breakable, "only regressed: \(regressed.subtracting(breakable)); only breakable: \(breakable.subtracting(regressed))")
    #expect(diff.regressed.allSatisfy { $0.old == .pass && $0.new == .fail })
    #expect(diff.improved.isEmpty && diff.added.isEmpty && diff.removed.isEmpty)
    #expect(diff.hasRegressions)
  }
}
