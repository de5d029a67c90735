import TensorIO

/// What one run was: tool, corpus and loaders. The timestamp is the only field that differs
/// between two runs of the same inputs.
public struct RunInfo: Sendable, Hashable {
  public var toolVersion: String
  /// ``Corpus/hash`` of the corpus the cases came from.
  public var corpusHash: String
  /// When the run started, ISO 8601 UTC.
  public var timestamp: String
  public var loaders: [LoaderInfo]
  /// The `--filter` pattern, if any.
  public var filter: String?
  /// The shards this file covers (`1/4`); several after a merge; empty for a full run.
  public var shards: [String]

  public init(
    toolVersion: String, corpusHash: String, timestamp: String, loaders: [LoaderInfo], filter: String? = nil,
    shards: [String] = []
  ) {
    self.toolVersion = toolVersion
    self.corpusHash = corpusHash
    self.timestamp = timestamp
    self.loaders = loaders
    self.filter = filter
    self.shards = shards
  }
}

/// A whole run: its info and one result per loader × case × format, in key order.
public struct RunResults: Sendable, Hashable {
  public var info: RunInfo
  public private(set) var results: [CaseResult]

  public init(info: RunInfo, results: [CaseResult]) {
    self.info = info
    self.results = results.sortedByKey()
  }

  /// Counts per status for one loader (every status present, zeros included).
  public func counts(loader: String? = nil) -> [CaseStatus: Int] {
    var counts = Dictionary(uniqueKeysWithValues: CaseStatus.allCases.map { ($0, 0) })
    // By position: a loop over the results copied every result (its strings and outcomes) to test it, in each
    // report and for each loader.
    for i in results.indices where loader == nil || results[i].loader == loader {
      counts[results[i].status, default: 0] += 1
    }
    return counts
  }

  /// Loader ids in the order of ``RunInfo/loaders``, then any others that have results.
  public var loaderIDs: [String] {
    var ids = info.loaders.map(\.id)
    for i in results.indices where !ids.contains(results[i].loader) { ids.append(results[i].loader) }
    return ids
  }

  /// Results that need attention (FAIL, ERROR, TIMEOUT, XPASS).
  public var unexpected: [CaseResult] { results.indices.filter { results[$0].status.isUnexpected }.map { results[$0] } }
}

extension RunResults {
  /// The same run with only what a baseline needs: each result's key and status (no outcomes,
  /// messages, descriptions or coordinates).
  public func slim() -> RunResults {
    RunResults(
      info: info, results: results.map { CaseResult(loader: $0.loader, id: $0.id, format: $0.format, status: $0.status) })
  }
}
