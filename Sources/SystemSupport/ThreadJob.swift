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

  package init(_ body: @escaping () -> Void) { self.body = body }

  /// Starts the thread; false if it could not be created.
  /// - Parameter avoidingCurrentCPU: keep the thread off the CPU the caller runs on (where the caller may run
  ///   on others): Linux starts a thread on its creator's CPU, where it waited up to 5 ms, a scheduler slice,
  ///   while the creator ran on, before the balancer moved it to an idle CPU (Benchmarks/README.md). For work
  ///   meant to overlap the caller's.
  package func start(avoidingCurrentCPU: Bool = false) -> Bool {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    if avoidingCurrentCPU { _ = cscheduling_avoid_current_cpu(&attributes) }
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
