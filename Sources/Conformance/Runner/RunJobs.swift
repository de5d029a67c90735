import SystemSupport

/// A run's jobs: each takes the next case run, builds it, asks its loaders and judges their answers, on a
/// ``JobThread`` of its own, until no case run is left; results are collected as they come.
///
/// A job whose thread is left to an in-process loader past a case's limit is taken over by a new job,
/// which finishes that case from the answers so far and goes on with the rest: however many loaders
/// never return, as many jobs as asked for keep running.
final class RunJobs: Sendable {
  private let runner: ConformanceRunner
  private let runs: [CaseRun]
  private let started: [Result<LoaderInfo, LoaderStartError>]
  private let expectations: [LoaderExpectations]
  private let progress: (@Sendable (RunProgress) -> Void)?
  private let state: Locked<State>

  private struct State {
    var next = 0
    var results: [[CaseResult]]
    var done = 0
    var unexpected = 0
    var timings = RunTimings()
    /// Resumed once every case run is done.
    var finished: CheckedContinuation<Void, Never>?
  }

  init(
    runner: ConformanceRunner, runs: [CaseRun], started: [Result<LoaderInfo, LoaderStartError>],
    expectations: [LoaderExpectations], progress: (@Sendable (RunProgress) -> Void)?
  ) {
    self.runner = runner
    self.runs = runs
    self.started = started
    self.expectations = expectations
    self.progress = progress
    state = Locked(State(results: Array(repeating: [], count: runs.count)))
  }

  /// Runs every case run with `jobs` jobs at once: each case run's results, in the order of `runs`, and
  /// where the time went.
  func run(jobs: Int) async -> (results: [[CaseResult]], timings: RunTimings) {
    if !runs.isEmpty {
      await withCheckedContinuation { continuation in
        state.withLock { $0.finished = continuation }
        for _ in 0..<max(1, jobs) { start(nil) }
      }
    }
    return state.withLock { ($0.results, $0.timings) }
  }

  /// Starts a job on a thread of its own: first `resuming` (finishing a case another job's thread was
  /// left in), then the case runs no job has taken.
  func start(_ resuming: (@Sendable () async -> ConformanceRunner.Executed?)?) {
    let thread = JobThread()
    Task(executorPreference: thread) { [self] in
      defer { thread?.finish() }
      if let resuming {
        guard let executed = await resuming() else { return }
        deliver(executed)
      }
      while let index = take() {
        let executed = await runner.execute(
          runs[index], index: index, started: started, expectations: expectations, jobs: self)
        // Nil: this thread was left to a loader past the limit; a new job goes on.
        guard let executed else { return }
        deliver(executed)
      }
    }
  }

  /// The next case run no job has taken.
  private func take() -> Int? {
    state.withLock { state in
      guard state.next < runs.count else { return nil }
      defer { state.next += 1 }
      return state.next
    }
  }

  private func deliver(_ executed: ConformanceRunner.Executed) {
    let finished: CheckedContinuation<Void, Never>? = state.withLock { state in
      state.results[executed.index] = executed.results
      state.timings.building += executed.timings.building
      for (id, seconds) in executed.timings.loaders { state.timings.loaders[id, default: 0] += seconds }
      for (id, seconds) in executed.timings.loaderCPU { state.timings.loaderCPU[id, default: 0] += seconds }
      state.done += 1
      state.unexpected += executed.results.filter { $0.status.isUnexpected }.count
      // Reported under the lock: progress counts reach the reporter in order, one at a time.
      progress?(RunProgress(done: state.done, total: runs.count, unexpected: state.unexpected))
      guard state.done == runs.count else { return nil }
      defer { state.finished = nil }
      return state.finished
    }
    finished?.resume()
  }
}
