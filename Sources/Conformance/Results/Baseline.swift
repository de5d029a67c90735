/// The baseline: the statuses a later run is compared with (`reports/baseline.json`).
public enum Baseline {
  /// What a run covered, for updating a baseline with it.
  public enum Coverage: Sendable, Hashable {
    /// Every case of the corpus (no filter, no shard): the run's loaders are replaced entirely, so
    /// cases that left the corpus leave the baseline too.
    case complete
    /// Only these case ids (a `--filter` or a `--shard`): every other case keeps its entry.
    case partial(Set<String>)
  }

  /// How an update changed the baseline, for the line the command prints.
  public struct UpdateSummary: Sendable, Hashable {
    /// Results whose status changed.
    public var changed = 0
    /// Results the baseline did not have.
    public var added = 0
    /// Results of the covered cases that the run no longer produced (or, for a complete run, cases
    /// gone from the corpus).
    public var removed = 0
    /// Results the run did not touch.
    public var kept = 0

    public init() {}
  }

  /// `old` updated with `run`: results of `run`'s loaders for the cases it covered are replaced by
  /// `run`'s results (slimmed to key and status); everything else in `old` is kept. Without an old
  /// baseline the result is `run` itself, slimmed.
  ///
  /// A filtered or sharded run therefore never shrinks the baseline to the cases it happened to run.
  public static func updated(
    _ old: RunResults?, with run: RunResults, coverage: Coverage
  ) -> (baseline: RunResults, summary: UpdateSummary) {
    let fresh = run.slim()
    var summary = UpdateSummary()
    let ranLoaders = Set(run.loaderIDs)
    var newByKey: [ResultKey: CaseResult] = [:]
    for result in fresh.results { newByKey[result.key] = result }
    var kept: [CaseResult] = []
    var seen: Set<ResultKey> = []
    for result in old?.results ?? [] {
      let covered: Bool
      switch coverage {
      case .complete: covered = ranLoaders.contains(result.loader)
      case .partial(let ids): covered = ranLoaders.contains(result.loader) && ids.contains(result.id)
      }
      if let replacement = newByKey[result.key] {
        seen.insert(result.key)
        if replacement.status != result.status { summary.changed += 1 }
      } else if covered {
        summary.removed += 1
      } else {
        kept.append(CaseResult(loader: result.loader, id: result.id, format: result.format, status: result.status))
        summary.kept += 1
      }
    }
    summary.added = fresh.results.count - seen.count
    var loaders = fresh.info.loaders
    for loader in old?.info.loaders ?? [] where !loaders.contains(where: { $0.id == loader.id }) {
      // A loader the run did not use keeps its entries, so it keeps its info too.
      if kept.contains(where: { $0.loader == loader.id }) { loaders.append(loader) }
    }
    loaders.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    // The baseline describes the corpus as a whole: no filter, no shard.
    let info = RunInfo(
      toolVersion: fresh.info.toolVersion, corpusHash: fresh.info.corpusHash, timestamp: fresh.info.timestamp,
      loaders: loaders)
    return (RunResults(info: info, results: kept + fresh.results), summary)
  }
}
