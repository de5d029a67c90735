import AdapterLoading
import TensorIO
import Testing

@testable import Conformance

/// `adaptest report versions`.
@Suite("Versions report")
struct VersionsReportTests {
  typealias T = LoaderAgreementTests

  @Test func releasesProfilesAndAgreement() {
    let run = T.run([
      T.result("peft@0.14.0", "a", ObservedOutcome(missingKeys: ["k"]), status: .xfail),
      T.result("peft@0.14", "a", ObservedOutcome(missingKeys: ["k"])),
      T.result("peft@0.14.0", "b", ObservedOutcome()),
      T.result("peft@0.14", "b", ObservedOutcome(unexpectedKeys: ["u"]), status: .fail),
      T.result("peft@0.14.0", "c", nil, status: .skip),
      T.result("peft@0.13.2", "a", ObservedOutcome(), status: .fail),
      T.result("peft@0.21.2", "a", ObservedOutcome()),
      T.result("peft", "a", ObservedOutcome()),
      T.result("peft@0.14.0", "a", ObservedOutcome(missingKeys: ["other"]), format: .hdf5),
    ])
    let report = VersionsReport(asIs: run)
    #expect(report.columns.map(\.title) == ["peft@0.13.2", "peft@0.14.0", "peft@0.21.2"])
    let text = report.markdown()
    #expect(text.contains("| `peft@0.14.0` | 1 | 1 | 0 | 0 | 1 | `peft@0.14`: 1/2 (50.0%) | not run |"))
    #expect(text.contains("| `peft@0.13.2` | 0 | 0 | 1 | 0 | 0 | not run | not run |"))
    #expect(text.contains("| `peft@0.21.2` | 1 | 0 | 0 | 0 | 0 | `peft`: 1/1 (100.0%) | not run |"))
    #expect(text.contains("## Where a profile disagrees with its release on the whole matrix\n\nNone run.\n"))
    #expect(text.contains("- `peft@0.14` vs `peft@0.14.0`:\n  - `b`: profile missing [], unexpected [\"u\"], error none"))
    #expect(text.contains("- `peft@0.13.2` `a`: FAIL"))
    #expect(VersionsReport(asIs: run).markdown() == text)
  }

  @Test func transformersReleasesFollowThePEFTOnesWithTheirProfiles() {
    let run = T.run([
      T.result("transformers@5.24.0", "a", ObservedOutcome(missingKeys: ["k"])),
      T.result("transformers@5.24", "a", ObservedOutcome(missingKeys: ["k"])),
      T.result("transformers@4.57.6", "a", ObservedOutcome()),
      T.result("transformers@4.57", "a", ObservedOutcome(unexpectedKeys: ["u"])),
      T.result("peft@0.21.2", "a", ObservedOutcome()),
      T.result("transformers@5.24.0.dev", "a", ObservedOutcome()),
    ])
    let report = VersionsReport(asIs: run)
    #expect(report.columns.map(\.title) == ["peft@0.21.2", "transformers@4.57.6", "transformers@5.24.0"])
    let text = report.markdown()
    #expect(text.contains("| `transformers@5.24.0` | 1 | 0 | 0 | 0 | 0 | `transformers@5.24`: 1/1 (100.0%) | not run |"))
    #expect(text.contains("| `transformers@4.57.6` | 1 | 0 | 0 | 0 | 0 | `transformers@4.57`: 0/1 (0.0%) | not run |"))
  }

  @Test func strippedRunIsItsOwnColumn() {
    let run = T.run([T.result("peft@0.13.2", "a", ObservedOutcome(), status: .fail)])
    let stripped = T.run([T.result("peft@0.13.2", "a", ObservedOutcome()), T.result("peft@0.13", "a", ObservedOutcome())])
    let report = VersionsReport(asIs: run, stripped: stripped)
    #expect(report.columns.map(\.title) == ["peft@0.13.2", "peft@0.13.2 (stripped config)"])
    #expect(report.markdown().contains("| `peft@0.13.2 (stripped config)` | 1 | 0 | 0 | 0 | 0 | `peft@0.13`: 1/1 (100.0%) | not run |"))
  }

  @Test func wholeMatrixColumnComesFromItsOwnRunGroupedByTheReleasesReason() {
    let slice = T.run([
      T.result("peft@0.14.0", "a", ObservedOutcome()), T.result("peft@0.14", "a", ObservedOutcome()),
      T.result("peft@0.18.1", "a", ObservedOutcome()), T.result("peft@0.18", "a", ObservedOutcome()),
    ])
    func reasoned(_ result: CaseResult, _ reason: String) -> CaseResult {
      var result = result
      result.expectation = ExpectationNote(status: .xfail, reason: reason, ref: "peft#1")
      return result
    }
    let mismatch = ObservedOutcome.failed(LoadError(kind: .sizeMismatch, type: "RuntimeError", message: "size mismatch"))
    let matrix = T.run([
      // agrees
      T.result("peft@0.14.0", "matrix/llama/same/lora/intact", ObservedOutcome()),
      T.result("peft@0.14", "matrix/llama/same/lora/intact", ObservedOutcome()),
      // two disagreements the release's expectation explains, one it does not
      reasoned(T.result("peft@0.14.0", "matrix/mixtral/same/ia3/intact", ObservedOutcome(missingKeys: ["w2"]), status: .xfail), "unfused experts"),
      T.result("peft@0.14", "matrix/mixtral/same/ia3/intact", ObservedOutcome()),
      reasoned(T.result("peft@0.14.0", "matrix/mixtral/wider/ia3/half", ObservedOutcome(missingKeys: ["w2"]), status: .xfail), "unfused experts"),
      T.result("peft@0.14", "matrix/mixtral/wider/ia3/half", ObservedOutcome()),
      T.result("peft@0.14.0", "matrix/gemma/wider/prefix/intact", ObservedOutcome()),
      T.result("peft@0.14", "matrix/gemma/wider/prefix/intact", mismatch),
      // not counted: HDF5, a corpus case, another loader, a skip
      T.result("peft@0.14.0", "matrix/llama/same/lora/half", ObservedOutcome(missingKeys: ["x"]), format: .hdf5),
      T.result("peft@0.14", "matrix/llama/same/lora/half", ObservedOutcome(), format: .hdf5),
      T.result("peft@0.14.0", "keys/a", ObservedOutcome(missingKeys: ["x"])),
      T.result("peft@0.14", "keys/a", ObservedOutcome()),
      T.result("recommended", "matrix/llama/same/lora/intact", ObservedOutcome(missingKeys: ["x"])),
      T.result("peft@0.14.0", "matrix/bert/same/prefix/intact", nil, status: .skip),
      T.result("peft@0.14", "matrix/bert/same/prefix/intact", ObservedOutcome()),
    ])
    let report = VersionsReport(asIs: slice, matrix: [matrix])
    let text = report.markdown()
    #expect(text.contains("| `peft@0.14.0` | 1 | 0 | 0 | 0 | 0 | `peft@0.14`: 1/1 (100.0%) | `peft@0.14`: 1/4 (25.0%) |"))
    #expect(text.contains("| `peft@0.18.1` | 1 | 0 | 0 | 0 | 0 | `peft@0.18`: 1/1 (100.0%) | not run |"))
    #expect(
      text.contains(
        "## Where a profile disagrees with its release on the whole matrix\n\n- `peft@0.14` vs `peft@0.14.0`: 3 case(s)\n"
          + "  - 2: unfused experts (`mixtral/ia3` 2)\n  - 1: no reason listed (`gemma/prefix` 1)\n"))
    #expect(VersionsReport(asIs: slice, matrix: [matrix]).markdown() == text)
  }

  @Test func strippedWholeMatrixRunFeedsOnlyTheStrippedColumn() {
    let run = T.run([T.result("peft@0.13.2", "a", ObservedOutcome()), T.result("peft@0.13", "a", ObservedOutcome())])
    let matrix = T.run([
      T.result("peft@0.13.2", "matrix/t5/same/lora/intact", ObservedOutcome()),
      T.result("peft@0.13", "matrix/t5/same/lora/intact", ObservedOutcome()),
    ])
    let text = VersionsReport(asIs: run, stripped: run, strippedMatrix: [matrix]).markdown()
    #expect(text.contains("| `peft@0.13.2` | 1 | 0 | 0 | 0 | 0 | `peft@0.13`: 1/1 (100.0%) | not run |"))
    #expect(text.contains("| `peft@0.13.2 (stripped config)` | 1 | 0 | 0 | 0 | 0 | `peft@0.13`: 1/1 (100.0%) | `peft@0.13`: 1/1 (100.0%) |"))
    #expect(text.contains("## Where a profile disagrees with its release on the whole matrix\n\nNone.\n"))
  }

  @Test func scratchFoldersAreReplaced() {
    #expect(VersionsReport.firstLine("x '/tmp/adaptest-run-123/case/adapter' y\nmore") == "x '<scratch>/case/adapter' y")
    #expect(VersionsReport.firstLine("/dev/shm/adaptest-run-9/a") == "<scratch>/a")
  }
}
