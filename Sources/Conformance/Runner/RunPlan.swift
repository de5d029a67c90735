import TensorIO

/// `--shard I/N`: the I-th of N slices of the case runs (1-based), for fanning out over CI machines.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
  public var index: Int
  public var count: Int

  /// Parses `I/N` with 1 ≤ I ≤ N.
  public init?(_ text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(i) else { return nil }
    index = i
    count = n
  }

  public var description: String { "\(index)/\(count)" }

  /// Whether the run at position `position` (in id order) belongs to this shard. Round-robin
  /// over the sorted runs keeps shards balanced across case families.
  public func contains(position: Int) -> Bool { position % count == index - 1 }
}

/// Which case runs a run covers: every case × format, filtered, then sharded, in id order.
public enum RunPlan {
  public static func runs(_ cases: [CaseSpec], filter: Pattern? = nil, shard: Shard? = nil) -> [CaseRun] {
    // Appended in place: a case run holds its whole case, and an array of runs per case, appended, copied each
    // (a third of listing the runs, `perf record` of the planning).
    var all: [CaseRun] = []
    if filter == nil { all.reserveCapacity(cases.count * CheckpointFormat.allCases.count) }
    for spec in cases.sortedByID() where filter?.matches(spec.id) ?? true {
      for format in spec.formats.sorted(by: { $0.rawValue < $1.rawValue }) { all.append(CaseRun(spec: spec, format: format)) }
    }
    guard let shard else { return all }
    return all.enumerated().filter { shard.contains(position: $0.offset) }.map(\.element)
  }
}
