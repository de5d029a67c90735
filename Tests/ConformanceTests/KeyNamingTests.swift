import TensorIO
import Testing

@testable import Conformance

/// A loader that names keys as the bare model does (transformers' own adapter loading) is compared in
/// its naming: the case files' `base_model.model.` keys are translated, nothing else is.
@Suite("Key naming")
struct KeyNamingTests {
  static let expected = ExpectedOutcome(
    missingKeys: .exactly(["base_model.model.model.layers.0.q_proj.lora_A.default.weight"]),
    unexpectedKeys: .constrained(includes: [], excludes: ["base_model.model.lm_head.weight"]), error: ErrorExpectation.none)

  @Test("the same outcome passes in its own naming and fails in the other")
  func comparedInTheLoadersNaming() {
    let bare = ObservedOutcome(missingKeys: ["model.layers.0.q_proj.lora_A.default.weight"])
    let wrapped = ObservedOutcome(missingKeys: ["base_model.model.model.layers.0.q_proj.lora_A.default.weight"])
    let reports: Set<OutcomeField> = [.missingKeys, .unexpectedKeys, .error]
    #expect(OutcomeCheck.discrepancies(expected: Self.expected, observed: bare, reports: reports, keyNaming: .model).isEmpty)
    #expect(OutcomeCheck.discrepancies(expected: Self.expected, observed: wrapped, reports: reports).isEmpty)
    #expect(!OutcomeCheck.discrepancies(expected: Self.expected, observed: bare, reports: reports).isEmpty)
    // An excluded key is translated too: the bare model's lm_head is still excluded.
    let excluded = ObservedOutcome(missingKeys: bare.missingKeys, unexpectedKeys: ["lm_head.weight"])
    #expect(!OutcomeCheck.discrepancies(expected: Self.expected, observed: excluded, reports: reports, keyNaming: .model).isEmpty)
  }

  @Test(arguments: [
    ("base_model.model.model.embed_tokens.weight", "model.embed_tokens.weight"),
    ("base_model.vera_A", "base_model.vera_A"),
    ("model.layers.0.weight", "model.layers.0.weight"),
  ])
  func onlyTheWrapperPrefixGoes(_ key: String, _ bare: String) {
    #expect(KeyNaming.model.name(key) == bare)
    #expect(KeyNaming.peftModel.name(key) == key)
  }

  @Test("a driver announces its naming in hello, and an unknown naming is refused")
  func helloCarriesTheNaming() throws {
    func hello(_ naming: String) throws -> LoaderCapabilities {
      let line = #"{"type":"hello","protocol":1,"name":"transformers","version":"5.24.0","capabilities":{"formats":["safetensors"],"tuners":["LORA"],"key_naming":"\#(naming)"}}"#
      return try DriverMessages.decodeHello(try JSONValue.parse(Array(line.utf8))).capabilities
    }
    #expect(try hello("model").keyNaming == .model)
    #expect(try hello("peft_model").keyNaming == .peftModel)
    #expect(throws: JSONShapeError.self) { try hello("bare") }
  }
}
