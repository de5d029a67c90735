import TensorIO
import Testing

@testable import Conformance

/// summary.md within GitHub's limits, with an explicit truncation line and links into the HTML report.
@Suite("summary.md size and links")
struct SummaryReportTests {
  /// `count` failing cases on one loader, each with a 300-character message, and as many
  /// expected failures on another.
  static func failingRun(_ count: Int) -> RunResults {
    var results: [CaseResult] = []
    for i in 0..<count {
      let id = "matrix/llama/resize_vocab/LORA/case-\(i)"
      let message = "missing_keys: expected none, got 3: " + String(repeating: "base_model.model.layers.\(i).q_proj ", count: 8)
      results.append(CaseResult(loader: "peft@0.21.2", id: id, format: .safetensors, status: .fail, message: message))
      results.append(
        CaseResult(
          loader: "recommended", id: id, format: .safetensors, status: .xfail,
          expectation: ExpectationNote(status: .xfail, reason: "family-wide xfail", ref: "peft#1")))
    }
    return RunResults(info: ReportFixtures.info(), results: results)
  }

  @Test(arguments: [10, 2_000, 20_000])
  func staysUnderTheLimitAndCountsWhatItLeavesOut(failures: Int) throws {
    let run = Self.failingRun(failures)
    let text = SummaryReport.render(run, diff: nil, limit: .max)
    #expect(text.utf8.count <= SummaryReport.defaultByteLimit)
    let listed = text.split(separator: "\n").filter { $0.hasPrefix("- **FAIL**") || $0.hasPrefix("- `recommended`") }.count
    let all = 2 * failures
    if listed == all {
      #expect(!text.contains("Truncated"))
    } else {
      let line = try #require(text.split(separator: "\n").last { $0.hasPrefix("**Truncated:**") })
      #expect(line.contains("\(all - listed) more entries are not shown to keep this summary under 60 KB"))
      #expect(line.contains("the full report (index.html and results.json beside this file)"))
    }
    #expect(failures > 100 ? listed < all : listed == all)
  }

  @Test func thePerListLimitStillCountsInPlace() {
    let text = SummaryReport.render(Self.failingRun(30), limit: 10)
    #expect(text.contains("- … and 20 more\n"))
    #expect(!text.contains("Truncated"))
  }

  @Test func caseIdsLinkIntoThePublishedReport() throws {
    let url = "https://ci.example/runs/7 (main)/index.html"
    let run = RunResults(
      info: ReportFixtures.info(),
      results: [CaseResult(loader: "peft@0.21.2", id: "aux/odd id&x", format: .hdf5, status: .error, message: "boom")])
    let text = SummaryReport.render(run, reportURL: url)
    #expect(text.contains("[full report](https://ci.example/runs/7%20%28main%29/index.html)"))
    #expect(text.contains("- **ERROR** [`aux/odd id&x [hdf5]`](https://ci.example/runs/7%20%28main%29/index.html#case=aux/odd%20id%26x) — boom"))
    let huge = SummaryReport.render(Self.failingRun(5_000), reportURL: url)
    #expect(huge.hasSuffix("see [the full report](https://ci.example/runs/7%20%28main%29/index.html).\n"))
  }
}
