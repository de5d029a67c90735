import Foundation
import Testing
import TensorIO

@testable import AdapterLoading

/// A load that needs something Adaptest does not model is "cannot tell" (status 4, `adaptest check`'s
/// exit code), never a failed load: the catalogs here leave LoHa out so that the case stays unmodelled
/// whatever the standard catalog grows to.
@Suite("Cannot tell")
struct CannotTellTests {
  static let loraOnly = TunerCatalog([LoRATuner()])

  static func lohaAdapter() throws -> AdapterSource {
    let config = try Build.config(
      ["r": .number("4"), "alpha": .number("8"), "target_modules": .array([.string("q_proj")])], type: "LOHA")
    return Build.adapter(config, StateDict([]))
  }

  @Test("an unmodelled method is cannot-tell in every profile, with what is unknown", arguments: LoadProfile.allCases)
  func unmodelledMethod(_ profile: LoadProfile) throws {
    let base = try Build.base()
    let outcome = LoadSimulator.simulate(
      base: base, adapter: try Self.lohaAdapter(), context: LoadContext(), profile: profile, catalog: Self.loraOnly)
    #expect(outcome.status == .cannotTell)
    #expect(outcome.status.rawValue == 4)
    #expect(outcome.statusName == "cannot-tell")
    let unknown = try #require(outcome.unknown)
    #expect(unknown.hasPrefix("Adaptest does not model the PEFT method LOHA"))
    #expect(unknown.contains("whether the load succeeds"))
    // No prediction is dressed up as one: no diagnostics, no failed-load verdict.
    #expect(outcome.diagnostics.isEmpty)
    let text = outcome.text()
    #expect(text.hasPrefix("cannot tell ["))
    #expect(text.contains("unknown: Adaptest does not model the PEFT method LOHA"))
    #expect(!text.contains("fails"))
    let json = try #require(outcome.json.objectValue)
    #expect(json["status"]?.stringValue == "cannot-tell")
    #expect(json["unknown"]?.stringValue == unknown)
    #expect(json["error"]?.objectValue?["kind"]?.stringValue == "not-simulated")
  }

  @Test("an unmodelled adapter already loaded makes load_adapter cannot-tell too")
  func unmodelledLoadedAdapter() throws {
    let base = try Build.base()
    let lora = Build.adapter(try Build.lora(["q_proj"]), Build.loraCheckpoint(["q_proj"]))
    let outcome = LoadSimulator.simulate(
      base: base, adapter: lora,
      context: LoadContext(adapterName: "other", call: .loadAdapter, loaded: [LoadedAdapter(name: "default", source: try Self.lohaAdapter())]),
      profile: .recommended, catalog: Self.loraOnly)
    #expect(outcome.status == .cannotTell)
  }

  @Test("a method PEFT itself does not know is PEFT's KeyError: a failed load, not cannot-tell")
  func methodUnknownToPEFT() throws {
    let base = try Build.base()
    let config = try Build.config(["target_modules": .array([.string("q_proj")])], type: "NOT_A_METHOD")
    let outcome = LoadSimulator.simulate(base: base, adapter: Build.adapter(config, StateDict([])), profile: .peft)
    #expect(outcome.error?.kind == "KeyError")
    #expect(outcome.status == .fails)
    #expect(outcome.unknown == nil)
  }

  @Test("a modelled method is a prediction, never cannot-tell")
  func modelledMethod() throws {
    let base = try Build.base()
    let adapter = Build.adapter(try Build.lora(["q_proj"]), Build.loraCheckpoint(["q_proj"]))
    let outcome = LoadSimulator.simulate(base: base, adapter: adapter, profile: .peft, catalog: Self.loraOnly)
    #expect(outcome.status == .clean)
    #expect(outcome.unknown == nil)
    #expect(outcome.json.objectValue?["unknown"] == .null)
  }
}

/// Every method PEFT 0.21.2 registers is either modelled or named as not modelled, with the reason the
/// "cannot tell" answer gives.
@Suite("Method coverage")
struct MethodCoverageTests {
  @Test("each of PEFT's 45 methods is modelled or has a reason it is not, never both")
  func everyMethodAccountedFor() {
    let known = PeftType.knownToPEFT
    #expect(known.count == 45)
    for type in known {
      let modelled = TunerCatalog.standard.tuner(for: type) != nil
      let reason = TunerCatalog.unmodelled[type]
      #expect(modelled != (reason != nil), "\(type)")
    }
    #expect(Set(TunerCatalog.unmodelled.keys).isSubset(of: Set(known)))
  }

  @Test("an unmodelled method's answer says why", arguments: TunerCatalog.unmodelled.keys.sorted())
  func unmodelledReason(_ type: PeftType) throws {
    let base = try Build.base()
    let config = try Build.config(["target_modules": .array([.string("q_proj")]), "r": .number("4")], type: type.rawValue)
    let outcome = LoadSimulator.simulate(base: base, adapter: Build.adapter(config, StateDict([])), profile: .peft)
    #expect(outcome.status == .cannotTell)
    let reason = try #require(TunerCatalog.unmodelled[type])
    #expect(outcome.unknown?.contains(reason) == true)
  }

  /// Multitask prompt tuning initialised from source tasks reads a state dict named in its config whenever
  /// PEFT builds the encoder, loading included: a file outside the adapter, so "cannot tell"; without the
  /// path PEFT's own `ValueError`.
  @Test("multitask prompt tuning from source tasks depends on a file outside the adapter")
  func multitaskSourceInit() throws {
    let base = try Build.base()
    var fields: [String: JSONValue] = [
      "task_type": .string("CAUSAL_LM"), "num_virtual_tokens": .number("4"),
      "prompt_tuning_init": .string("AVERAGE_SOURCE_TASKS"),
      "prompt_tuning_init_state_dict_path": .string("source/adapter_model.safetensors"),
    ]
    let reading = try Build.config(fields, type: "MULTITASK_PROMPT_TUNING")
    let outcome = LoadSimulator.simulate(base: base, adapter: Build.adapter(reading, StateDict([])), profile: .peft)
    #expect(outcome.status == .cannotTell)
    #expect(outcome.unknown?.contains("'source/adapter_model.safetensors'") == true)

    fields["prompt_tuning_init_state_dict_path"] = nil
    let missing = try Build.config(fields, type: "MULTITASK_PROMPT_TUNING")
    let refused = LoadSimulator.simulate(base: base, adapter: Build.adapter(missing, StateDict([])), profile: .peft)
    #expect(refused.error == .valueError(
      "prompt_tuning_init_state_dict_path needs to be specified with AVERAGE_SOURCE_TASKS init method"))
  }
}
