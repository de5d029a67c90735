/// Why results files cannot be merged.
public struct MergeError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

extension RunResults {
  /// Combines the results of several runs of the same corpus (CI shards) into one.
  ///
  /// The corpus hash and tool version must agree, a loader id must have one version, and a
  /// result present in two inputs must be identical. The earliest timestamp is kept. Sharded
  /// inputs must split the run the same way (`I/N` with one N) and, unless `allowPartial`, cover
  /// every shard: a merge of 1 of 2 shards would otherwise report half the suite as the whole.
  /// - Throws: ``MergeError``.
  public static func merge(_ runs: [RunResults], allowPartial: Bool = false) throws(MergeError) -> RunResults {
    guard let first = runs.first else { throw MergeError(message: "nothing to merge") }
    try checkShards(runs, allowPartial: allowPartial)
    var loaders: [LoaderInfo] = []
    var byKey: [ResultKey: CaseResult] = [:]
    var shards: Set<String> = []
    var timestamp = first.info.timestamp
    for (i, run) in runs.enumerated() {
      guard run.info.corpusHash == first.info.corpusHash else {
        throw MergeError(message: "input \(i + 1) was run on a different corpus (\(run.info.corpusHash) vs \(first.info.corpusHash))")
      }
      guard run.info.toolVersion == first.info.toolVersion else {
        throw MergeError(message: "input \(i + 1) was made by adaptest \(run.info.toolVersion), not \(first.info.toolVersion)")
      }
      guard run.info.filter == first.info.filter else {
        throw MergeError(message: "input \(i + 1) used a different --filter")
      }
      if run.info.timestamp.utf8.lexicographicallyPrecedes(timestamp.utf8) { timestamp = run.info.timestamp }
      shards.formUnion(run.info.shards)
      for loader in run.info.loaders {
        if let known = loaders.first(where: { $0.id == loader.id }) {
          guard known.version == loader.version else {
            throw MergeError(message: "loader \(loader.id) has version \(known.version) in one input and \(loader.version) in another")
          }
        } else {
          loaders.append(loader)
        }
      }
      for result in run.results {
        if let existing = byKey[result.key] {
          guard existing == result else { throw MergeError(message: "conflicting results for \(result.key)") }
        } else {
          byKey[result.key] = result
        }
      }
    }
    loaders.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    let info = RunInfo(
      toolVersion: first.info.toolVersion, corpusHash: first.info.corpusHash, timestamp: timestamp, loaders: loaders,
      filter: first.info.filter, shards: Array(shards).sortedUTF8())
    return RunResults(info: info, results: Array(byKey.values))
  }
}

extension RunResults {
  /// Refuses shards of different splits and, unless `allowPartial`, a set with shards missing. An
  /// input without shards is a whole run and covers everything.
  static func checkShards(_ runs: [RunResults], allowPartial: Bool) throws(MergeError) {
    guard runs.allSatisfy({ !$0.info.shards.isEmpty }) else { return }
    var count: Int?
    var present: Set<Int> = []
    for (i, run) in runs.enumerated() {
      for text in run.info.shards {
        guard let shard = Shard(text) else {
          throw MergeError(message: "input \(i + 1) names an invalid shard '\(text)'")
        }
        if let count, count != shard.count {
          throw MergeError(message: "input \(i + 1) is shard \(shard) but another input splits the run into \(count)")
        }
        count = shard.count
        present.insert(shard.index)
      }
    }
    guard let count, !allowPartial else { return }
    let missing = (1...count).filter { !present.contains($0) }
    if !missing.isEmpty {
      let names = missing.map { "\($0)/\(count)" }.joined(separator: ", ")
      throw MergeError(
        message: "shard(s) \(names) missing: the merged report would cover part of the run (pass --allow-partial to merge anyway)")
    }
  }
}
