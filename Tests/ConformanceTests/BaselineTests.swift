import TestSupport
import Foundation
import TensorIO
import Testing

@testable import Conformance

/// Baselines and shard sets: a partial run or a partial merge never passes for the whole suite.
@Suite("Baselines and shards")
struct BaselineTests {
  typealias F = ReportFixtures

  func run(_ results: [CaseResult], loaders: [String]? = nil, shards: [String] = []) -> RunResults {
    var info = F.info(shards: shards)
    if let loaders { info.loaders = info.loaders.filter { loaders.contains($0.id) } }
    return RunResults(info: info, results: results)
  }

  @Test func partialUpdateReplacesOnlyTheCoveredCases() {
    let old = run([
      F.result("recommended", "a/one", .pass), F.result("recommended", "a/gone", .pass),
      F.result("recommended", "b/two", .pass), F.result("peft@0.21.2", "a/one", .xfail),
    ])
    let new = run([F.result("recommended", "a/one", .fail), F.result("recommended", "a/new", .pass)], loaders: ["recommended"])
    let (updated, summary) = Baseline.updated(old, with: new, coverage: .partial(["a/one", "a/gone", "a/new"]))
    #expect(
      updated.results.map { "\($0.loader) \($0.id) \($0.status)" } == [
        "peft@0.21.2 a/one XFAIL", "recommended a/new PASS", "recommended a/one FAIL", "recommended b/two PASS",
      ])
    #expect(summary == { var s = Baseline.UpdateSummary(); s.changed = 1; s.added = 1; s.removed = 1; s.kept = 2; return s }())
    #expect(updated.info.loaders.map(\.id) == ["peft@0.21.2", "recommended"], "the untouched loader keeps its info")
    #expect(updated.info.filter == nil && updated.info.shards.isEmpty)
    #expect(updated.results.allSatisfy { $0.message.isEmpty && $0.expected == nil }, "slim: key and status only")
  }

  @Test func completeUpdateDropsCasesGoneFromTheCorpusButKeepsOtherLoaders() {
    let old = run([F.result("recommended", "gone", .pass), F.result("peft@0.21.2", "gone", .pass)])
    let new = run([F.result("recommended", "a", .pass)], loaders: ["recommended"])
    let (updated, summary) = Baseline.updated(old, with: new, coverage: .complete)
    #expect(updated.results.map(\.key.description) == ["peft@0.21.2: gone [safetensors]", "recommended: a [safetensors]"])
    #expect(summary.removed == 1 && summary.kept == 1 && summary.added == 1)
    let (first, _) = Baseline.updated(nil, with: new, coverage: .partial(["a"]))
    #expect(first == new.slim().withoutFilterAndShards())
  }

  @Test func mergeRefusesAnIncompleteShardSetUnlessAllowed() throws {
    let one = run([F.result("recommended", "a", .pass)], shards: ["1/3"])
    let three = run([F.result("recommended", "c", .pass)], shards: ["3/3"])
    #expect {
      try RunResults.merge([one, three])
    } throws: { error in
      "\(error)".contains("shard(s) 2/3 missing") && "\(error)".contains("--allow-partial")
    }
    let partial = try RunResults.merge([one, three], allowPartial: true)
    #expect(partial.info.shards == ["1/3", "3/3"])
    let two = run([F.result("recommended", "b", .pass)], shards: ["2/3"])
    #expect(try RunResults.merge([three, one, two]).results.map(\.id) == ["a", "b", "c"])
    let otherSplit = run([F.result("recommended", "b", .pass)], shards: ["2/2"])
    #expect(throws: MergeError.self, "1/3 and 2/2 split the run differently, allowed or not") {
      try RunResults.merge([one, otherSplit], allowPartial: true)
    }
    let whole = run([F.result("recommended", "b", .pass)])
    #expect(try RunResults.merge([one, whole]).results.count == 2, "a whole run covers every shard")
  }
}

extension RunResults {
  func withoutFilterAndShards() -> RunResults {
    var copy = self
    copy.info.filter = nil
    copy.info.shards = []
    return copy
  }
}

/// `adaptest run` and `report merge` as a CI job runs them, on a corpus of four cases.
@Suite("Run command: baselines, selection, shards", .serialized)
struct RunCommandBaselineTests {
  static func ids(_ path: String) throws -> [String] {
    try ReportWriter.read(path).results.map { "\($0.id) \($0.status)" }
  }

  @Test func filteredUpdateChangesOnlyTheCasesItRan() throws {
    let dir = TemporaryDirectory()
    let corpus = try AdaptestCLI.smallCorpus(in: dir)
    let baseline = dir.file("baseline.json")
    let common = ["run", "--corpus", corpus, "--loader", "recommended", "--out", dir.file("out"), "--baseline", baseline]
    let created = try AdaptestCLI.run(common + ["--update-baseline"])
    #expect(created.status == 0, "\(created.err)")
    #expect(try Self.ids(baseline) == ["a/one PASS", "a/two PASS", "b/one PASS", "b/two PASS"])

    // a/one now expects a missing key that a clean round trip does not have: it fails.
    try dir.write(
      "corpus/cases/a/one.yaml",
      CorpusTests.validCase("a/one").replacingOccurrences(of: "missing_keys: []", with: "missing_keys: [x.weight]"))
    let filtered = try AdaptestCLI.run(common + ["--filter", "^a/", "--update-baseline"])
    #expect(filtered.status == 1, "a FAIL is unexpected")
    #expect(filtered.out.contains("baseline updated: \(baseline) (1 changed, 0 added, 0 removed, 2 kept as they were)"), "\(filtered.out)")
    #expect(try Self.ids(baseline) == ["a/one FAIL", "a/two PASS", "b/one PASS", "b/two PASS"])

    // Shard 2/2 (a/two and b/two): its update keeps a/one's FAIL though a/one passes again.
    try dir.write("corpus/cases/a/one.yaml", CorpusTests.validCase("a/one"))
    let shard = try AdaptestCLI.run(common + ["--shard", "2/2", "--update-baseline"])
    #expect(shard.status == 0, "\(shard.out)\(shard.err)")
    #expect(try Self.ids(baseline) == ["a/one FAIL", "a/two PASS", "b/one PASS", "b/two PASS"])
  }

  @Test func aMissingBaselineIsAnErrorAndNoBaselineSaysSo() throws {
    let dir = TemporaryDirectory()
    let corpus = try AdaptestCLI.smallCorpus(in: dir)
    let common = ["run", "--corpus", corpus, "--loader", "recommended", "--out", dir.file("out")]
    let typo = try AdaptestCLI.run(common + ["--baseline", dir.file("baseline.jsn")])
    #expect(typo.status == 3)
    #expect(typo.err.hasPrefix("error: --baseline \(dir.file("baseline.jsn")): no such file"), "\(typo.err)")
    #expect(!FileSystem.isFile(dir.file("out/results.json")), "nothing ran")

    // A baseline that cannot be read (it is read while the corpus is planned) stops the run before it starts.
    try dir.write("broken.json", "{\"results\": [")
    let broken = try AdaptestCLI.run(common + ["--baseline", dir.file("broken.json")])
    #expect(broken.status == 3)
    #expect(broken.err.hasPrefix("error: ") && broken.err.contains(dir.file("broken.json")), "\(broken.err)")
    #expect(!broken.out.contains("case run(s)"), "nothing ran: \(broken.out)")
    #expect(!FileSystem.isFile(dir.file("out/results.json")), "nothing ran")

    let none = try AdaptestCLI.run(common + ["--no-baseline"])
    #expect(none.status == 0, "\(none.err)")
    #expect(!none.out.contains("against the baseline"))
    let both = try AdaptestCLI.run(common + ["--no-baseline", "--baseline", "x.json"])
    #expect(both.status == 64 && both.err.contains("--no-baseline and --baseline exclude each other"))
  }

  @Test(arguments: [
    (["--filter", "^c/"], "error: --filter '^c/' selects no case (of 4)"),
    (["--filter", "^C/", "--shard", "2/3"], "error: --filter '^C/' selects no case (of 4)"),
  ])
  func selectingNothingIsItsOwnExit(extra: [String], message: String) throws {
    let dir = TemporaryDirectory()
    let corpus = try AdaptestCLI.smallCorpus(in: dir)
    let result = try AdaptestCLI.run(["run", "--corpus", corpus, "--loader", "recommended", "--out", dir.file("out"), "--no-baseline"] + extra)
    #expect(result.status == 6)
    #expect(result.err.trimmingCharacters(in: .newlines) == message)
  }

  @Test func anEmptyShardOfANonEmptySelectionIsNotAnError() throws {
    let dir = TemporaryDirectory()
    let corpus = try AdaptestCLI.smallCorpus(in: dir)
    let result = try AdaptestCLI.run([
      "run", "--corpus", corpus, "--loader", "recommended", "--out", dir.file("out"), "--no-baseline", "--filter", "^a/one$",
      "--shard", "2/2",
    ])
    #expect(result.status == 0, "shard 2/2 of one case is empty; the merge still needs its file")
    #expect(try ReportWriter.read(dir.file("out/results.json")).info.shards == ["2/2"])
  }

  @Test func mergeOfPartOfTheShardsFailsUnlessAllowed() throws {
    let dir = TemporaryDirectory()
    let corpus = try AdaptestCLI.smallCorpus(in: dir)
    for i in 1...2 {
      let shard = try AdaptestCLI.run([
        "run", "--corpus", corpus, "--loader", "recommended", "--out", dir.file("shard-\(i)"), "--no-baseline", "--shard", "\(i)/2",
      ])
      #expect(shard.status == 0, "\(shard.err)")
    }
    let partial = try AdaptestCLI.run(["report", "merge", dir.file("shard-1"), "--out", dir.file("merged")])
    #expect(partial.status == 3)
    #expect(partial.err.contains("error: cannot merge: shard(s) 2/2 missing"), "\(partial.err)")
    let allowed = try AdaptestCLI.run(["report", "merge", dir.file("shard-1"), "--out", dir.file("merged"), "--allow-partial"])
    #expect(allowed.status == 0)
    #expect(try ReportWriter.read(dir.file("merged/results.json")).results.count == 2)
    let whole = try AdaptestCLI.run(["report", "merge", dir.file("shard-2"), dir.file("shard-1"), "--out", dir.file("merged")])
    #expect(whole.status == 0)
    #expect(try Self.ids(dir.file("merged/results.json")) == ["a/one PASS", "a/two PASS", "b/one PASS", "b/two PASS"])
  }

  @Test(arguments: [
    (["--filter", "(unclosed"], "--filter"),
    (["--loader", "pfet"], "unknown loader 'pfet'"),
  ])
  func badArgumentsAreRefusedBeforeTheCorpusIsRead(extra: [String], message: String) throws {
    // A corpus folder that does not exist: the argument error comes first.
    let result = try AdaptestCLI.run(["run", "--corpus", "/nonexistent-corpus", "--out", "/nonexistent-out/x"] + extra)
    #expect(result.status == 64)
    #expect(result.err.contains(message), "\(result.err)")
  }
}
