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
    var base = try Build.base()
    // X-LoRA on a base with `use_cache` set is a certain failure, not "cannot tell" (UnmodelledLoadTests).
    base.config["use_cache"] = .bool(false)
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

/// X-LoRA and Shadow loaded from their saved files by real PEFT 0.21.2
/// (`scripts/recorders/record_unmodelled_loads.py`, `Fixtures/unmodelled-loads.json`): the "cannot tell" answer
/// (X-LoRA; Shadow with a backbone named by id) states what PEFT does, with the exceptions it raises.
@Suite("Unmodelled methods: what PEFT does from the files")
struct UnmodelledLoadTests {
  static func recorded(_ method: String) throws -> (saved: JSONObject, loads: JSONObject) {
    let record = try #require(try Fixtures.object("unmodelled-loads.json")[method]?.objectValue)
    return (try #require(record["saved"]?.objectValue), try #require(record["loads"]?.objectValue))
  }

  static func error(_ loads: JSONObject, _ scenario: String) throws -> (type: String, message: String) {
    let error = try #require(loads[scenario]?.objectValue?["error"]?.objectValue, "\(scenario) raised")
    return (try #require(error["type"]?.stringValue), try #require(error["message"]?.stringValue))
  }

  @Test("X-LoRA: PEFT reads the LoRA adapters from the config's paths, not from what it saved")
  func xlora() throws {
    let (saved, loads) = try Self.recorded("XLORA")
    let reason = try #require(TunerCatalog.unmodelled[PeftType("XLORA")])
    // What PEFT saved: the LoRA adapters in subfolders, a weights file without tensors.
    #expect(saved["files"]?.arrayValue?.compactMap(\.stringValue) == ["0", "1", "adapter_config.json", "adapter_model.safetensors"])
    #expect(saved["tensors"]?.arrayValue?.isEmpty == true)
    #expect(reason.contains("subfolders (`0`, `1`, …) and an `adapter_model.safetensors` without tensors"))
    // With the listed folders in place the load succeeds; without one, PEFT's ValueError although its copy was saved.
    #expect(loads["from_pretrained"]?.objectValue?["loaded"]?.boolValue == true)
    let gone = try Self.error(loads, "from_pretrained, a listed LoRA adapter folder gone")
    #expect(gone.type == "ValueError")
    #expect(gone.message == "Can't find 'adapter_config.json' at 'adapters/lora-b'")
    #expect(reason.contains("`ValueError` \"Can't find 'adapter_config.json' at '<path>'\""))
    let cache = try Self.error(loads, "from_pretrained, base config use_cache=True")
    #expect(cache.type == "ValueError")
    #expect(reason.contains("`\(cache.type)`: \"\(cache.message)\""))
  }

  /// `XLoraModel.__init__` refuses a base whose config sets `use_cache` before it reads any listed adapter: the
  /// saved config of the recorded X-LoRA adapter into a base with `use_cache` true is PEFT's recorded failure in
  /// the current PEFT and recommended profiles (older releases refuse this config's newer fields first); with
  /// `use_cache` false, or unset (its config class decides), it stays "cannot tell".
  @Test("X-LoRA into a base with use_cache set fails with PEFT's error", arguments: [LoadProfile.peft, .recommended])
  func xloraUseCache(_ profile: LoadProfile) throws {
    let (saved, loads) = try Self.recorded("XLORA")
    let cache = try Self.error(loads, "from_pretrained, base config use_cache=True")
    let adapter = Build.adapter(
      try AdapterConfig(json: try #require(saved["config"]?.objectValue), source: "xlora/adapter_config.json"), StateDict([]))
    var base = try Build.base()
    base.config["use_cache"] = .bool(true)
    let refused = LoadSimulator.simulate(base: base, adapter: adapter, profile: profile)
    #expect(refused.error?.kind == cache.type)
    #expect(refused.error?.message == cache.message)
    #expect(refused.status == .fails)
    let asFirst = LoadSimulator.simulate(
      base: base, adapter: adapter,
      context: LoadContext(adapterName: "other", call: .loadAdapter, loaded: [LoadedAdapter(name: "default", source: adapter)]),
      profile: profile)
    #expect(asFirst.error?.message == cache.message, "the model is built with the X-LoRA adapter")
    for useCache in [JSONValue.bool(false), nil] {
      base.config["use_cache"] = useCache
      #expect(LoadSimulator.simulate(base: base, adapter: adapter, profile: profile).status == .cannotTell)
    }
  }

  /// A mirror is modelled (`ShadowTuner`, replayed on the ground truth); a backbone named by id or path is loaded
  /// from outside the adapter whenever PEFT builds the model, which PEFT did offline with transformers' `OSError`.
  @Test("Shadow: a mirror backbone loads from the files; a backbone named by id comes from outside them")
  func shadow() throws {
    let (saved, loads) = try Self.recorded("SHADOW")
    #expect(TunerCatalog.unmodelled[PeftType("SHADOW")] == nil)
    #expect(TunerCatalog.standard.tuner(for: PeftType("SHADOW")) != nil)
    let names = (saved["tensors"]?.arrayValue ?? []).compactMap { $0.arrayValue?.first?.stringValue }
    #expect(names.contains { $0.hasPrefix("base_model.shadow_backbone.default.layers.0.") })
    #expect(loads["from_pretrained"]?.objectValue?["loaded"]?.boolValue == true)
    let byID = try Self.error(loads, "from_pretrained, shadow_model edited to a model id (offline)")
    #expect(byID.type == "OSError")

    let mirror = try GroundTruth.adapter("adapters/shadow")
    let base = try GroundTruth.base("bases/llama-v128")
    #expect(LoadSimulator.simulate(base: base, adapter: mirror, profile: .peft).status == .clean)
    var json = mirror.config.json
    json["shadow_model"] = .string("some-org/shadow-backbone")
    var named = mirror
    named.config = try AdapterConfig(json: json, source: "shadow-by-id/adapter_config.json")
    let outcome = LoadSimulator.simulate(base: base, adapter: named, profile: .peft)
    #expect(outcome.status == .cannotTell)
    #expect(outcome.unknown?.contains("`shadow_model` is 'some-org/shadow-backbone'") == true)
    #expect(outcome.unknown?.contains("transformers raises `\(byID.type)`") == true)
  }
}
