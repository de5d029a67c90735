import SystemSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A thread of its own that one of the runner's jobs runs on: the job's task prefers it as its executor,
/// so the job builds a case, has its in-process loaders answer and judges the answers all on this thread.
///
/// Handing each case to another thread for its answers and back (``InProcessRun``'s hop) was a fifth of
/// the default run's CPU time and a quarter of its wall time: two wake-ups a case, each a futex and, on
/// a VM, an interrupt between cores (an experiment answering in place: 9.23 → 6.91 s wall, 15.95 →
/// 12.66 s CPU). Answering in place is safe only on a thread that can be given up: if a loader overruns
/// the case's limit, the thread is left to it and another job thread takes the job over
/// (``CaseTimeLimit/answers(_:_:seconds:abandoned:)``), as the hop left its own thread.
final class JobThread: TaskExecutor, @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  // Guarded by `mutex`.
  private var queue = PendingJobs<UnownedJob>()
  private var finished = false

  /// Starts the thread; nil if no thread can be had (the job then runs on the cooperative pool and
  /// hands its answers to threads of their own, as before).
  init?() {
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
    // The thread holds the executor until it ends (after ``finish()``), whatever the tasks retain.
    guard ThreadJob({ [self] in loop() }).start() else { return nil }
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    pthread_mutex_lock(mutex)
    queue.append(job)
    pthread_mutex_unlock(mutex)
    // Signalled after unlocking: a woken thread does not block at once on the lock the signaller holds.
    pthread_cond_signal(condition)
  }

  /// Lets the thread end once it has run what is queued: the job's task is over.
  func finish() {
    pthread_mutex_lock(mutex)
    finished = true
    pthread_mutex_unlock(mutex)
    pthread_cond_signal(condition)
  }

  /// Whether the calling thread is a job thread: one that may be left to a loader that never returns.
  static var isCurrent: Bool { pthread_getspecific(currentKey) != nil }

  private static let currentKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  private func loop() {
    pthread_setspecific(Self.currentKey, UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()))
    let executor = asUnownedTaskExecutor()
    pthread_mutex_lock(mutex)
    while true {
      if let job = queue.take() {
        pthread_mutex_unlock(mutex)
        job.runSynchronously(on: executor)
        pthread_mutex_lock(mutex)
        continue
      }
      if finished { break }
      pthread_cond_wait(condition, mutex)
    }
    pthread_mutex_unlock(mutex)
    pthread_setspecific(Self.currentKey, nil)
  }
}
