import ArgumentParser
import Conformance
import HDF5Checkpoint
import SystemSupport
import TensorIO

/// `adaptest run`: the conformance suite.
struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Run the conformance corpus against loaders and write reports.",
    discussion: """
      With no options: every corpus case against the built-in profiles (\(BuiltinLoaders.names.joined(separator: ", "))), \
      reports in reports/latest/, regressions against reports/baseline.json. Exits with 1 when a result is \
      unexpected (FAIL, ERROR, TIMEOUT, XPASS) or regressed, 3 when the corpus has errors or an input \
      cannot be read, \(ExitStatus.noCaseSelected) when the filter selects no case.
      """)

  @Option(name: .customLong("loader"), help: "A built-in profile, NAME@VERSION for a driver (peft@0.21.2), or cmd:COMMAND. Repeatable.")
  var loaders: [String] = []
  @Option(help: "Only cases whose id matches this regular expression.") var filter: String?
  @Flag(help: "Print the case ids the selection covers, one a line, and run nothing.") var list = false
  @Option(help: "Rerun the unexpected results (FAIL, ERROR, TIMEOUT, XPASS) of this results.json (or report folder), with their loaders unless --loader is given.")
  var rerunFailed: String?
  @Option(help: "Run the I-th of N slices (1-based), e.g. 2/4.") var shard: String?
  @Option(help: "Report folder.") var out = "reports/latest"
  @Option(help: "Where index.html will be published; summary.md then links each case id to its entry.")
  var reportURL: String?
  @Option(help: "results.json to compare with; must exist unless --update-baseline creates it (default reports/baseline.json when present, none with --sweep).")
  var baseline: String?
  @Flag(help: "Do not compare with a baseline.") var noBaseline = false
  @Option(help: "Run an architecture sweep folder (scripts/sweep/make_architecture_sweep.py) instead of the corpus.")
  var sweep: String?
  @Flag(help: "Write this run's statuses into the baseline; a filtered or sharded run changes only the cases it ran.")
  var updateBaseline = false
  @Option(help: "The corpus folder.") var corpus = "Corpus"
  @Option(help: "Case runs in flight at once (default: one more than the number of cores).") var jobs: Int?
  @Option(help: "Seconds an external driver may take per case.") var timeout: Double = 60
  @Option(help: "Driver processes per external loader.") var driverProcesses = 1
  @Flag(help: "Keep the generated case folders (printed at the end).") var keepArtifacts = false
  @Flag(help: "Build every pair afresh, neither reading nor filling the pair cache (ADAPTEST_CACHE_DIR, else ~/.cache/adaptest/pairs).")
  var noCache = false
  @Flag(help: "Keep expected and actual outcomes for every result, not only those that need attention.")
  var fullDetails = false

  func validate() throws {
    if let shard, Shard(shard) == nil { throw ValidationError("--shard must be I/N with 1 ≤ I ≤ N, got '\(shard)'") }
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    if timeout <= 0 { throw ValidationError("--timeout must be positive") }
    if noBaseline && baseline != nil { throw ValidationError("--no-baseline and --baseline exclude each other") }
    if noBaseline && updateBaseline { throw ValidationError("--no-baseline and --update-baseline exclude each other") }
    if updateBaseline && sweep != nil && baseline == nil {
      throw ValidationError("--update-baseline with --sweep needs --baseline PATH (a sweep has no default baseline)")
    }
    // Checked before the corpus is read, so a typo costs milliseconds, not the planning.
    if let filter {
      do {
        _ = try Pattern(filter)
      } catch {
        throw ValidationError("--filter: \(error)")
      }
    }
    for name in loaders where BuiltinLoaders.loader(named: name) == nil && !DriverLocator.isDriver(name) {
      throw ValidationError(
        "unknown loader '\(name)': use one of \(BuiltinLoaders.names.joined(separator: ", ")), NAME@VERSION or cmd:COMMAND")
    }
  }

  /// The baseline file this run compares with (`nil`: none), or an exit when one was named but
  /// does not exist: a typo must not turn regression checking off.
  func baselinePath() throws -> String? {
    if noBaseline { return nil }
    guard let baseline else {
      let standard = "reports/baseline.json"
      if sweep == nil && (FileSystem.isFile(standard) || updateBaseline) { return standard }
      if sweep == nil { print("no baseline at \(standard): regressions are not checked (--no-baseline says so explicitly)") }
      return nil
    }
    if !FileSystem.isFile(baseline) && !updateBaseline {
      printError(
        "error: --baseline \(DisplayText.terminalSafe(baseline)): no such file (--update-baseline creates it; --no-baseline runs without one)")
      throw ExitCode(ExitStatus.invalidInput)
    }
    return baseline
  }

  /// This build's pair cache, older builds' entries pruned, the HDF5 validator's reports kept in it; nil
  /// when no cache folder can be named.
  static func pairCache() -> PairCache? {
    guard let root = PairCache.defaultRoot else { return nil }
    let cache = PairCache(root: root)
    cache.markInUse()
    cache.pruneOtherBuilds()
    HDF5Isolation.processDefault = HDF5Isolation.processDefault.keepingReports(in: cache.validationReports)
    return cache
  }

  func run() async throws {
    // What to rerun, read before anything else: an unreadable file is found now.
    var rerun: (ids: Set<String>, loaders: [String])?
    if let rerunFailed {
      let previous = try readResults(rerunFailed)
      let unexpected = previous.unexpected
      guard !unexpected.isEmpty else {
        printError("error: \(DisplayText.terminalSafe(rerunFailed)) has no unexpected result to rerun")
        throw ExitCode(ExitStatus.noCaseSelected)
      }
      var loaderIDs: [String] = []
      for result in unexpected where !loaderIDs.contains(result.loader) { loaderIDs.append(result.loader) }
      rerun = (Set(unexpected.map(\.id)), loaderIDs)
    }
    let baseline = list ? nil : try baselinePath()
    if !list {
      try checkOut()
    }
    // Read while the corpus is planned, and awaited before the run: an unreadable baseline is found then,
    // not after the run.
    let baselineRead = Task.detached { () throws -> RunResults? in
      try baseline.flatMap { FileSystem.isFile($0) ? try ReportWriter.read(resultsFile($0)) : nil }
    }
    let started = Monotonic.now
    let pattern: Pattern?
    do {
      pattern = try filter.map { try Pattern($0) }
    } catch {
      throw ValidationError("--filter: \(error)")
    }
    // The generated matrix (thousands of cases) is expanded only when the selection can reach it, and
    // only the cases selected are planned.
    let matrixPrefix = "matrix/"
    let rerunIDs = rerun?.ids
    let needsMatrix =
      (pattern?.canMatch(prefix: matrixPrefix) ?? true) && (rerunIDs?.contains { $0.hasPrefix(matrixPrefix) } ?? true)
    let matrix: MatrixSelection =
      !needsMatrix
      ? .none
      : pattern == nil && rerunIDs == nil
        ? .all : .only { id in (pattern?.matches(id) ?? true) && (rerunIDs?.contains(id) ?? true) }
    var unplanned: [String] = []
    var source: CaseSource
    if let sweep {
      source = try loadSweep(sweep)
    } else {
      let loaded = try loadCorpus(corpus, matrix: matrix)
      unplanned = loaded.unplannedMatrixCaseIDs
      source = CaseSource(corpus: loaded, root: corpus, cache: noCache ? nil : Self.pairCache())
    }
    if sweep == nil && !needsMatrix {
      // The hash a full load gives (matrix file included), so that results stay comparable and mergeable.
      source.hash = try CLIFailure.reading(corpus) { try Corpus.fileHash(root: corpus) }
    }
    if let rerun { source.cases = source.cases.filter { rerun.ids.contains($0.id) } }
    let baselineRun: RunResults?
    do {
      baselineRun = try await baselineRead.value
    } catch {
      printError("error: \(error)")
      throw ExitCode(ExitStatus.invalidInput)
    }
    let corpusSeconds = Monotonic.now - started
    let lintErrors = source.diagnostics.filter { $0.severity == .error }
    for diagnostic in lintErrors { printError(DisplayText.terminalSafe(diagnostic.relative(to: corpus).description)) }

    do {
      // Every case id once under the budget (the matrix's unplanned ones too: a pattern that ran out of
      // it there was taken for no match), before the run relies on the filter.
      try pattern?.check(source.cases.map(\.id) + unplanned)
    } catch {
      throw ValidationError("--filter: \(error)")
    }
    let selected = !loaders.isEmpty ? loaders : rerun?.loaders ?? BuiltinLoaders.names
    let shardValue = shard.flatMap(Shard.init)
    let plan = RunPlan.runs(source.cases, filter: pattern, shard: shardValue)
    if plan.isEmpty && (shardValue == nil || RunPlan.runs(source.cases, filter: pattern).isEmpty) {
      let what = rerun != nil ? "--rerun-failed" : filter.map { "--filter '\(DisplayText.terminalSafe($0))'" } ?? "the corpus"
      printError("error: \(what) selects no case (of \(source.cases.count))")
      throw ExitCode(ExitStatus.noCaseSelected)
    }
    if list {
      var seen: Set<String> = []
      for run in plan where seen.insert(run.spec.id).inserted { print(DisplayText.terminalSafe(run.spec.id)) }
      KeptUntilExit.keep(source, plan)
      return
    }
    try await runPlanned(
      source: source, plan: plan, pattern: pattern, shardValue: shardValue, selected: selected, rerun: rerun != nil,
      baseline: baseline, baselineRun: baselineRun, started: started, corpusSeconds: corpusSeconds, lintErrors: lintErrors)
  }

  /// A read-only or full --out is found before the run, not after it.
  func checkOut() throws {
    do {
      try ReportWriter.checkWritable(out)
    } catch {
      printError("error: cannot write reports to \(DisplayText.terminalSafe(out)): \(error)")
      throw ExitCode(ExitStatus.invalidInput)
    }
  }

  /// Starts the loaders, runs `plan`, writes the reports (and the baseline), prints the summary.
  func runPlanned(
    source: CaseSource, plan: [CaseRun], pattern: Pattern?, shardValue: Shard?, selected: [String], rerun: Bool,
    baseline: String?, baselineRun: RunResults?, started: Double, corpusSeconds: Double, lintErrors: [LintDiagnostic]
  ) async throws {
    var instances: [any ConformanceLoader] = []
    let locator = DriverLocator()
    for name in selected {
      if let builtin = BuiltinLoaders.loader(named: name, environment: DriverLocator.processEnvironment()) {
        instances.append(builtin)
      } else if DriverLocator.isDriver(name) {
        do {
          instances.append(try locator.loader(for: name, caseTimeout: timeout, processes: driverProcesses))
        } catch {
          printError("error: \(error)")
          throw ExitCode(ExitStatus.invalidInput)
        }
      }
    }

    let scratch = FileSystem.join(TemporaryFolder.base(), TemporaryFolder.processScoped("adaptest-run"))
    let expectationFiles = source.expectations
    let fallBack = source.expectationsFallBack
    let suite = ConformanceSuite(
      cases: source.cases, corpusHash: source.hash,
      expectations: { id in
        fallBack ? LoaderExpectations.resolve(id, in: expectationFiles) : expectationFiles[id] ?? LoaderExpectations(loader: id)
      },
      loaders: instances, materializer: source.materializer, filter: pattern, shard: shardValue,
      jobs: jobs ?? ConformanceRunner.defaultJobs, scratch: scratch, keepArtifacts: keepArtifacts,
      details: fullDetails ? .full : .compact)
    let planned = plan.count
    print("adaptest run: \(planned) case run(s) × \(instances.count) loader(s) (\(selected.joined(separator: ", ")))")
    let bar = ProgressBar(interactive: FileDescriptor.isTerminal(1))
    let runStarted = Monotonic.now
    let (results, timings) = await suite.runTimed { bar.update($0) }
    bar.finish()
    let runSeconds = Monotonic.now - runStarted

    let reportStarted = Monotonic.now
    let diff: ResultsDiff?
    var baselineUpdate: Baseline.UpdateSummary?
    do {
      diff = try ReportWriter.write(results, baseline: baselineRun, to: out, reportURL: reportURL)
      if updateBaseline, let baseline {
        let coverage: Baseline.Coverage =
          pattern == nil && shardValue == nil && !rerun ? .complete : .partial(Set(plan.map(\.spec.id)))
        let (updated, summary) = Baseline.updated(baselineRun, with: results, coverage: coverage)
        try AtomicFile.write(text: ResultsFile.encode(updated), to: baseline)
        baselineUpdate = summary
      }
    } catch {
      printError("error: cannot write reports: \(error)")
      throw ExitCode(ExitStatus.invalidInput)
    }
    let reportSeconds = Monotonic.now - reportStarted
    KeptUntilExit.keep(source, plan, suite, results)
    printRunSummary(results, diff: diff)
    let unexpected = results.unexpected
    for result in unexpected.prefix(20) {
      let line = DisplayText.terminalSafe(" \(result.loader): \(result.displayName): \(String(result.message.prefix(300)))")
      print(Colour.status(result.status) + line)
      for command in Reproducer.commands(for: result) { print("  reproduce: " + DisplayText.terminalSafe(command)) }
    }
    if unexpected.count > 20 { print("… and \(unexpected.count - 20) more unexpected result(s) in \(out)/summary.md") }
    let seconds = Monotonic.now - started
    let rate = seconds > 0 ? Double(results.results.count) / seconds : 0
    print("reports: \(out)/{summary.md,junit.xml,index.html,results.json}; \(results.results.count) result(s) in \(formatSeconds(seconds)) (\(Int(rate)) per second)")
    var phases = "time: corpus and matrix planning \(formatSeconds(corpusSeconds)), run \(formatSeconds(runSeconds)) "
    phases += "(summed over \(suite.jobs) job(s): building cases \(formatSeconds(timings.building))"
    for id in results.loaderIDs {
      phases += ", \(id) \(formatSeconds(timings.loaders[id] ?? 0))"
      if let cpu = timings.loaderCPU[id] { phases += " (\(formatSeconds(cpu)) CPU)" }
    }
    phases += "), reports \(formatSeconds(reportSeconds))"
    print(DisplayText.terminalSafe(phases))
    if keepArtifacts { print("case folders kept in \(scratch)") }
    if let baseline, let s = baselineUpdate {
      print(
        DisplayText.terminalSafe(
          "baseline updated: \(baseline) (\(s.changed) changed, \(s.added) added, \(s.removed) removed, \(s.kept) kept as they were)"))
    }
    if !lintErrors.isEmpty { throw ExitCode(ExitStatus.invalidInput) }
    if !unexpected.isEmpty || diff?.hasRegressions == true { throw ExitCode(ExitStatus.findings) }
  }
}

/// Where a run's cases come from: the corpus (with the generated matrix) or an architecture sweep.
struct CaseSource {
  var cases: [CaseSpec]
  var hash: String
  var expectations: [String: LoaderExpectations]
  var diagnostics: [LintDiagnostic]
  var materializer: any CaseMaterializer
  /// Whether a loader id falls back to its family's files (`peft@0.21.2` → `peft`). A sweep's files name
  /// deviations of one profile, not of the real release it reproduces, so they apply by exact id only.
  var expectationsFallBack = true

  init(corpus: Corpus, root: String, cache: PairCache?) {
    cases = corpus.cases
    hash = corpus.hash
    expectations = corpus.expectations
    diagnostics = corpus.diagnostics
    materializer = SynthesisMaterializer(corpusRoot: root, cache: cache)
  }

  init(sweep: ArchitectureSweep, corpusRoot: String) {
    cases = sweep.cases
    hash = sweep.hash
    (expectations, diagnostics) = sweep.expectations(corpusRoot: corpusRoot)
    materializer = sweep.materializer
    expectationsFallBack = false
  }
}

extension RunCommand {
  func loadSweep(_ folder: String) throws -> CaseSource {
    do {
      return CaseSource(sweep: try ArchitectureSweep(folder: folder), corpusRoot: corpus)
    } catch {
      printError("error: \(error)")
      throw ExitCode(ExitStatus.invalidInput)
    }
  }
}

func formatSeconds(_ seconds: Double) -> String {
  seconds < 10 ? "\(Double(Int(seconds * 100)) / 100) s" : "\(Int(seconds.rounded())) s"
}

/// A one-line progress bar on a terminal; occasional plain lines otherwise.
final class ProgressBar: @unchecked Sendable {
  private let interactive: Bool
  private let lock = Locked()
  private var lastPrinted = -1
  private var lastTotal = 0
  private let started = Monotonic.now

  init(interactive: Bool) { self.interactive = interactive }

  func update(_ progress: RunProgress) {
    lock.withLock {
      lastTotal = progress.total
      let percent = progress.total == 0 ? 100 : progress.done * 100 / progress.total
      if interactive {
        let width = 30
        let filled = progress.total == 0 ? width : progress.done * width / progress.total
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = formatSeconds(Monotonic.now - started)
        var line = "\r\(bar) \(progress.done)/\(progress.total) \(percent)%  \(elapsed)"
        if progress.unexpected > 0 { line += "  \(progress.unexpected) unexpected" }
        FileDescriptor.write(1, text: line + "\u{1B}[K")
      } else if percent / 10 > lastPrinted / 10 || progress.done == progress.total {
        guard percent != lastPrinted else { return }
        lastPrinted = percent
        print("… \(progress.done)/\(progress.total) (\(percent)%)")
      }
    }
  }

  func finish() {
    if interactive && lastTotal > 0 { FileDescriptor.write(1, text: "\n") }
  }
}
