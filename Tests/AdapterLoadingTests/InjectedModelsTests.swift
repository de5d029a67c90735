import TensorIO
import Testing

@testable import AdapterLoading

/// A model the catalog kept (``InjectedModels``) must be the model `PeftModel.init` builds, its warnings
/// and errors included, whoever asks: checked on every injection recorded from real PEFT, asked for from
/// two files with the same config.
@Suite("Injected models kept by the catalog")
struct InjectedModelsTests {
  struct Built {
    var model: PeftModel?
    var keys: ModelKeys?
    var warnings: [PythonWarning]
    var error: PythonError?
  }

  static func build(
    _ models: InjectedModels, base: BaseModel, name: String, config: AdapterConfig, options: InjectionOptions = .init()
  ) -> Built {
    var warnings: [PythonWarning] = [PythonWarning(message: "before")]
    do throws(PythonError) {
      let made = try models.model(base: base, adapterName: name, config: config, options: options, warnings: &warnings) {
        (warnings: inout [PythonWarning]) throws(PythonError) in
        try PeftModel(base: base, adapterName: name, config: config, options: options, warnings: &warnings)
      }
      return Built(model: made.model, keys: made.keys, warnings: warnings)
    } catch {
      return Built(warnings: warnings, error: error)
    }
  }

  @Test(arguments: InjectionTests.scenarios)
  func keptModelIsTheBuiltOne(_ scenario: String) throws {
    let record = try Fixtures.object("injection/\(scenario).json")
    let baseName = try #require(record["base"]?.stringValue)
    let arch = try Fixtures.object("architectures/\(baseName).json")
    let base = try BaseModel(
      config: try #require(arch["config"]?.objectValue), weights: try table(try #require(arch["saved_tensors"]).tensorList()))
    let first = try #require(record["adapters"]?.arrayValue?.first)
    let name = try #require(first["name"]?.stringValue)
    let json = try #require(first["config"]?.objectValue)
    let models = InjectedModels()
    for source in ["one/adapter_config.json", "two/adapter_config.json", "one/adapter_config.json"] {
      let config = try AdapterConfig(json: json, source: source)
      var expectedWarnings = [PythonWarning(message: "before")]
      let fresh = Result { () throws(PythonError) in
        try PeftModel(base: base, adapterName: name, config: config, warnings: &expectedWarnings)
      }
      let kept = Self.build(models, base: base, name: name, config: config)
      #expect(kept.warnings == expectedWarnings, "\(source)")
      switch fresh {
      case .failure(let error):
        // An error is never kept: each asking file gets its own, naming it.
        #expect(kept.error == error && kept.model == nil, "\(source)")
      case .success(let model):
        let keptModel = try #require(kept.model, "\(source)")
        #expect(keptModel.adapters == model.adapters, "\(source)")
        #expect(keptModel.config(of: name)?.source == source)
        #expect(keptModel.tree == model.tree && keptModel.stateDict == model.stateDict)
        #expect(keptModel.targetedModuleNames == model.targetedModuleNames && keptModel.className == model.className)
        let keys = try #require(kept.keys)
        let expectedKeys = ModelKeys(model, adapterName: name)
        #expect(keys.adapterName == name && keys.entries == expectedKeys.entries && keys.stateDict == model.stateDict)
        // `_is_key_under_prefixes`: the key or one of its dotted ancestors is a prefix.
        let own = model.tunerKeyPrefixes(adapterName: name)
        let every = model.tunerKeyPrefixes()
        for entry in keys.entries {
          let key = entry.key
          #expect(keys.ownPrefixes(of: model).covers(key) == own.contains { key == $0 || key.hasPrefix($0 + ".") }, "\(key)")
          #expect(keys.everyAdaptersPrefixes(of: model).covers(key) == every.contains { key == $0 || key.hasPrefix($0 + ".") }, "\(key)")
        }
        // `_remap_adapter_state_dict_for_load`'s mapping, listed here from its definition: the kept keys' mapping,
        // made once and then reused, is it.
        var expectedMapping: [String: String] = [:]
        for entry in model.stateDict.entries where own.contains(where: { entry.key == $0 || entry.key.hasPrefix($0 + ".") }) {
          let checkpointKey = model.tuner.checkpointKey(forModelKey: entry.key, adapterName: name)
          expectedMapping[checkpointKey] = entry.key
          if !entry.key.hasPrefix("base_model.model.") { expectedMapping["base_model.model." + checkpointKey] = entry.key }
        }
        for _ in 0..<2 { #expect(keys.loadMapping(tuner: model.tuner, model: model, adapterName: name) == expectedMapping) }
        // Another adapter name is never answered from the kept mapping.
        let other = name + "_other"
        #expect(
          keys.loadMapping(tuner: model.tuner, model: model, adapterName: other)
            == ModelKeys(model, adapterName: name).loadMapping(tuner: model.tuner, model: model, adapterName: other))
      }
    }
  }

  @Test("another base, adapter name or option is another model")
  func keyedByEverythingInjectionReads() throws {
    let arch = try Fixtures.object("architectures/llama.json")
    let base = try BaseModel(
      config: try #require(arch["config"]?.objectValue), weights: try table(try #require(arch["saved_tensors"]).tensorList()))
    var widerConfig = base.config
    widerConfig["note"] = .string("another base")
    let other = try BaseModel(config: widerConfig, weights: try table(try #require(arch["saved_tensors"]).tensorList()))
    let config = try AdapterConfig(
      json: try #require(try JSONValue.parse(#"{"peft_type": "LORA", "r": 4, "target_modules": ["q_proj"]}"#).objectValue),
      source: "adapter_config.json")
    let models = InjectedModels()
    let first = Self.build(models, base: base, name: "default", config: config)
    let renamed = Self.build(models, base: base, name: "other", config: config)
    let rebased = Self.build(models, base: other, name: "default", config: config)
    let accumulating = Self.build(
      models, base: base, name: "default", config: config, options: InjectionOptions(accumulatesTargetedModuleNames: true))
    #expect(first.model?.adapters.map(\.name) == ["default"] && renamed.model?.adapters.map(\.name) == ["other"])
    #expect(renamed.keys?.adapterName == "other" && renamed.keys?.entries.contains { $0.key.contains(".other.") } == true)
    #expect(rebased.model?.base == other && first.model?.base == base)
    #expect(accumulating.model?.options.accumulatesTargetedModuleNames == true)
    #expect(first.model?.options.accumulatesTargetedModuleNames == false)
  }
}

/// The kept keys read both prefix lists from one walk of the tree: they must be the two lists walked apart.
@Suite("Tuner key prefixes")
struct TunerKeyPrefixTests {
  @Test("one walk gives the named and the every-adapter lists", arguments: ["default", "other", "absent"])
  func oneWalk(_ name: String) throws {
    var warnings: [PythonWarning] = []
    // Two adapters sharing one target, the first with a modules_to_save wrapper: adapter-keyed containers
    // holding one adapter or both, and a name that none holds.
    var model = try PeftModel(
      base: try Build.base(), config: try Build.lora(["q_proj", "v_proj"], extra: ["modules_to_save": .array([.string("lm_head")])]),
      warnings: &warnings)
    try model.addAdapter("other", config: try Build.lora(["v_proj", "o_proj"]), warnings: &warnings)
    let lists = model.tunerKeyPrefixLists(adapterName: name)
    #expect(lists.own == model.tunerKeyPrefixList(adapterName: name))
    #expect(lists.every == model.tunerKeyPrefixList())
    // The lists are not trivially equal: the named one narrows containers to the adapter's entry.
    #expect(!lists.every.isEmpty && lists.own != lists.every)
  }
}
