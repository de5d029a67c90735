import SystemSupport

/// Values a command holds until the process exits, so that they are never freed one by one: a planned corpus
/// is thousands of cases of many allocations each, and releasing them took about 40 ms of one core at the end
/// of `run --list` (`perf record`), after the last line was printed. The process's exit returns the memory at
/// once.
enum KeptUntilExit {
  private static let kept = Locked<[Any]>([])

  static func keep(_ values: Any...) {
    kept.withLock { $0.append(contentsOf: values) }
  }
}
