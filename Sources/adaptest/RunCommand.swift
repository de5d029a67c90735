import ArgumentParser
import Conformance
import TensorIO

/// `adaptest run`: the conformance suite.
struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Run the conformance corpus against loaders and write reports.",
    discussion: """
      With no options: every corpus case against the built-in profiles (\(BuiltinLoaders.names.joined(separator: ", "))), \
      reports in reports/latest/, regressions against reports/baseline.json. Exits with 1 when a result is \
      unexpected (FAIL, ERROR, TIMEOUT, XPASS) or regressed, 3 when the corpus has errors.
      """)

  @Option(name: .customLong("loader"), help: "A built-in profile, NAME@VERSION for a driver (peft@0.21.2), or cmd:COMMAND. Repeatable.")
  var loaders: [String] = []
  @Option(help: "Only cases whose id matches this regular expression.") var filter: String?
  @Option(help: "Run the I-th of N slices (1-based), e.g. 2/4.") var shard: String?
  @Option(help: "Report folder.") var out = "reports/latest"
  @Option(help: "results.json to compare with (skipped when absent; default reports/baseline.json, none with --sweep).")
  var baseline: String?
  @Option(help: "Run an architecture sweep folder (scripts/sweep/make_architecture_sweep.py) instead of the corpus.")
  var sweep: String?
  @Flag(help: "Write this run's statuses as the new baseline.") var updateBaseline = false
  @Option(help: "The corpus folder.") var corpus = "Corpus"
  @Option(help: "Case runs in flight at once (default: the number of cores).") var jobs: Int?
  @Option(help: "Seconds an external driver may take per case.") var timeout: Double = 60
  @Option(help: "Driver processes per external loader.") var driverProcesses = 1
  @Flag(help: "Keep the generated case folders (printed at the end).") var keepArtifacts = false
  @Flag(help: "Keep expected and actual outcomes for every result, not only those that need attention.")
  var fullDetails = false

  func validate() throws {
    if let shard, Shard(shard) == nil { throw ValidationError("--shard must be I/N with 1 ≤ I ≤ N, got '\(shard)'") }
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    if timeout <= 0 { throw ValidationError("--timeout must be positive") }
  }

  func run() async throws {
    do {
      // A read-only or full --out is found now, not after the whole run.
      try ReportWriter.checkWritable(out)
    } catch {
      printError("adaptest: cannot write reports to \(DisplayText.terminalSafe(out)): \(error)")
      throw ExitCode(3)
    }
    let started = Monotonic.seconds()
    let source = try sweep.map(loadSweep) ?? CaseSource(corpus: try loadCorpus(corpus), root: corpus)
    let corpusSeconds = Monotonic.seconds() - started
    let lintErrors = source.diagnostics.filter { $0.severity == .error }
    for diagnostic in lintErrors { printError(DisplayText.terminalSafe(diagnostic.description)) }
    let baseline = self.baseline ?? (sweep == nil ? "reports/baseline.json" : "")

    let pattern: Pattern?
    do {
      pattern = try filter.map { try Pattern($0) }
      // Every case id once under the budget, before the run relies on the filter.
      try pattern?.check(source.cases.map(\.id))
    } catch {
      throw ValidationError("--filter: \(error)")
    }
    let selected = loaders.isEmpty ? BuiltinLoaders.names : loaders
    var instances: [any ConformanceLoader] = []
    let locator = DriverLocator()
    for name in selected {
      if let builtin = BuiltinLoaders.loader(named: name, environment: DriverLocator.processEnvironment()) {
        instances.append(builtin)
      } else if DriverLocator.isDriver(name) {
        do {
          instances.append(try locator.loader(for: name, caseTimeout: timeout, processes: driverProcesses))
        } catch {
          printError("adaptest: \(error)")
          throw ExitCode(3)
        }
      } else {
        throw ValidationError(
          "unknown loader '\(name)': use one of \(BuiltinLoaders.names.joined(separator: ", ")), NAME@VERSION or cmd:COMMAND")
      }
    }

    let scratch = FileSystem.join(TemporaryFolder.base(), "adaptest-run-\(ProcessID.current)")
    let expectationFiles = source.expectations
    let fallBack = source.expectationsFallBack
    let suite = ConformanceSuite(
      cases: source.cases, corpusHash: source.hash,
      expectations: { id in
        fallBack ? LoaderExpectations.resolve(id, in: expectationFiles) : expectationFiles[id] ?? LoaderExpectations(loader: id)
      },
      loaders: instances, materializer: source.materializer, filter: pattern, shard: shard.flatMap(Shard.init),
      jobs: jobs ?? ConformanceRunner.processorCount, scratch: scratch, keepArtifacts: keepArtifacts,
      details: fullDetails ? .full : .compact)
    let planned = suite.plannedRuns.count
    print("adaptest run: \(planned) case run(s) × \(instances.count) loader(s) (\(selected.joined(separator: ", ")))")
    let bar = ProgressBar(interactive: isTerminal(1))
    let runStarted = Monotonic.seconds()
    let (results, timings) = await suite.runTimed { bar.update($0) }
    bar.finish()
    let runSeconds = Monotonic.seconds() - runStarted

    let reportStarted = Monotonic.seconds()
    let baselineRun: RunResults? = !baseline.isEmpty && FileSystem.isFile(baseline) ? try readResults(baseline) : nil
    let diff: ResultsDiff?
    do {
      diff = try ReportWriter.write(results, baseline: baselineRun, to: out)
      if updateBaseline, !baseline.isEmpty { try AtomicFile.write(text: ResultsFile.encode(results.slim()), to: baseline) }
    } catch {
      printError("adaptest: cannot write reports: \(error)")
      throw ExitCode(3)
    }
    let reportSeconds = Monotonic.seconds() - reportStarted
    printRunSummary(results, diff: diff)
    let unexpected = results.unexpected
    for result in unexpected.prefix(20) {
      print(DisplayText.terminalSafe("\(result.status) \(result.loader): \(result.displayName): \(String(result.message.prefix(300)))"))
    }
    if unexpected.count > 20 { print("… and \(unexpected.count - 20) more unexpected result(s) in \(out)/summary.md") }
    let seconds = Monotonic.seconds() - started
    let rate = seconds > 0 ? Double(results.results.count) / seconds : 0
    print("reports: \(out)/{summary.md,junit.xml,index.html,results.json}; \(results.results.count) result(s) in \(formatSeconds(seconds)) (\(Int(rate)) per second)")
    var phases = "time: corpus and matrix planning \(formatSeconds(corpusSeconds)), run \(formatSeconds(runSeconds)) "
    phases += "(summed over \(suite.jobs) job(s): building cases \(formatSeconds(timings.building))"
    for id in results.loaderIDs { phases += ", \(id) \(formatSeconds(timings.loaders[id] ?? 0))" }
    phases += "), reports \(formatSeconds(reportSeconds))"
    print(DisplayText.terminalSafe(phases))
    if keepArtifacts { print("case folders kept in \(scratch)") }
    if updateBaseline { print("baseline updated: \(baseline)") }
    if !lintErrors.isEmpty { throw ExitCode(3) }
    if !unexpected.isEmpty || diff?.hasRegressions == true { throw ExitCode(1) }
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

  init(corpus: Corpus, root: String) {
    cases = corpus.cases
    hash = corpus.hash
    expectations = corpus.expectations
    diagnostics = corpus.diagnostics
    materializer = SynthesisMaterializer(corpusRoot: root)
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
      printError("adaptest: \(error)")
      throw ExitCode(3)
    }
  }
}

func formatSeconds(_ seconds: Double) -> String {
  seconds < 10 ? "\(Double(Int(seconds * 100)) / 100) s" : "\(Int(seconds.rounded())) s"
}

/// A one-line progress bar on a terminal; occasional plain lines otherwise.
final class ProgressBar: @unchecked Sendable {
  private let interactive: Bool
  private let lock = Lock()
  private var lastPrinted = -1
  private var lastTotal = 0
  private let started = Monotonic.seconds()

  init(interactive: Bool) { self.interactive = interactive }

  func update(_ progress: RunProgress) {
    lock.withLock {
      lastTotal = progress.total
      let percent = progress.total == 0 ? 100 : progress.done * 100 / progress.total
      if interactive {
        let width = 30
        let filled = progress.total == 0 ? width : progress.done * width / progress.total
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let elapsed = formatSeconds(Monotonic.seconds() - started)
        var line = "\r\(bar) \(progress.done)/\(progress.total) \(percent)%  \(elapsed)"
        if progress.unexpected > 0 { line += "  \(progress.unexpected) unexpected" }
        writeOut(line + "\u{1B}[K")
      } else if percent / 10 > lastPrinted / 10 || progress.done == progress.total {
        guard percent != lastPrinted else { return }
        lastPrinted = percent
        print("… \(progress.done)/\(progress.total) (\(percent)%)")
      }
    }
  }

  func finish() {
    if interactive && lastTotal > 0 { writeOut("\n") }
  }
}
