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
    #expect(text.contains("| `peft@0.14.0` | 1 | 1 | 0 | 0 | 1 | `peft@0.14`: 1/2 (50.0%) |"))
    #expect(text.contains("| `peft@0.13.2` | 0 | 0 | 1 | 0 | 0 | not run |"))
    #expect(text.contains("| `peft@0.21.2` | 1 | 0 | 0 | 0 | 0 | `peft`: 1/1 (100.0%) |"))
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
    #expect(text.contains("| `transformers@5.24.0` | 1 | 0 | 0 | 0 | 0 | `transformers@5.24`: 1/1 (100.0%) |"))
    #expect(text.contains("| `transformers@4.57.6` | 1 | 0 | 0 | 0 | 0 | `transformers@4.57`: 0/1 (0.0%) |"))
  }

  @Test func strippedRunIsItsOwnColumn() {
    let run = T.run([T.result("peft@0.13.2", "a", ObservedOutcome(), status: .fail)])
    let stripped = T.run([T.result("peft@0.13.2", "a", ObservedOutcome()), T.result("peft@0.13", "a", ObservedOutcome())])
    let report = VersionsReport(asIs: run, stripped: stripped)
    #expect(report.columns.map(\.title) == ["peft@0.13.2", "peft@0.13.2 (stripped config)"])
    #expect(report.markdown().contains("| `peft@0.13.2 (stripped config)` | 1 | 0 | 0 | 0 | 0 | `peft@0.13`: 1/1 (100.0%) |"))
  }

  @Test func scratchFoldersAreReplaced() {
    #expect(VersionsReport.firstLine("x '/tmp/adaptest-run-123/case/adapter' y\nmore") == "x '<scratch>/case/adapter' y")
    #expect(VersionsReport.firstLine("/dev/shm/adaptest-run-9/a") == "<scratch>/a")
  }
}
