import SystemSupport
import TensorIO

/// The wrapped model's keys as one load reads them: its state dict and the key prefixes of the loading
/// adapter's own tensors. Every step of a load (the tuner's remap, torch's pass, PEFT's filter, the
/// recommended profile's findings) asks for these of the same model; each asking built them again, string
/// by string, which was a third of a simulated load (`perf record` of the default run).
struct ModelKeys: Sendable {
  /// `state_dict()`'s entries as torch's walk visits them (``ModuleTree/stateDictEntries(from:prefix:)``).
  let entries: [StateDict.Entry]
  /// `state_dict()`.
  let stateDict: StateDict
  /// The adapter the prefixes are for.
  let adapterName: String
  /// ``PeftModel/tunerKeyPrefixes(adapterName:)`` for `adapterName`, when read with the state dict.
  private let prefixes: PrefixSet?
  /// Every adapter's (``PeftModel/tunerKeyPrefixList(adapterName:)`` without a name), when read with them.
  private let allAdaptersPrefixes: PrefixSet?
  /// ``loadMapping(tuner:model:adapterName:)`` once made, by tuner type, when the prefixes were read with the
  /// keys: keys kept for many loads (``InjectedModels``) are mapped for each, and listing the mapping again
  /// was most of `Tuner.defaultRemap` (`perf record`).
  private let loadMappings: Locked<[ObjectIdentifier: [String: String]]>?

  /// Reads the keys of `model`; `withPrefixes: false` leaves the prefixes to whoever needs them (PEFT
  /// before 0.21 maps keys by substrings and never asks). Every adapter's prefixes are read with them only
  /// when asked (`withEveryAdaptersPrefixes`: keys kept for many loads, whose diagnostics read them).
  init(_ model: PeftModel, adapterName: String, withPrefixes: Bool = true, withEveryAdaptersPrefixes: Bool = false) {
    entries = model.tree.stateDictEntries()
    stateDict = StateDict(uniqueEntries: entries)
    self.adapterName = adapterName
    switch (withPrefixes, withEveryAdaptersPrefixes) {
    case (true, true):
      let lists = model.tunerKeyPrefixLists(adapterName: adapterName)
      (prefixes, allAdaptersPrefixes) = (PrefixSet(lists.own), PrefixSet(lists.every))
    case (true, false): (prefixes, allAdaptersPrefixes) = (PrefixSet(model.tunerKeyPrefixList(adapterName: adapterName)), nil)
    case (false, true): (prefixes, allAdaptersPrefixes) = (nil, PrefixSet(model.tunerKeyPrefixList()))
    case (false, false): (prefixes, allAdaptersPrefixes) = (nil, nil)
    }
    loadMappings = withPrefixes ? Locked([:]) : nil
  }

  /// The prefixes of the adapter's own tensors in `model`, the model these keys were read from.
  func ownPrefixes(of model: PeftModel) -> PrefixSet {
    prefixes ?? PrefixSet(model.tunerKeyPrefixList(adapterName: adapterName))
  }

  /// `BaseTuner._remap_adapter_state_dict_for_load`'s mapping: for every model key under this adapter's
  /// prefixes, the checkpoint key that loads into it (`tuner`'s naming for `adapterName`, with and without
  /// the `base_model.model.` prefix). Made once per tuner type when the prefixes were read with the keys
  /// and the name is theirs (the mapping then depends on nothing else: every tuner's
  /// ``Tuner/checkpointKey(forModelKey:adapterName:)`` is a function of the key and the name).
  func loadMapping(tuner: some Tuner, model: PeftModel, adapterName name: String) -> [String: String] {
    guard let loadMappings, name == adapterName else {
      return makeLoadMapping(tuner: tuner, model: model, adapterName: name)
    }
    let type = ObjectIdentifier(Swift.type(of: tuner))
    if let made = loadMappings.withLock({ $0[type] }) { return made }
    let made = makeLoadMapping(tuner: tuner, model: model, adapterName: name)
    return loadMappings.withLock { mappings in
      if let first = mappings[type] { return first }
      mappings[type] = made
      return made
    }
  }

  private func makeLoadMapping(tuner: some Tuner, model: PeftModel, adapterName name: String) -> [String: String] {
    let prefixes = ownPrefixes(of: model)
    var mapping: [String: String] = [:]
    for entry in stateDict.entries where prefixes.covers(entry.key) {
      let checkpointKey = tuner.checkpointKey(forModelKey: entry.key, adapterName: name)
      mapping[checkpointKey] = entry.key
      if !entry.key.hasPrefix("base_model.model.") {
        mapping["base_model.model." + checkpointKey] = entry.key
      }
    }
    return mapping
  }

  /// The prefixes of every adapter's tensors in `model`, the model these keys were read from.
  func everyAdaptersPrefixes(of model: PeftModel) -> PrefixSet {
    allAdaptersPrefixes ?? PrefixSet(model.tunerKeyPrefixList())
  }
}
