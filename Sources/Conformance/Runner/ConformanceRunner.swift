#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import SystemSupport
import TensorIO

/// Progress of a run, reported after each case run.
public struct RunProgress: Sendable {
  public var done: Int
  public var total: Int
  /// Results so far with an unexpected status.
  public var unexpected: Int
}

/// Where a run's time went, summed over all case runs (CPU-parallel work adds up to more than the
/// wall time). Kept out of the reports, which must not depend on timing.
public struct RunTimings: Sendable {
  /// Seconds spent building case folders.
  public var building: Double = 0
  /// Seconds per loader id.
  public var loaders: [String: Double] = [:]
  /// CPU seconds per in-process loader id (the threads' own clocks): with more jobs than cores, the
  /// seconds above also count the waits for a core.
  public var loaderCPU: [String: Double] = [:]
}

/// Runs case runs against loaders, in parallel, and returns the results in a fixed order
/// (loader, case id, format) whatever order they complete in.
public struct ConformanceRunner: Sendable {
  public var loaders: [any ConformanceLoader]
  public var materializer: any CaseMaterializer
  /// Per-loader expectations (xfail/skip), looked up by loader id.
  public var expectations: @Sendable (String) -> LoaderExpectations
  /// How many case runs are in flight at once.
  public var jobs: Int
  /// Where case folders are built; each case run gets its own sub-folder, removed afterwards.
  public var scratch: String
  /// Keep the case folders (for debugging a failure).
  public var keepArtifacts: Bool
  /// How much of each result to keep.
  public var details: ResultDetails

  /// How much of each result a run keeps. Thousands of passing results need no copy of what they
  /// matched; results that need attention keep everything.
  public enum ResultDetails: Sendable, Hashable {
    /// FAIL, XPASS, ERROR and TIMEOUT keep `expected` and `actual`; XFAIL keeps `expected`;
    /// PASS and SKIP keep status and message.
    case compact
    /// Every result keeps `expected`, `actual` and the description.
    case full
  }
  /// Seconds a loader may take to answer one case before it is reported `TIMEOUT` (`nil`: no limit).
  public var caseTimeLimit: Double?

  public init(
    loaders: [any ConformanceLoader], materializer: any CaseMaterializer,
    expectations: @escaping @Sendable (String) -> LoaderExpectations = { LoaderExpectations(loader: $0) },
    jobs: Int = ConformanceRunner.defaultJobs, scratch: String, keepArtifacts: Bool = false,
    details: ResultDetails = .full,
    caseTimeLimit: Double? = ConformanceRunner.defaultCaseTimeLimit
  ) {
    self.details = details
    self.loaders = loaders
    self.materializer = materializer
    self.expectations = expectations
    self.jobs = max(1, jobs)
    self.scratch = scratch
    self.keepArtifacts = keepArtifacts
    self.caseTimeLimit = caseTimeLimit
  }

  /// The default per-case limit: generous next to the milliseconds a case takes, short enough that a
  /// hung loader costs a run minutes, not forever.
  public static let defaultCaseTimeLimit: Double = 300

  /// The number of online processors.
  public static var processorCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

  /// Case runs in flight by default: one more than the processors, so that none idles while a job waits
  /// for a driver or a file. (When each case was handed to a thread of its own for its built-in profiles,
  /// the extra job hid the hand-overs: a cached default run on 2 cores took 10.0–10.8 s wall with 2 jobs,
  /// 9.1–9.3 s with 3. Answering on the job's own thread, 2 and 3 jobs run it alike: 4.41–4.68 s and
  /// 4.50–4.57 s of running.)
  public static var defaultJobs: Int { processorCount + 1 }

  /// Starts every loader, runs every case run, shuts the loaders down.
  /// - Returns: the loaders' infos (in the given order) and one result per loader × case run.
  public func run(
    _ runs: [CaseRun], progress: (@Sendable (RunProgress) -> Void)? = nil
  ) async -> (loaders: [LoaderInfo], results: [CaseResult]) {
    let (infos, results, _) = await runTimed(runs, progress: progress)
    return (infos, results)
  }

  /// ``run(_:progress:)``, also saying where the time went.
  public func runTimed(
    _ runs: [CaseRun], progress: (@Sendable (RunProgress) -> Void)? = nil
  ) async -> (loaders: [LoaderInfo], results: [CaseResult], timings: RunTimings) {
    let started = await startLoaders()
    // A driver given as a command learns its id in the handshake; expectations follow that id.
    let expectationFiles = zip(loaders, started).map { loader, start in expectations((try? start.get())?.id ?? loader.id) }
    try? FileSystem.createDirectory(scratch)

    let jobs = RunJobs(runner: self, runs: runs, started: started, expectations: expectationFiles, progress: progress)
    let (results, timings) = await jobs.run(jobs: min(self.jobs, runs.count))
    for loader in loaders { await loader.shutdown() }
    // Every case folder is gone by now unless kept; the scratch folder itself goes too (it was left
    // empty in /dev/shm after every run). `rmdir` removes it only if empty.
    if !keepArtifacts { rmdir(scratch) }
    let infos = zip(loaders, started).map { loader, start in
      (try? start.get()) ?? LoaderInfo(id: loader.id, name: loader.id, version: "unavailable")
    }
    return (infos, results.flatMap { $0 }.sortedByKey(), timings)
  }

  /// One case run's results and timings.
  struct Executed: Sendable {
    var index: Int
    var results: [CaseResult]
    var timings: RunTimings
  }

  /// A loader the case is put to, and where its result goes.
  struct Asked: Sendable {
    var slot: Int
    var loader: any ConformanceLoader
    var id: String
    var capabilities: LoaderCapabilities
    var entry: LoaderExpectations.Entry?
    var note: ExpectationNote?
  }

  /// One loader's start, as a plain value (child-task results stay simple).
  private struct Started: Sendable {
    var index: Int
    var info: LoaderInfo?
    var error: String
  }

  private func startLoaders() async -> [Result<LoaderInfo, LoaderStartError>] {
    let outcomes = await withTaskGroup(of: Started.self) { group in
      for (i, loader) in loaders.enumerated() {
        group.addTask {
          do {
            return Started(index: i, info: try await loader.start(), error: "")
          } catch {
            return Started(index: i, info: nil, error: "\(error)")
          }
        }
      }
      var all: [Started] = []
      for await started in group { all.append(started) }
      return all
    }
    return (0..<loaders.count).map { i in
      guard let outcome = outcomes.first(where: { $0.index == i }) else {
        return .failure(LoaderStartError(message: "the loader did not report"))
      }
      if let info = outcome.info { return .success(info) }
      return .failure(LoaderStartError(message: outcome.error))
    }
  }

  /// A case run on its way through its loaders: each loader's result, or nil for one still to answer.
  struct CaseInProgress: Sendable {
    let run: CaseRun
    let details: ResultDetails
    var results: [CaseResult?] = []
    var asked: [Asked] = []
    var timings = RunTimings()
    /// The expectation as JSON, encoded only for the results that keep it (most passes keep neither), once.
    private var expectedJSON: JSONValue?

    init(_ run: CaseRun, details: ResultDetails) {
      self.run = run
      self.details = details
    }

    mutating func result(
      _ loader: String, _ status: CaseStatus, actual: @autoclosure () -> JSONValue? = nil, message: String,
      note: ExpectationNote? = nil, seconds: Double? = nil
    ) -> CaseResult {
      // Details are kept where someone will read them: a result that needs attention keeps
      // everything; an expected failure its expectation; a pass or a skip only its status.
      let spec = run.spec
      let full = details == .full || status.isUnexpected
      let keepsExpected = full || status == .xfail || status == .error || status == .timeout
      var expected: JSONValue?
      if keepsExpected {
        expected = expectedJSON ?? OutcomeJSON.encode(spec.expect)
        expectedJSON = expected
      }
      return CaseResult(
        loader: loader, id: spec.id, format: run.format, status: status, expected: expected,
        actual: full ? actual() : nil, message: message, expectation: note, coordinates: spec.coordinates,
        description: full ? spec.description : "", seconds: seconds)
    }
  }

  /// Runs one case run against every loader, building its files once, only if some loader needs them.
  /// Nil when this job's thread was left to a loader past the case's limit: another job finishes the case.
  func execute(
    _ run: CaseRun, index: Int, started: [Result<LoaderInfo, LoaderStartError>], expectations: [LoaderExpectations],
    jobs: RunJobs
  ) async -> Executed? {
    let spec = run.spec
    var state = CaseInProgress(run, details: details)
    for (i, loader) in loaders.enumerated() {
      let info: LoaderInfo
      switch started[i] {
      case .failure(let error):
        state.results.append(state.result(loader.id, .error, message: "the loader did not start: \(error.message)"))
        continue
      case .success(let value): info = value
      }
      let entry = expectations[i].entry(for: spec, format: run.format)
      let note = entry.map {
        ExpectationNote(
          status: $0.status, reason: $0.reason, ref: $0.ref,
          at: $0.location.file.isEmpty ? "" : "\($0.location.file):\($0.location.line)")
      }
      if let reason = spec.unbuildable {
        state.results.append(state.result(info.id, .skip, message: "impossible combination: \(reason)", note: note))
      } else if let reason = info.capabilities.reasonToSkip(spec, format: run.format) {
        state.results.append(state.result(info.id, .skip, message: reason, note: note))
      } else if let entry, entry.status == .skip {
        state.results.append(state.result(info.id, .skip, message: "skipped: \(entry.reason)", note: note))
      } else {
        state.asked.append(
          Asked(
            slot: state.results.count, loader: loader, id: info.id, capabilities: info.capabilities, entry: entry,
            note: note))
        state.results.append(nil)
      }
    }

    let folder = FileSystem.join(scratch, String(format6(index)))
    guard !state.asked.isEmpty else {
      return Executed(index: index, results: state.results.compactMap { $0 }, timings: state.timings)
    }
    let before = Monotonic.now
    let prepared = await prepare(run, folder: folder)
    state.timings.building += Monotonic.now - before
    switch prepared {
    case .failure(let error):
      for loader in state.asked {
        state.results[loader.slot] = state.result(
          loader.id, .error, message: "the case could not be built: \(error)", note: loader.note)
      }
      return finish(state, index: index, folder: folder)
    case .success(let ready):
      return await ask(state, index: index, ready: ready, folder: folder, answered: [], jobs: jobs)
    }
  }

  /// Asks the case's loaders from the first not `answered` on, judges every answer and finishes the case.
  /// Nil when this job's thread was left to a loader past the limit: another job goes on from the answers
  /// so far.
  func ask(
    _ state: CaseInProgress, index: Int, ready: PreparedCase, folder: String, answered: [TimedAnswer], jobs: RunJobs
  ) async -> Executed? {
    var answers = answered
    if answers.count < state.asked.count {
      let soFar = answers
      let rest = state.asked[answers.count...].map(\.loader)
      let more = await CaseTimeLimit.answers(rest, ready, seconds: caseTimeLimit) { later in
        jobs.start {
          await self.ask(state, index: index, ready: ready, folder: folder, answered: soFar + later, jobs: jobs)
        }
      }
      guard let more else { return nil }
      answers += more
    }
    var state = state
    for (loader, timed) in zip(state.asked, answers) {
      let (note, seconds) = (loader.note, timed.seconds)
      state.timings.loaders[loader.id, default: 0] += seconds
      if let cpu = timed.cpuSeconds { state.timings.loaderCPU[loader.id, default: 0] += cpu }
      // Reports must not depend on where the case was built: folder paths become relative names.
      switch Self.relativized(timed.answer, prepared: ready, scratch: folder) {
      case .timedOut(let message):
        state.results[loader.slot] = state.result(loader.id, .timeout, message: message, note: note, seconds: seconds)
      case .failed(let message):
        state.results[loader.slot] = state.result(loader.id, .error, message: message, note: note, seconds: seconds)
      case .cannotTell(let message):
        state.results[loader.slot] = state.result(
          loader.id, .skip, message: "cannot tell: \(message)", note: note, seconds: seconds)
      case .outcome(let outcome):
        let problems = OutcomeCheck.discrepancies(
          expected: state.run.spec.expect, observed: outcome, reports: loader.capabilities.reports,
          keyNaming: loader.capabilities.keyNaming)
        let status = CaseStatus.judge(discrepancies: problems, expectation: loader.entry?.status)
        var message = problems.joined(separator: "; ")
        if status == .xpass { message = "passes, but the expectation file says it fails: \(note?.summary ?? "")" }
        state.results[loader.slot] = state.result(
          loader.id, status, actual: OutcomeJSON.encode(outcome, reports: loader.capabilities.reports), message: message,
          note: note, seconds: seconds)
      }
    }
    return finish(state, index: index, folder: folder)
  }

  /// The case's results, its folder removed (a cached pair is handed over in place and leaves none).
  private func finish(_ state: CaseInProgress, index: Int, folder: String) -> Executed {
    var timings = state.timings
    if !keepArtifacts && FileSystem.kind(of: folder, followLinks: false) != .missing {
      let before = Monotonic.now
      try? FileSystem.removeTree(folder)
      timings.building += Monotonic.now - before
    }
    return Executed(index: index, results: state.results.compactMap { $0 }, timings: timings)
  }

  /// The answer with the case's folder paths replaced by `base`, `adapter`, `loaded/NAME`.
  static func relativized(_ answer: LoaderAnswer, prepared: PreparedCase, scratch: String) -> LoaderAnswer {
    var replacements = [(prepared.adapter, "adapter"), (prepared.base, "base")]
    for loaded in prepared.loaded { replacements.append((loaded.path, "loaded/\(loaded.name)")) }
    replacements.append((scratch, "case"))
    func clean(_ text: String) -> String {
      var result = text
      for (path, name) in replacements where !path.isEmpty { result = result.replacingAll(path, with: name) }
      return result
    }
    switch answer {
    case .timedOut(let message): return .timedOut(clean(message))
    case .failed(let message): return .failed(clean(message))
    case .cannotTell(let message): return .cannotTell(clean(message))
    case .outcome(var outcome):
      if var error = outcome.error {
        error.message = clean(error.message)
        outcome.error = error
      }
      outcome.warnings = outcome.warnings.map { LoadWarning(category: $0.category, message: clean($0.message)) }
      outcome.diagnostics = outcome.diagnostics.map {
        LoadDiagnostic(code: $0.code, severity: $0.severity, keys: $0.keys, message: clean($0.message), fix: $0.fix.map(clean))
      }
      return .outcome(outcome)
    }
  }

  private func prepare(_ run: CaseRun, folder: String) async -> Result<PreparedCase, any Error> {
    do {
      return .success(try await materializer.prepare(run, in: folder))
    } catch {
      return .failure(error)
    }
  }

  private func format6(_ n: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, 6 - s.count)) + s
  }
}

/// Why a loader could not start.
struct LoaderStartError: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
