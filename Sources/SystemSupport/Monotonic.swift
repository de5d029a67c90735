#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Seconds on a monotonic clock (timings and deadlines; never wall-clock time).
package enum Monotonic {
  package static var now: Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }
}

/// Seconds of CPU time the calling thread has used: what a piece of work cost, whatever else the machine
/// ran meanwhile (wall time on a machine with more threads than cores counts the waits too).
package enum ThreadCPUTime {
  package static var now: Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }
}
