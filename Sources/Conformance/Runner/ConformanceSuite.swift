import TensorIO

/// The version of Adaptest recorded in reports.
public enum AdaptestVersion {
  public static let current = "0.1.0"
}

/// One conformance run from start to finish: plan the case runs, run them against the loaders,
/// and package the results with their run info.
public struct ConformanceSuite: Sendable {
  public var cases: [CaseSpec]
  /// ``Corpus/hash`` (combined with the matrix's hash when generated cases are included).
  public var corpusHash: String
  public var expectations: @Sendable (String) -> LoaderExpectations
  public var loaders: [any ConformanceLoader]
  public var materializer: any CaseMaterializer
  public var filter: Pattern?
  public var shard: Shard?
  public var jobs: Int
  public var scratch: String
  public var keepArtifacts: Bool
  public var details: ConformanceRunner.ResultDetails

  public init(
    cases: [CaseSpec], corpusHash: String, expectations: @escaping @Sendable (String) -> LoaderExpectations,
    loaders: [any ConformanceLoader], materializer: any CaseMaterializer, filter: Pattern? = nil, shard: Shard? = nil,
    jobs: Int = ConformanceRunner.defaultJobs, scratch: String, keepArtifacts: Bool = false,
    details: ConformanceRunner.ResultDetails = .compact
  ) {
    self.details = details
    self.cases = cases
    self.corpusHash = corpusHash
    self.expectations = expectations
    self.loaders = loaders
    self.materializer = materializer
    self.filter = filter
    self.shard = shard
    self.jobs = jobs
    self.scratch = scratch
    self.keepArtifacts = keepArtifacts
  }

  /// The case runs this suite covers.
  public var plannedRuns: [CaseRun] { RunPlan.runs(cases, filter: filter, shard: shard) }

  /// Runs everything.
  public func run(progress: (@Sendable (RunProgress) -> Void)? = nil) async -> RunResults {
    await runTimed(progress: progress).results
  }

  /// ``run(progress:)``, also saying where the time went.
  public func runTimed(progress: (@Sendable (RunProgress) -> Void)? = nil) async -> (results: RunResults, timings: RunTimings) {
    let timestamp = Timestamp.now()
    let runner = ConformanceRunner(
      loaders: loaders, materializer: materializer, expectations: expectations, jobs: jobs, scratch: scratch,
      keepArtifacts: keepArtifacts, details: details)
    let (infos, results, timings) = await runner.runTimed(plannedRuns, progress: progress)
    let info = RunInfo(
      toolVersion: AdaptestVersion.current, corpusHash: corpusHash, timestamp: timestamp, loaders: infos,
      filter: filter?.source, shards: shard.map { [$0.description] } ?? [])
    return (RunResults(info: info, results: results), timings)
  }
}
