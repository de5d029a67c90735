import CScheduling

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A closure run once on a detached POSIX thread.
package final class ThreadJob: @unchecked Sendable {
  private let body: () -> Void
  /// The creator's CPUs, taken back by a thread started off the creator's CPU once it runs.
  private var creatorCPUs = cscheduling_cpus()

  package init(_ body: @escaping () -> Void) { self.body = body }

  /// Starts the thread; false if it could not be created.
  /// - Parameter avoidingCurrentCPU: start the thread on another CPU than the caller's (where the caller may run
  ///   on others), then let it run anywhere the caller may. On this project's 2-vCPU VM a new thread was placed
  ///   on its creator's CPU and waited there up to 5 ms, a scheduler slice, while the creator ran on, before
  ///   the balancer moved it to the idle one (Benchmarks/README.md). For work meant to overlap the caller's.
  package func start(avoidingCurrentCPU: Bool = false) -> Bool {
    if avoidingCurrentCPU && start(placed: true) { return true }
    return start(placed: false)
  }

  private func start(placed: Bool) -> Bool {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    if !placed || cscheduling_avoid_current_cpu(&attributes, &creatorCPUs) == 0 { creatorCPUs.valid = 0 }
    let context = Unmanaged.passRetained(self).toOpaque()
    #if canImport(Darwin) || canImport(Musl)
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
      // Placed off the creator's CPU to start; threads it creates (a dispatch worker resuming a waiter) and the
      // rest of its own run are not confined.
      cscheduling_allow(&job.creatorCPUs)
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
