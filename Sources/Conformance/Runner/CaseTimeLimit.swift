import Dispatch
import SystemSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The per-case time limit: a loader that has not answered a case within it gets `TIMEOUT` and the
/// run goes on.
///
/// External drivers enforce their own limit by killing the driver. An in-process loader (a built-in
/// profile) cannot be stopped from outside; its answer is abandoned instead, and its work goes on
/// on a thread of its own (``ProfileLoader`` runs on ``onOwnThread(_:)``), so that even a case that
/// never finishes cannot stall the run.
enum CaseTimeLimit {
  /// The loader's answer, or `.timedOut` if it takes longer than `seconds`.
  static func answer(_ loader: any ConformanceLoader, _ prepared: PreparedCase, seconds: Double?) async -> LoaderAnswer {
    guard let seconds else { return await attempt(loader, prepared) }
    return await withCheckedContinuation { (continuation: CheckedContinuation<LoaderAnswer, Never>) in
      let once = Once()
      Task.detached {
        // The clock starts when the loader gets the case, not while the task waits for a thread.
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
          if once.claim() {
            continuation.resume(returning: .timedOut("no answer within the per-case limit of \(Self.format(seconds))"))
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

  private static func format(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
  }
}

/// Runs blocking or CPU-bound work on a new thread of its own, never on the cooperative pool or a
/// shared dispatch worker: even work that never returns cannot starve anything else.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
  await withCheckedContinuation { continuation in
    let job = ThreadJob { continuation.resume(returning: work()) }
    if !job.start() {
      // No thread to be had (resource exhaustion): run here rather than not at all.
      continuation.resume(returning: work())
    }
  }
}

/// A closure run once on a detached POSIX thread.
private final class ThreadJob: @unchecked Sendable {
  private let body: () -> Void

  init(_ body: @escaping () -> Void) { self.body = body }

  /// Starts the thread; false if it could not be created.
  func start() -> Bool {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    let context = Unmanaged.passRetained(self).toOpaque()
    #if canImport(Darwin)
      var thread: pthread_t?
    #else
      var thread = pthread_t()
    #endif
    let status = pthread_create(&thread, &attributes, { context in
      #if canImport(Darwin)
        let job = Unmanaged<ThreadJob>.fromOpaque(context).takeRetainedValue()
      #else
        guard let context else { return nil }
        let job = Unmanaged<ThreadJob>.fromOpaque(context).takeRetainedValue()
      #endif
      job.body()
      return nil
    }, context)
    if status != 0 {
      Unmanaged<ThreadJob>.fromOpaque(context).release()
      return false
    }
    return true
  }
}
