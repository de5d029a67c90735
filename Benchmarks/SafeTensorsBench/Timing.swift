#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Wall-clock timing with a monotonic clock.
enum Timing {
  static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// Runs `body` `warmup` times untimed, then `iterations` times; returns the median in seconds.
  static func median(iterations: Int, warmup: Int = 2, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var samples: [Double] = []
    for _ in 0..<iterations {
      let start = now()
      try body()
      samples.append(now() - start)
    }
    samples.sort()
    return samples[samples.count / 2]
  }
}

/// Keeps a value alive and observable so the optimizer cannot drop the work producing it.
@inline(never)
func blackHole<T>(_ value: T) {
  withExtendedLifetime(value) {}
}
