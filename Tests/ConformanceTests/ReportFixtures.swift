import TensorIO

@testable import Conformance

/// Small runs built by hand, with hostile strings where reports must escape them.
enum ReportFixtures {
  static let nasty = "</script><script>alert(1)</script> & \"q\" 'a' `b|c` <!-- ]]> \u{1B}[31m\u{0}\n# h"

  static func info(timestamp: String = "2026-01-02T03:04:05Z", shards: [String] = []) -> RunInfo {
    RunInfo(
      toolVersion: "0.1.0", corpusHash: String(repeating: "ab", count: 32), timestamp: timestamp,
      loaders: [
        LoaderInfo(id: "recommended", name: "recommended", version: "0.1.0"),
        LoaderInfo(
          id: "peft@0.21.2", name: "peft", version: "0.21.2", versions: ["torch": "2.13.0", "peft": "0.21.2"],
          capabilities: LoaderCapabilities(formats: [.safetensors], tuners: ["LORA", "LOHA"])),
      ], shards: shards)
  }

  static func result(
    _ loader: String, _ id: String, _ status: CaseStatus, format: CheckpointFormat? = .safetensors, message: String = ""
  ) -> CaseResult {
    CaseResult(
      loader: loader, id: id, format: format, status: status,
      expected: OutcomeJSON.encode(ExpectedOutcome(missingKeys: .exactly([]), error: ErrorExpectation.none)),
      actual: OutcomeJSON.encode(ObservedOutcome(missingKeys: ["k"]), reports: [.missingKeys, .error]),
      message: message,
      expectation: status == .xfail || status == .xpass ? ExpectationNote(status: .xfail, reason: "substring filter", ref: "peft#1") : nil,
      coordinates: CaseCoordinates(architecture: "llama", mutation: "resize_vocab", tuner: "LORA"),
      description: "d")
  }

  static func run(timestamp: String = "2026-01-02T03:04:05Z") -> RunResults {
    RunResults(
      info: info(timestamp: timestamp),
      results: [
        result("recommended", "b/two", .pass),
        result("recommended", "a/one", .fail, message: "missing_keys: expected none, got 1: k"),
        result("peft@0.21.2", "a/one", .xfail, message: "missing_keys: expected none, got 1: k"),
        result("peft@0.21.2", "b/two", .skip, format: .hdf5, message: "the loader does not read hdf5"),
        result("peft@0.21.2", "b/two", .error, message: "driver exited"),
        result("recommended", "c/" + nasty, .timeout, message: nasty),
        result("peft@0.21.2", "c/x", .xpass),
      ])
  }
}
