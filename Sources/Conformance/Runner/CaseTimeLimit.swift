import Dispatch
import SystemSupport

/// The per-case time limit: a loader that has not answered a case within it gets `TIMEOUT` and the
/// run goes on.
///
/// External drivers enforce their own limit by killing the driver. An in-process loader (a built-in
/// profile) cannot be stopped from outside; its answer is abandoned instead, and it keeps the thread it
/// runs on — a job's own thread, which another takes over, or one of its own (``InProcessRun``) — so that
/// even a case that never finishes cannot stall the run.
enum CaseTimeLimit {
  /// Every loader's answer to the case, in order, each timed: consecutive in-process loaders answer on one
  /// thread (``InProcessRun``) — in place on a ``JobThread``, else on a thread of their own — the others
  /// through ``answer(_:_:seconds:)``.
  ///
  /// Nil when an in-process loader overran the limit on this job thread: the thread is left to it, and
  /// `abandoned` got the answers so far (the last a `TIMEOUT`) when the limit passed, for another thread
  /// to ask the loaders after it and finish the case. Off a job thread, never nil: the loaders after an
  /// overrun answer on a new thread of their own.
  static func answers(
    _ loaders: [any ConformanceLoader], _ prepared: PreparedCase, seconds: Double?,
    abandoned: @escaping @Sendable ([TimedAnswer]) -> Void
  ) async -> [TimedAnswer]? {
    var answers: [TimedAnswer] = []
    while answers.count < loaders.count {
      let inProcess = loaders[answers.count...].prefix { $0 is any InProcessLoader }.compactMap { $0 as? any InProcessLoader }
      if inProcess.isEmpty {
        let before = Monotonic.now
        let answer = await answer(loaders[answers.count], prepared, seconds: seconds)
        answers.append(TimedAnswer(answer: answer, seconds: Monotonic.now - before))
      } else if JobThread.isCurrent {
        let soFar = answers
        guard
          let more = InProcessRun.answersInPlace(inProcess, prepared, limit: seconds, abandoned: { abandoned(soFar + $0) })
        else { return nil }
        answers += more
      } else {
        // Fewer answers than loaders when one overran: the rest go on a new thread.
        answers += await InProcessRun.answers(inProcess, prepared, limit: seconds)
      }
    }
    return answers
  }

  /// The loader's answer, or `.timedOut` if it takes longer than `seconds`.
  static func answer(_ loader: any ConformanceLoader, _ prepared: PreparedCase, seconds: Double?) async -> LoaderAnswer {
    guard let seconds else { return await attempt(loader, prepared) }
    return await withCheckedContinuation { (continuation: CheckedContinuation<LoaderAnswer, Never>) in
      let once = Once()
      Task.detached {
        // The clock starts when the loader gets the case, not while the task waits for a thread.
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
          if once.claim() {
            continuation.resume(returning: timedOut(seconds))
          }
        }
        let answer = await attempt(loader, prepared)
        if once.claim() { continuation.resume(returning: answer) }
      }
    }
  }

  private static func attempt(_ loader: any ConformanceLoader, _ prepared: PreparedCase) async -> LoaderAnswer {
    do {
      return try await loader.run(prepared)
    } catch {
      return .failed("\(error)")
    }
  }

  /// The answer of a loader past the limit of `seconds`.
  static func timedOut(_ seconds: Double) -> LoaderAnswer {
    let limit = seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    return .timedOut("no answer within the per-case limit of \(limit)")
  }
}
