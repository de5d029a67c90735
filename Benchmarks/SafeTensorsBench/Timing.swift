#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Timing with a monotonic wall clock and the process CPU clock (the same clocks Python's
/// `time.perf_counter` and `time.process_time` read). On a shared machine, CPU time is the steadier
/// of the two: it leaves out the time other processes hold the cores.
enum Timing {
  static func now(_ clock: clockid_t = CLOCK_MONOTONIC) -> Double {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// Medians in seconds.
  struct Result {
    var wall: Double
    var cpu: Double
  }

  /// Runs `body` `warmup` times untimed, then `iterations` times; returns the medians.
  static func median(iterations: Int, warmup: Int = 2, _ body: () throws -> Void) rethrows -> Result {
    for _ in 0..<warmup { try body() }
    var wall: [Double] = []
    var cpu: [Double] = []
    for _ in 0..<iterations {
      let (wallStart, cpuStart) = (now(), now(CLOCK_PROCESS_CPUTIME_ID))
      try body()
      cpu.append(now(CLOCK_PROCESS_CPUTIME_ID) - cpuStart)
      wall.append(now() - wallStart)
    }
    return Result(wall: wall.sorted()[wall.count / 2], cpu: cpu.sorted()[cpu.count / 2])
  }
}

/// Keeps a value alive and observable so the optimizer cannot drop the work producing it.
@inline(never)
func blackHole<T>(_ value: T) {
  withExtendedLifetime(value) {}
}
