import AdapterLoading
import TensorIO
import Testing

@testable import Conformance

/// The differential between two loaders of one run (`adaptest report agreement`).
@Suite("Loader agreement")
struct LoaderAgreementTests {
  static func result(
    _ loader: String, _ id: String, _ outcome: ObservedOutcome?, status: CaseStatus = .pass,
    format: CheckpointFormat = .safetensors
  ) -> CaseResult {
    CaseResult(
      loader: loader, id: id, format: format, status: status,
      actual: outcome.map { OutcomeJSON.encode($0, reports: [.missingKeys, .unexpectedKeys, .error]) })
  }

  static func run(_ results: [CaseResult]) -> RunResults {
    RunResults(info: ReportFixtures.info(timestamp: "2026-01-02T03:04:05Z"), results: results)
  }

  @Test func comparesOrderedKeysAndErrorKinds() {
    let mismatch = ObservedOutcome.failed(LoadError(kind: .sizeMismatch, type: "RuntimeError", message: "size mismatch"))
    let other = ObservedOutcome.failed(LoadError(kind: .other, type: "AttributeError", message: "no attribute"))
    let results = Self.run([
      Self.result("peft", "same", ObservedOutcome(missingKeys: ["a", "b"])),
      Self.result("real", "same", ObservedOutcome(missingKeys: ["a", "b"])),
      Self.result("peft", "order", ObservedOutcome(unexpectedKeys: ["a", "b"])),
      Self.result("real", "order", ObservedOutcome(unexpectedKeys: ["b", "a"])),
      Self.result("peft", "error-kind", mismatch),
      Self.result("real", "error-kind", other),
      Self.result("peft", "same-error", mismatch, status: .fail),
      Self.result("real", "same-error", ObservedOutcome.failed(LoadError(kind: .sizeMismatch, message: "other text"))),
      Self.result("peft", "skipped", ObservedOutcome()),
      Self.result("real", "skipped", nil, status: .skip),
      Self.result("peft", "only-left", ObservedOutcome()),
      Self.result("peft", "other-format", ObservedOutcome(), format: .hdf5),
      Self.result("real", "other-format", ObservedOutcome(missingKeys: ["x"])),
    ])
    let agreement = LoaderAgreement.compare(results, left: "peft", right: "real")
    #expect(agreement.compared == 4)
    #expect(agreement.disagreements.map(\.id).sorted() == ["error-kind", "order"])
    #expect(agreement.disagreements.first { $0.id == "order" }?.right.unexpectedKeys == ["b", "a"])
    #expect(agreement.disagreements.first { $0.id == "error-kind" }?.right.errorKind == "other")
    #expect(agreement.agreed == 2)
    #expect(agreement.rate == "50.0%")
    #expect(agreement.withoutDetails.isEmpty)
  }

  @Test func resultsWithoutAnswersCannotBeJudged() {
    let results = Self.run([
      Self.result("peft", "a", nil), Self.result("real", "a", ObservedOutcome()),
      Self.result("peft", "b", ObservedOutcome()), Self.result("real", "b", ObservedOutcome()),
      Self.result("peft", "c", ObservedOutcome()), Self.result("real", "c", ObservedOutcome()),
    ])
    let agreement = LoaderAgreement.compare(results, left: "peft", right: "real")
    #expect(agreement.withoutDetails == ["a [safetensors]"])
    #expect(agreement.compared == 2)
    #expect(agreement.rate == "100.0%")
    #expect(LoaderAgreement.compare(Self.run([]), left: "peft", right: "real").rate == nil)
  }

  @Test("rounds the rate down to a tenth", arguments: [(2, 3, "66.6%"), (1, 3, "33.3%"), (2127, 2128, "99.9%"), (0, 7, "0.0%")])
  func rate(_ agreed: Int, _ compared: Int, _ text: String) {
    var agreement = LoaderAgreement(left: "a", right: "b")
    agreement.compared = compared
    agreement.disagreements = Array(
      repeating: .init(id: "x", format: "", left: .init(missingKeys: [], unexpectedKeys: [], errorKind: nil),
                       right: .init(missingKeys: [], unexpectedKeys: [], errorKind: nil)),
      count: compared - agreed)
    #expect(agreement.rate == text)
  }
}
