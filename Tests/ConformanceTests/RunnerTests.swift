import AdapterLoading
import Checkpoints
import SystemSupport
import Synthesis
import TensorIO
import TestSupport
import Testing

@testable import Conformance

/// Test doubles of the runner's seams: a loader that answers from a table and a materializer that
/// only hands out paths.
actor CallLog {
  var inFlight = 0
  var maxInFlight = 0
  var prepared: [String] = []

  func enter() {
    inFlight += 1
    maxInFlight = max(maxInFlight, inFlight)
  }
  func leave() { inFlight -= 1 }
  func prepared(_ id: String) { prepared.append(id) }
}

struct ScriptedLoader: ConformanceLoader {
  let id: String
  var capabilities = LoaderCapabilities(reports: [.missingKeys, .unexpectedKeys, .error])
  var startError: String?
  var log = CallLog()
  /// What to answer for a case id; throws for ids in `throwing`.
  var answer: @Sendable (CaseRun) async throws -> LoaderAnswer

  func start() async throws -> LoaderInfo {
    if let startError { throw LoaderStartError(message: startError) }
    return LoaderInfo(id: id, name: id, version: "1.0", capabilities: capabilities)
  }

  func run(_ prepared: PreparedCase) async throws -> LoaderAnswer {
    await log.enter()
    do {
      let result = try await answer(prepared.run)
      await log.leave()
      return result
    } catch {
      await log.leave()
      throw error
    }
  }
}

struct PathMaterializer: CaseMaterializer {
  var log = CallLog()
  var failing: Set<String> = []

  func prepare(_ run: CaseRun, in folder: String) async throws -> PreparedCase {
    await log.prepared(run.runID)
    if failing.contains(run.spec.id) { throw LoaderStartError(message: "cannot build \(run.spec.id)") }
    return PreparedCase(run: run, base: folder + "/base", adapter: folder + "/adapter")
  }
}

struct Boom: Error, CustomStringConvertible {
  var description: String { "loader exploded" }
}

@Suite("Runner")
struct RunnerTests {
  static func spec(_ id: String, formats: [CheckpointFormat] = [.safetensors], tuner: String = "LORA") -> CaseSpec {
    CaseSpec(
      id: id, description: "case \(id)",
      recipe: PairSpec(id: id, base: BaseModelSpec(family: .llama), adapter: AdapterConfigSpec(peftType: tuner), formats: formats),
      expect: ExpectedOutcome(missingKeys: .exactly([]), error: ErrorExpectation.none))
  }

  static let clean = LoaderAnswer.outcome(ObservedOutcome())
  static let spurious = LoaderAnswer.outcome(ObservedOutcome(missingKeys: ["base_model.model.lm_head.weight"]))

  @Test func runsComeByIdInUTF8ByteOrderThenByFormat() {
    let ids = ["b", "a/ü", "a/z", "a", "B", "a/u", "matrix/x", "a.b"]
    let runs = RunPlan.runs(ids.map { Self.spec($0, formats: [.safetensors, .hdf5]) })
    let expected = ids.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.flatMap { [($0, "hdf5"), ($0, "safetensors")] }
    #expect(runs.map(\.spec.id) == expected.map(\.0))
    #expect(runs.map { $0.format.rawValue } == expected.map(\.1))
    // Already in order: the same runs.
    let again = RunPlan.runs(runs.map(\.spec).enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element))
    #expect(again.map(\.spec.id) == runs.map(\.spec.id))
  }

  @Test func resultsComeInKeyOrderWhateverTheCompletionOrder() async {
    let specs = (0..<40).map { Self.spec("c" + ($0 < 10 ? "0" : "") + String($0), formats: [.safetensors, .hdf5]) }
    let loader = ScriptedLoader(id: "slowfast") { run in
      // Later cases finish first.
      let n = Int(run.spec.id.dropFirst()) ?? 0
      try await Task.sleep(for: .milliseconds(40 - n))
      return Self.clean
    }
    let dir = TemporaryDirectory()
    let runner = ConformanceRunner(loaders: [loader], materializer: PathMaterializer(), jobs: 8, scratch: dir.file("scratch"))
    let (_, results) = await runner.run(RunPlan.runs(specs))
    #expect(results.count == 80)
    // Issue 15: every run left its empty scratch folder behind (in /dev/shm for `adaptest run`).
    #expect(FileSystem.kind(of: dir.file("scratch")) == .missing)
    #expect(results.map(\.key) == results.map(\.key).sorted())
    #expect(results.allSatisfy { $0.status == .pass })
    let max = await loader.log.maxInFlight
    #expect(max > 1 && max <= 8, "bounded parallelism, got \(max)")
  }

  @Test func statusesFromCapabilitiesExpectationsAndAnswers() async throws {
    let specs = [
      Self.spec("ok"), Self.spec("wrong"), Self.spec("known-wrong"), Self.spec("known-but-right"),
      Self.spec("throws"), Self.spec("hangs"), Self.spec("driver-error"), Self.spec("hdf5-only", formats: [.hdf5]),
      Self.spec("skipped"), Self.spec("other-tuner", tuner: "VERA"), Self.spec("cannot-tell"),
    ]
    let loader = ScriptedLoader(
      id: "peft", capabilities: LoaderCapabilities(formats: [.safetensors], tuners: ["LORA"], reports: [.missingKeys, .error])
    ) { run in
      switch run.spec.id {
      case "wrong", "known-wrong": return Self.spurious
      case "throws": throw Boom()
      case "hangs": return .timedOut("no answer within 1 s")
      case "driver-error": return .failed("driver: could not set up")
      case "cannot-tell": return .cannotTell("the method is not modelled")
      default: return Self.clean
      }
    }
    let expectations = LoaderExpectations(
      loader: "peft",
      entries: [
        .init(pattern: try! Pattern("^known-"), status: .xfail, reason: "substring filter", ref: "peft#1"),
        .init(pattern: try! Pattern("^skipped$"), status: .skip, reason: "hangs forever", ref: "peft#2"),
      ])
    let materializer = PathMaterializer()
    let dir = TemporaryDirectory()
    let runner = ConformanceRunner(
      loaders: [loader], materializer: materializer, expectations: { _ in expectations }, jobs: 3, scratch: dir.path)
    let (infos, results) = await runner.run(RunPlan.runs(specs))
    let status = Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0.status) })
    #expect(
      status == [
        "ok": .pass, "wrong": .fail, "known-wrong": .xfail, "known-but-right": .xpass, "throws": .error, "hangs": .timeout,
        "driver-error": .error, "hdf5-only": .skip, "skipped": .skip, "other-tuner": .skip, "cannot-tell": .skip,
      ])
    let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0) })
    #expect(byID["wrong"]?.message == "missing_keys: expected none, got 1: base_model.model.lm_head.weight")
    #expect(byID["throws"]?.message == "loader exploded")
    #expect(byID["hdf5-only"]?.message == "the loader does not read hdf5")
    #expect(byID["other-tuner"]?.message == "the loader does not support VERA")
    #expect(byID["cannot-tell"]?.message == "cannot tell: the method is not modelled")
    #expect(byID["known-wrong"]?.expectation?.ref == "peft#1")
    #expect(byID["wrong"]?.actual == .object(JSONObject([("error", .null), ("missing_keys", .strings(["base_model.model.lm_head.weight"]))])))
    #expect(infos.map(\.id) == ["peft"])
    let prepared = await materializer.log.prepared
    #expect(!prepared.contains("hdf5-only[hdf5]") && !prepared.contains("skipped[safetensors]"), "nothing built for skipped cases")
    #expect(FileSystem.kind(of: dir.path) == .missing, "case folders and the scratch folder are removed")
  }

  @Test func aLoaderThatCannotStartErrorsEveryCaseAndOthersGoOn() async {
    let broken = ScriptedLoader(id: "broken", startError: "handshake failed") { _ in Self.clean }
    let fine = ScriptedLoader(id: "fine") { _ in Self.clean }
    let dir = TemporaryDirectory()
    let runner = ConformanceRunner(loaders: [broken, fine], materializer: PathMaterializer(), scratch: dir.path)
    let (infos, results) = await runner.run(RunPlan.runs([Self.spec("a"), Self.spec("b")]))
    #expect(results.filter { $0.loader == "broken" }.allSatisfy { $0.status == .error && $0.message.contains("handshake failed") })
    #expect(results.filter { $0.loader == "fine" }.map(\.status) == [.pass, .pass])
    #expect(infos.map(\.version) == ["unavailable", "1.0"])
  }

  @Test func aCaseThatCannotBeBuiltIsAnError() async {
    let loader = ScriptedLoader(id: "l") { _ in Self.clean }
    let dir = TemporaryDirectory()
    let runner = ConformanceRunner(
      loaders: [loader], materializer: PathMaterializer(failing: ["bad"]), scratch: dir.path)
    let (_, results) = await runner.run(RunPlan.runs([Self.spec("bad"), Self.spec("good")]))
    #expect(results.map(\.status) == [.error, .pass])
    #expect(results[0].message == "the case could not be built: cannot build bad")
  }

  @Test func filterAndShardsPartitionTheRuns() throws {
    let specs = (0..<25).map { Self.spec("family-\($0 % 3)/case-\($0)", formats: [.safetensors, .hdf5]) }
    let all = RunPlan.runs(specs)
    #expect(all.count == 50)
    var seen: [String] = []
    for i in 1...4 {
      let shard = try #require(Shard("\(i)/4"))
      let part = RunPlan.runs(specs, shard: shard)
      #expect(part.count >= 12 && part.count <= 13, "balanced")
      seen += part.map(\.runID)
    }
    #expect(seen.sorted() == all.map(\.runID).sorted(), "shards are disjoint and cover everything")
    let filtered = RunPlan.runs(specs, filter: try Pattern("^family-1/"))
    #expect(filtered.count == 16)
    #expect(filtered.allSatisfy { $0.spec.id.hasPrefix("family-1/") })
  }

  @Test(arguments: ["0/4", "5/4", "1/0", "x", "1/2/3", "", "-1/2"])
  func rejectsBadShards(_ text: String) {
    #expect(Shard(text) == nil)
  }
}

@Suite("Runner overhead")
struct RunnerOverheadTests {
  /// 2,000 case runs × 3 instant loaders, then all four reports: every result arrives and is
  /// written. How long it takes is measured by `adaptest run` and the benchmarks, not asserted here
  /// (tests share the machine; a time bound only measured the neighbours).
  @Test func thousandsOfCasesRunAndReport() async throws {
    let specs = (0..<1000).map { RunnerTests.spec("family-\($0 % 7)/case-\($0)", formats: [.safetensors, .hdf5]) }
    let loaders = ["a", "b", "c"].map { id in ScriptedLoader(id: id) { _ in RunnerTests.clean } }
    let dir = TemporaryDirectory()
    let started = Monotonic.now
    let runner = ConformanceRunner(loaders: loaders, materializer: PathMaterializer(), scratch: dir.file("scratch"))
    let (infos, results) = await runner.run(RunPlan.runs(specs))
    let ran = Monotonic.now
    let run = RunResults(info: RunInfo(toolVersion: "t", corpusHash: "h", timestamp: "t", loaders: infos), results: results)
    try ReportWriter.write(run, to: dir.file("reports"))
    let reported = Monotonic.now
    #expect(results.count == 6000)
    #expect(Set(results.map { "\($0.id)|\($0.format?.rawValue ?? "")|\($0.loader)" }).count == 6000, "one result per run and loader")
    #expect(try ReportWriter.read(dir.file("reports", "results.json")).results.count == 6000)
    print("runner: 6000 results in \(ran - started) s; reports in \(reported - ran) s")
  }
}

@Suite("Runner paths")
struct RunnerPathTests {
  @Test func messagesDoNotDependOnWhereTheCaseWasBuilt() {
    let spec = RunnerTests.spec("a")
    let prepared = PreparedCase(
      run: CaseRun(spec: spec, format: .safetensors), base: "/s/000001/pair/base", adapter: "/s/000001/pair/adapter",
      loaded: [.init(name: "default", path: "/s/000001/pair/loaded/default")])
    let outcome = ObservedOutcome(
      error: LoadError(kind: .formatError, message: "/s/000001/pair/adapter/adapter_model.safetensors: invalid offset"),
      warnings: [LoadWarning(category: "UserWarning", message: "loaded /s/000001/pair/loaded/default and /s/000001/x")])
    let clean = ConformanceRunner.relativized(.outcome(outcome), prepared: prepared, scratch: "/s/000001")
    guard case .outcome(let result) = clean else {
      Issue.record("expected an outcome")
      return
    }
    #expect(result.error?.message == "adapter/adapter_model.safetensors: invalid offset")
    #expect(result.warnings.first?.message == "loaded loaded/default and case/x")
    #expect(ConformanceRunner.relativized(.failed("in /s/000001/pair/base"), prepared: prepared, scratch: "/s/000001") == .failed("in base"))
  }
}

/// The built-in profiles of a run read a case's folders once between them (`CaseReads`).
@Suite("Shared reads")
struct SharedReadsTests {
  /// After the first profile has read the case, its weight files are removed: every profile answers from
  /// what was read (the same outcome), a new case reads the folders again and finds the files gone. A
  /// safetensors file the strict reader accepts is read once for both readers.
  @Test(arguments: [CheckpointFormat.safetensors, .hdf5])
  func profilesShareWhatTheyRead(format: CheckpointFormat) async throws {
    let corpus = try Corpus.load(root: Repository.corpus, matrix: .none)
    let spec = try #require(corpus.cases.first { $0.id == "tuners/dora" })
    let dir = TemporaryDirectory()
    let prepared = try await SynthesisMaterializer(corpusRoot: Repository.corpus, cache: nil)
      .prepare(CaseRun(spec: spec, format: format), in: dir.file("case"))
    let peft = try #require(BuiltinLoaders.loader(named: "peft"))
    let first = try await peft.run(prepared)
    guard case .outcome(let outcome) = first else {
      Issue.record("peft: \(first)")
      return
    }
    #expect(outcome.error == nil)
    for folder in [prepared.base, prepared.adapter] {
      for file in try FileSystem.contents(ofDirectory: folder) where file.hasSuffix(".safetensors") || file.hasSuffix(".h5") {
        try FileSystem.removeTree(FileSystem.join(folder, file))
      }
    }
    let fresh = PreparedCase(run: prepared.run, base: prepared.base, adapter: prepared.adapter)
    #expect(try await peft.run(prepared) == first, "read alike: the shared tables answer")
    #expect(try await peft.run(fresh) != first, "a new case reads the folders again")
    let recommended = try #require(BuiltinLoaders.loader(named: "recommended"))
    guard case .outcome(let shared) = try await recommended.run(prepared) else { throw CancellationError() }
    #expect(shared.error == nil, "the strict reader's table, read once for both readers")
  }

  /// Whichever profile reads first, each answers as it does on folders nobody read before: a file the strict
  /// reader refuses (a repeated key) is still read by the reference as the reference reads it, and the
  /// strict profile still refuses it.
  @Test(arguments: ["tuners/dora", "malformed/adapter-duplicate-key-last-valid"], [false, true])
  func sharingChangesNoAnswer(id: String, strictFirst: Bool) async throws {
    let corpus = try Corpus.load(root: Repository.corpus, matrix: .none)
    let spec = try #require(corpus.cases.first { $0.id == id })
    let dir = TemporaryDirectory()
    let prepared = try await SynthesisMaterializer(corpusRoot: Repository.corpus, cache: nil)
      .prepare(CaseRun(spec: spec, format: .safetensors), in: dir.file("case"))
    let strict = try #require(BuiltinLoaders.loader(named: "recommended"))
    let reference = try #require(BuiltinLoaders.loader(named: "peft"))
    var shared: [String: LoaderAnswer] = [:]
    for loader in strictFirst ? [strict, reference] : [reference, strict] {
      shared[loader.id] = try await loader.run(prepared)
    }
    for loader in [strict, reference] {
      let alone = PreparedCase(run: prepared.run, base: prepared.base, adapter: prepared.adapter, loaded: prepared.loaded)
      #expect(shared[loader.id] == (try await loader.run(alone)), "\(loader.id)")
    }
    guard id.hasPrefix("malformed/") else { return }
    guard case .outcome(let refused) = shared["recommended"], case .outcome(let read) = shared["peft"] else {
      Issue.record("no outcome: \(shared)")
      return
    }
    #expect(refused.error?.kind == .formatError)
    #expect(read.error?.kind != .formatError, "the reference reads a repeated key (the last one wins)")
  }

  /// The premise of reading once: every corpus safetensors file the strict reader accepts, the Rust-compatible
  /// reader accepts with the same table.
  @Test
  func strictTablesAreTheReferences() throws {
    let folder = FileSystem.join(Repository.corpus, "malformed/safetensors")
    var accepted = 0
    for name in try FileSystem.contents(ofDirectory: folder) where name.hasSuffix(".safetensors") {
      let path = FileSystem.join(folder, name)
      guard let strict = try? CaseReads.Reader.strict.formats.openFile(path) else { continue }
      accepted += 1
      let reference = try CaseReads.Reader.reference.formats.openFile(path)
      #expect(reference.tensors == strict.tensors, "\(name)")
    }
    #expect(accepted >= 10, "the corpus holds files both readers accept")
  }
}
