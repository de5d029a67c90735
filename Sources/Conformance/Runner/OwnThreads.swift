import SystemSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs blocking or CPU-bound work on a thread of its own, never on the cooperative pool or a
/// shared dispatch worker: even work that never returns cannot starve anything else.
///
/// The thread is one of ``OwnThreads``: a thread that finished its work waits for the next, and a
/// new thread is started only when none is waiting. A thread per call (39,000 of them in a default
/// run) cost a `clone`, a stack mapping and its teardown each, and made `perf` miss the short-lived
/// threads' samples.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
  await withCheckedContinuation { continuation in
    if !OwnThreads.shared.run({ continuation.resume(returning: work()) }) {
      // No thread to be had (resource exhaustion): run here rather than not at all.
      continuation.resume(returning: work())
    }
  }
}

/// Threads for ``onOwnThread(_:)``, each running one job at a time. A job goes to a waiting thread,
/// else to a new one, so a job never waits behind another (a job that never ends keeps its thread
/// and nothing else); at most ``maximumWaiting`` threads wait, the others end when done.
final class OwnThreads: @unchecked Sendable {
  static let shared = OwnThreads()

  /// Threads kept waiting for work; more than the run's jobs ever ask for at once.
  static let maximumWaiting = 64

  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  // Guarded by `mutex`.
  private var jobs = PendingJobs<() -> Void>()
  private var waiting = 0
  private var started = 0

  /// A pool of its own (the run uses ``shared``; its threads live as long as the process).
  init() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  /// Threads started so far, and threads waiting for a job (for tests).
  var counts: (started: Int, waiting: Int) {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return (started, waiting)
  }

  /// Hands `job` to a waiting thread or starts a thread with it; false (and `job` not run) if no
  /// thread could be started.
  func run(_ job: @escaping () -> Void) -> Bool {
    pthread_mutex_lock(mutex)
    // A queued job needs a waiting thread of its own. (A signalled thread counts as waiting until it
    // takes a job, and the job it will take counts as queued until then.)
    if waiting > jobs.count {
      jobs.append(job)
      pthread_cond_signal(condition)
      pthread_mutex_unlock(mutex)
      return true
    }
    pthread_mutex_unlock(mutex)
    guard ThreadJob({ job(); self.work() }).start() else { return false }
    pthread_mutex_lock(mutex)
    started += 1
    pthread_mutex_unlock(mutex)
    return true
  }

  /// A thread's life: run queued jobs, wait for more while few enough threads wait.
  private func work() {
    pthread_mutex_lock(mutex)
    while true {
      if let job = jobs.take() {
        pthread_mutex_unlock(mutex)
        job()
        pthread_mutex_lock(mutex)
        continue
      }
      guard waiting < Self.maximumWaiting else { break }
      waiting += 1
      pthread_cond_wait(condition, mutex)
      waiting -= 1
    }
    pthread_mutex_unlock(mutex)
  }
}

/// Jobs waiting for a thread, first in first out: taken at a moving head, the storage emptied (its capacity
/// kept) whenever the head reaches its end.
struct PendingJobs<Job> {
  private var items: [Job] = []
  private var head = 0

  /// Jobs not taken yet.
  var count: Int { items.count - head }

  mutating func append(_ job: Job) { items.append(job) }

  mutating func take() -> Job? {
    guard head < items.count else { return nil }
    let job = items[head]
    head += 1
    if head == items.count {
      items.removeAll(keepingCapacity: true)
      head = 0
    }
    return job
  }
}
