import TestSupport
import Foundation
import TensorIO
import Testing

@testable import Conformance

/// The GitHub Actions workflow of the README ("Adaptest in CI"), its `run:` commands executed in
/// order on a small checkout: the shards, the artifact hand-over, the merge, the job summary.
@Suite("README: Adaptest in CI", .serialized)
struct AdaptestInCITests {
  /// The workflow: the first YAML block of the README's "Adaptest in CI" section.
  static func workflow() throws -> String {
    let readme = String(decoding: try FileSystem.read(Repository.root + "/README.md"), as: UTF8.self)
    let section = try #require(readme.components(separatedBy: "\n## Adaptest in CI\n").dropFirst().first)
    let block = try #require(section.components(separatedBy: "```yaml\n").dropFirst().first)
    return try #require(block.components(separatedBy: "\n```").first)
  }

  /// `run:` commands of the shard job and of the report job, and the matrix's shard values.
  static func commands(_ yaml: String) throws -> (shard: [String], report: [String], shards: [String]) {
    var shard: [String] = []
    var report: [String] = []
    var shards: [String] = []
    var inReport = false
    for line in yaml.split(separator: "\n").map(String.init) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("  report:") { inReport = true }
      if trimmed.hasPrefix("shard: [") {
        shards = trimmed.dropFirst("shard: [".count).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      }
      guard trimmed.hasPrefix("run: ") || trimmed.hasPrefix("- run: ") else { continue }
      let command = String(trimmed.drop { $0 != ":" }.dropFirst(2))
      if inReport { report.append(command) } else { shard.append(command) }
    }
    return (shard, report, shards)
  }

  /// A checkout with a four-case corpus, peft-0.13's known deviation as an expectation file, and
  /// a committed baseline.
  static func checkout() throws -> TemporaryDirectory {
    let dir = TemporaryDirectory()
    for id in ["a/one", "a/two", "b/one", "b/two"] { try dir.write("Corpus/cases/\(id).yaml", CorpusTests.validCase(id)) }
    try dir.write(
      "Corpus/expectations/peft-0.13.yaml",
      "loader: peft-0.13\nentries:\n  - match: '.'\n    status: xfail\n    reason: torch's raw result\n    ref: peft-semantics\n")
    let baseline = try AdaptestCLI.run(["run", "--update-baseline", "--out", "reports/first"], in: dir.path)
    try #require(baseline.status == 0, "\(baseline.out)\(baseline.err)")
    return dir
  }

  static func shell(_ command: String, in dir: TemporaryDirectory, environment: [String: String] = [:]) throws -> AdaptestCLI.Output {
    let binary = try #require(AdaptestCLI.path)
    return try RunCommandCLITests.shell(
      command.replacingOccurrences(of: "swift run adaptest", with: binary), in: dir.path, environment: environment)
  }

  @Test func theWorkflowsCommandsShardMergeAndSummarize() throws {
    let yaml = try Self.workflow()
    let (shardCommands, reportCommands, shards) = try Self.commands(yaml)
    #expect(shards == ["1", "2", "3", "4"])
    #expect(shardCommands.contains { $0.contains("adaptest run --shard ${{ matrix.shard }}/\(shards.count)") })
    // The artifact hand-over the test performs below is the one the workflow declares.
    #expect(yaml.contains("path: reports/shard-${{ matrix.shard }}/results.json"))
    #expect(yaml.contains("uses: actions/download-artifact@v4\n        with:\n          path: shards"))
    #expect(yaml.contains("report_paths: reports/ci/junit.xml"))

    let dir = try Self.checkout()
    for shard in shards {
      for command in shardCommands where command != "scripts/setup" {  // system packages: present already
        let result = try Self.shell(command.replacingOccurrences(of: "${{ matrix.shard }}", with: shard), in: dir)
        #expect(result.status == 0, "\(command): \(result.out)\(result.err)")
      }
      // upload-artifact (name shard-N) then download-artifact (path shards): shards/shard-N/results.json.
      try dir.write("shards/shard-\(shard)/results.json", try dir.read("reports/shard-\(shard)/results.json"))
    }
    let summaryFile = dir.file("step-summary.md")
    for command in reportCommands {
      let result = try Self.shell(command, in: dir, environment: ["GITHUB_STEP_SUMMARY": summaryFile])
      #expect(result.status == 0, "\(command): \(result.out)\(result.err)")
    }
    let merged = try ReportWriter.read(dir.file("reports/ci/results.json"))
    #expect(merged.results.count == 12, "4 cases × 3 built-in profiles, each once")
    #expect(merged.info.shards == ["1/4", "2/4", "3/4", "4/4"])
    #expect(merged.unexpected.isEmpty)
    let summary = try dir.read("reports/ci/summary.md")
    #expect(try dir.read("step-summary.md") == summary)
    #expect(summary.hasPrefix("# Adaptest conformance: all 12 results as expected"))
    #expect(summary.contains("0 regressed, 0 improved, 0 changed, 0 added, 0 removed, 12 unchanged."))
    if XMLLint.path != nil { #expect(try XMLLint.problems(dir.file("reports/ci/junit.xml")) == nil) }

    // A cancelled shard: the merge refuses to pass three quarters off as the whole.
    try FileManager.default.removeItem(atPath: dir.file("shards/shard-3"))
    let merge = try #require(reportCommands.first { $0.contains("report merge") })
    let partial = try Self.shell(merge, in: dir)
    #expect(partial.status == 3)
    #expect(partial.err.contains("shard(s) 3/4 missing"))
  }
}
