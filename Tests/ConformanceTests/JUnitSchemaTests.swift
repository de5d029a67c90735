import TestSupport
import Foundation
import TensorIO
import Testing

@testable import Conformance

/// xmllint (Debian `libxml2-utils`, installed by scripts/setup), found on PATH.
enum XMLLint {
  static let path: String? = {
    for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
    where FileManager.default.isExecutableFile(atPath: "\(folder)/xmllint") {
      return "\(folder)/xmllint"
    }
    return nil
  }()

  /// The committed schema: what Jenkins accepts as junit.xml.
  static let schema: String = {
    let here = "\(#filePath)"
    return String(here[..<here.lastIndex(of: "/")!]) + "/Fixtures/junit-jenkins.xsd"
  }()

  /// Validates `file` against the schema: nil when valid, xmllint's complaint otherwise.
  static func problems(_ file: String) throws -> String? {
    let tool = try #require(path, "xmllint is required (ADAPTEST_REQUIRE_TOOLS=1) but not on PATH")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = ["--noout", "--schema", schema, file]
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return process.terminationStatus == 0 ? nil : text
  }
}

@Suite(
  "junit.xml against the Jenkins JUnit schema",
  .enabled(
    if: XMLLint.path != nil || Browser.required,
    "xmllint is not installed (scripts/setup installs libxml2-utils; CI sets ADAPTEST_REQUIRE_TOOLS=1 so it cannot skip)"))
struct JUnitSchemaTests {
  @Test func theSchemaRefusesWhatJenkinsRefuses() throws {
    let dir = TemporaryDirectory()
    // What adaptest wrote before: `skipped` and `timestamp` on <testsuites>.
    let old = try dir.write(
      "old.xml",
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <testsuites name="x" tests="1" failures="0" errors="0" skipped="0" timestamp="2026-01-02T03:04:05Z">
        <testsuite name="l" tests="1" failures="0" errors="0"><testcase name="a" time="0"/></testsuite>
      </testsuites>
      """)
    let complaint = try #require(try XMLLint.problems(old))
    #expect(complaint.contains("skipped") && complaint.contains("not allowed"), "\(complaint)")
  }

  @Test func reportsOfEveryShapeValidate() throws {
    let dir = TemporaryDirectory()
    let runs: [(String, RunResults)] = [
      ("fixtures", ReportFixtures.run()),
      ("browser", HTMLReportBrowserTests.bigRun()),
      ("empty", RunResults(info: ReportFixtures.info(), results: [])),
    ]
    for (name, run) in runs {
      let file = try dir.write("\(name).xml", JUnitReport.render(run))
      #expect(try XMLLint.problems(file) == nil, "\(name)")
    }
  }

  @Test func aRealRunHasRealPerCaseTimes() throws {
    let dir = TemporaryDirectory()
    let corpus = try AdaptestCLI.smallCorpus(in: dir)
    let run = try AdaptestCLI.run(["run", "--corpus", corpus, "--loader", "recommended", "--out", dir.file("out"), "--no-baseline"])
    #expect(run.status == 0, "\(run.err)")
    let junit = dir.file("out/junit.xml")
    #expect(try XMLLint.problems(junit) == nil)
    let text = try dir.read("out/junit.xml")
    let times = text.components(separatedBy: "<testcase ").dropFirst().compactMap { element -> Double? in
      guard let start = element.range(of: " time=\"") else { return nil }
      return Double(element[start.upperBound...].prefix { $0 != "\"" })
    }
    #expect(times.count == 4)
    // Measured, not placeholders: the first case read and built a real llama base and LoRA adapter (a
    // millisecond or more); its format twin, reusing the base model built, can take under half of one.
    #expect(times.allSatisfy { $0 >= 0 } && times.max()! >= 0.001, "\(times)")
    let results = try ReportWriter.read(dir.file("out/results.json"))
    #expect(results.results.map { $0.seconds ?? -1 } == times, "results.json keeps the same times for report render and merge")
  }
}
