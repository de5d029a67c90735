import SystemSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A loader's answer and the seconds it took.
struct TimedAnswer: Sendable {
  var answer: LoaderAnswer
  var seconds: Double
  /// The CPU seconds of the thread that answered, for an in-process loader that answered in time.
  var cpuSeconds: Double? = nil
}

/// One case's in-process loaders answered one after the other on one thread, each within the per-case
/// limit: in place on a ``JobThread`` (``answersInPlace(_:_:limit:abandoned:)``), else on a thread of its
/// own (``answers(_:_:limit:)``).
///
/// A hop to a thread of its own per loader, with a timer and a detached task each, was a third of the
/// default run's CPU time (context switches, dispatch timers, continuations: `perf record` and
/// `strace -c` of a cached run). A case's loaders now share one thread, and one ``Deadlines`` thread
/// watches every case in flight.
///
/// When a loader overruns, the case's answers so far and a `TIMEOUT` for that loader are handed back at
/// once; the thread is abandoned to the loader (it cannot be stopped from outside) and runs nothing
/// after it: the remaining loaders answer on another thread.
final class InProcessRun: @unchecked Sendable {
  private struct State {
    var answers: [TimedAnswer] = []
    /// When the loader now running must have answered (`Monotonic` seconds).
    var deadline = Double.infinity
    var started = 0.0
    var startedCPU = 0.0
    /// Whether the answers were handed back (the run finished or overran).
    var settled = false
  }

  private let loaders: [any InProcessLoader]
  private let prepared: PreparedCase
  private let limit: Double?
  private let state = Locked(State())
  /// Where the answers go when the run is settled other than by ``work()`` returning them.
  private let handBack: @Sendable ([TimedAnswer]) -> Void

  private init(
    _ loaders: [any InProcessLoader], _ prepared: PreparedCase, limit: Double?,
    handBack: @escaping @Sendable ([TimedAnswer]) -> Void
  ) {
    self.loaders = loaders
    self.prepared = prepared
    self.limit = limit
    self.handBack = handBack
  }

  /// The loaders' answers in order, on a thread of their own: one per loader, or fewer when one overran
  /// (its answer, the last, is `.timedOut`). Never empty for a non-empty `loaders`.
  static func answers(_ loaders: [any InProcessLoader], _ prepared: PreparedCase, limit: Double?) async -> [TimedAnswer] {
    await withCheckedContinuation { continuation in
      let run = InProcessRun(loaders, prepared, limit: limit) { continuation.resume(returning: $0) }
      if let limit { Deadlines.shared.watch(run, limit: limit) }
      let work: @Sendable () -> Void = { if let answers = run.work() { run.handBack(answers) } }
      if !OwnThreads.shared.run(work) {
        // No thread to be had (resource exhaustion): run here rather than not at all.
        work()
      }
    }
  }

  /// The loaders' answers in order, on the calling thread (a ``JobThread``, which may be left to a loader
  /// that never returns): every loader's, or nil when one overran — `abandoned` then got the answers so
  /// far, the last a `.timedOut`, as soon as the limit passed, and this thread must do nothing more for
  /// the case.
  static func answersInPlace(
    _ loaders: [any InProcessLoader], _ prepared: PreparedCase, limit: Double?,
    abandoned: @escaping @Sendable ([TimedAnswer]) -> Void
  ) -> [TimedAnswer]? {
    let run = InProcessRun(loaders, prepared, limit: limit, handBack: abandoned)
    if let limit { Deadlines.shared.watch(run, limit: limit) }
    return run.work()
  }

  /// Each loader in turn, stopping if the run was settled for an overrun meanwhile: every answer, or nil
  /// once settled for an overrun (the answers so far went to ``handBack``).
  private func work() -> [TimedAnswer]? {
    for loader in loaders {
      let stillOurs = state.withLock { state in
        guard !state.settled else { return false }
        state.started = Monotonic.now
        state.startedCPU = ThreadCPUTime.now
        state.deadline = limit.map { state.started + $0 } ?? .infinity
        return true
      }
      guard stillOurs else { return nil }
      let answer = loader.answer(prepared)
      // The CPU clock's span lies within the wall clock's: the CPU time never exceeds the wall time.
      let (endedCPU, ended) = (ThreadCPUTime.now, Monotonic.now)
      let kept = state.withLock { state in
        guard !state.settled else { return false }
        state.answers.append(
          TimedAnswer(answer: answer, seconds: ended - state.started, cpuSeconds: endedCPU - state.startedCPU))
        return true
      }
      guard kept else { return nil }
    }
    return settle(timingOut: false, now: 0)
  }

  /// When ``Deadlines`` must look at the run next: its running loader's deadline, or, before its thread
  /// starts the first, `now` plus the limit (the earliest that deadline can be); `nil` once settled.
  fileprivate func nextCheck(now: Double) -> Double? {
    state.withLock { state in
      guard !state.settled, let limit else { return nil }
      return state.deadline.isFinite ? state.deadline : now + limit
    }
  }

  /// Settles the run, once: all the answers, or (timing out, if the running loader's deadline has passed
  /// by `now`) those so far and a `TIMEOUT`. Nil if there was nothing to do.
  private func settle(timingOut: Bool, now: Double) -> [TimedAnswer]? {
    let answers: [TimedAnswer]? = state.withLock { state in
      guard !state.settled else { return nil }
      if timingOut {
        guard now >= state.deadline, let limit else { return nil }
        state.answers.append(
          TimedAnswer(answer: CaseTimeLimit.timedOut(limit), seconds: now - state.started))
      }
      state.settled = true
      return state.answers
    }
    if answers != nil, limit != nil { Deadlines.shared.forget(self) }
    return answers
  }

  /// Hands back the answers so far and a `TIMEOUT` if the running loader's deadline has passed by `now`.
  fileprivate func timeOut(now: Double) {
    if let answers = settle(timingOut: true, now: now) { handBack(answers) }
  }
}

/// One thread that times out the in-process runs in flight: it sleeps until the earliest deadline and
/// settles the runs whose loader has not answered by then. Runs come and go under a lock, without
/// waking it unless a run's deadline is earlier than its wake-up.
final class Deadlines: @unchecked Sendable {
  static let shared = Deadlines()

  /// How long the thread sleeps with nothing to watch: it wakes no later than any deadline set while
  /// it slept with a limit at least this long, and earlier ones wake it.
  private static let idleSleep = 60.0

  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  // Guarded by `mutex`.
  private var runs: [InProcessRun] = []
  private var wakeAt = -Double.infinity
  private var started = false

  private init() {
    pthread_mutex_init(mutex, nil)
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    #if !canImport(Darwin)
      // Deadlines are `Monotonic` (CLOCK_MONOTONIC) seconds, and so are the waits.
      pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    #endif
    pthread_cond_init(condition, &attributes)
    pthread_condattr_destroy(&attributes)
  }

  /// Watches `run`, whose loaders each have `limit` seconds, until it is forgotten.
  func watch(_ run: InProcessRun, limit: Double) {
    pthread_mutex_lock(mutex)
    runs.append(run)
    if !started {
      started = true
      // If no thread can be had, runs are not timed out, as with no limit.
      _ = ThreadJob { self.loop() }.start()
    }
    // The run's deadlines are at least `limit` from now: the thread is woken only if it would sleep
    // past that (never when every run has the same limit and one is in flight).
    if Monotonic.now + limit < wakeAt { pthread_cond_signal(condition) }
    pthread_mutex_unlock(mutex)
  }

  /// Stops watching `run` (it settled).
  func forget(_ run: InProcessRun) {
    pthread_mutex_lock(mutex)
    if let i = runs.lastIndex(where: { $0 === run }) { runs.remove(at: i) }
    pthread_mutex_unlock(mutex)
  }

  private func loop() {
    pthread_mutex_lock(mutex)
    while true {
      let now = Monotonic.now
      var overdue: [InProcessRun] = []
      var earliest = now + Self.idleSleep
      for run in runs {
        guard let next = run.nextCheck(now: now) else { continue }
        if next <= now { overdue.append(run) } else { earliest = min(earliest, next) }
      }
      if !overdue.isEmpty {
        // Settling forgets the run, which takes the lock.
        pthread_mutex_unlock(mutex)
        for run in overdue { run.timeOut(now: now) }
        pthread_mutex_lock(mutex)
        continue
      }
      wakeAt = earliest
      #if canImport(Darwin)
        var interval = Self.timespec(earliest - now)
        _ = pthread_cond_timedwait_relative_np(condition, mutex, &interval)
      #else
        var until = Self.timespec(earliest)
        _ = pthread_cond_timedwait(condition, mutex, &until)
      #endif
    }
  }

  private static func timespec(_ seconds: Double) -> timespec {
    let whole = seconds.rounded(.down)
    return .init(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1e9))
  }
}
