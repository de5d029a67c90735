import TensorIO
import Testing

@testable import Conformance

@Suite("Diff and merge")
struct DiffMergeTests {
  typealias F = ReportFixtures

  func run(_ results: [CaseResult], timestamp: String = "2026-01-02T03:04:05Z", shards: [String] = []) -> RunResults {
    RunResults(info: F.info(timestamp: timestamp, shards: shards), results: results)
  }

  @Test("result keys order by loader, then case id, then format, each by UTF-8 bytes")
  func resultKeysOrderByTheirPartsInTurn() {
    let parts = ["", "a", "b", "a/b", "a-b", "é", "Z"]
    let keys = parts.flatMap { loader in
      parts.flatMap { id in ["", "hdf5", "safetensors"].map { ResultKey(loader: loader, id: id, format: $0) } }
    }
    func bytes(_ key: ResultKey) -> [[UInt8]] { [Array(key.loader.utf8), Array(key.id.utf8), Array(key.format.utf8)] }
    for a in keys {
      for b in keys {
        let expected = bytes(a).lexicographicallyPrecedes(bytes(b)) { $0.lexicographicallyPrecedes($1) }
        #expect((a < b) == expected, "\(a) < \(b)")
      }
    }
  }

  @Test func classifiesEveryKindOfChange() {
    let old = run([
      F.result("recommended", "pass-to-fail", .pass), F.result("recommended", "fail-to-pass", .fail),
      F.result("recommended", "xfail-to-error", .xfail), F.result("recommended", "fail-to-xfail", .fail),
      F.result("recommended", "pass-to-skip", .pass), F.result("recommended", "same", .pass),
      F.result("recommended", "gone", .pass), F.result("recommended", "error-to-fail", .error),
      F.result("recommended", "xpass-to-xfail", .xpass),
    ])
    let new = run([
      F.result("recommended", "pass-to-fail", .fail, message: "now broken"), F.result("recommended", "fail-to-pass", .pass),
      F.result("recommended", "xfail-to-error", .error), F.result("recommended", "fail-to-xfail", .xfail),
      F.result("recommended", "pass-to-skip", .skip), F.result("recommended", "same", .pass),
      F.result("recommended", "new", .fail), F.result("recommended", "error-to-fail", .fail),
      F.result("recommended", "xpass-to-xfail", .xfail),
    ])
    let diff = ResultsDiff.compare(old: old, new: new)
    #expect(diff.regressed.map(\.key.id).sorted() == ["pass-to-fail", "pass-to-skip", "xfail-to-error", "xpass-to-xfail"])
    #expect(diff.improved.map(\.key.id).sorted() == ["error-to-fail", "fail-to-pass"])
    #expect(diff.changed.map(\.key.id) == ["fail-to-xfail"])
    #expect(diff.added.map(\.id) == ["new"])
    #expect(diff.removed.map(\.id) == ["gone"])
    #expect(diff.unchanged == 1)
    #expect(diff.regressed.first { $0.key.id == "pass-to-fail" }?.message == "now broken")
    #expect(diff.hasRegressions)
  }

  @Test func formatsAndLoadersAreSeparateResults() {
    let old = run([F.result("recommended", "a", .pass, format: .safetensors), F.result("peft@0.21.2", "a", .pass)])
    let new = run([
      F.result("recommended", "a", .pass, format: .safetensors), F.result("recommended", "a", .fail, format: .hdf5),
      F.result("peft@0.21.2", "a", .fail),
    ])
    let diff = ResultsDiff.compare(old: old, new: new)
    #expect(diff.regressed.map(\.key) == [ResultKey(loader: "peft@0.21.2", id: "a", format: "safetensors")])
    #expect(diff.added.map(\.key) == [ResultKey(loader: "recommended", id: "a", format: "hdf5")])
  }

  @Test func mergeCombinesShards() throws {
    let a = run([F.result("recommended", "a", .pass), F.result("recommended", "c", .fail)], timestamp: "2026-01-02T00:00:09Z", shards: ["1/2"])
    let b = run([F.result("recommended", "b", .pass)], timestamp: "2026-01-02T00:00:01Z", shards: ["2/2"])
    let merged = try RunResults.merge([a, b])
    #expect(merged.results.map(\.id) == ["a", "b", "c"])
    #expect(merged.info.shards == ["1/2", "2/2"])
    #expect(merged.info.timestamp == "2026-01-02T00:00:01Z", "the earliest start")
    #expect(try RunResults.merge([b, a]) == merged, "order of inputs does not matter")
    #expect(try RunResults.merge([a, a], allowPartial: true).results == a.results, "identical duplicates collapse")
  }

  @Test func mergeRefusesInconsistentInputs() {
    let a = run([F.result("recommended", "a", .pass)])
    var otherCorpus = a
    otherCorpus.info.corpusHash = "ff"
    #expect(throws: MergeError.self) { try RunResults.merge([a, otherCorpus]) }
    let conflicting = run([F.result("recommended", "a", .fail)])
    #expect(throws: MergeError.self) { try RunResults.merge([a, conflicting]) }
    var otherVersion = a
    otherVersion.info.loaders[1].version = "0.20.0"
    #expect(throws: MergeError.self) { try RunResults.merge([a, otherVersion]) }
    #expect(throws: MergeError.self) { try RunResults.merge([]) }
  }

  /// Issue 15: `diff` read a results file holding two different results for one case and loader
  /// (which `merge` refuses) and compared whichever came last.
  @Test func resultsFileRefusesConflictingDuplicates() throws {
    let pass = F.result("recommended", "a", .pass)
    let twice = run([pass, pass])
    #expect(try ResultsFile.decode(Array(ResultsFile.encode(twice).utf8)).results.count == 2)
    let conflicting = run([pass, F.result("recommended", "a", .fail)])
    let error = try #require(throws: JSONShapeError.self) { try ResultsFile.decode(Array(ResultsFile.encode(conflicting).utf8)) }
    #expect(error.description.contains("conflicting results"), "\(error)")
  }
}
