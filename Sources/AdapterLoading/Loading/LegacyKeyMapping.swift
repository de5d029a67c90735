import TensorIO

/// How PEFT releases before the structural key mapping (PR #3490, 0.21) turn checkpoint keys into model
/// keys in `set_peft_model_state_dict`: by substrings, not by the model's structure.
extension LoadEngine {
  /// Before the `AuxiliaryTrainingWrapper` refactor (0.18): every key that contains one of the model's
  /// `modules_to_save` names (the first that matches, in the order the adapters declared them) has each
  /// occurrence of that name replaced by `<name>.modules_to_save.<adapter>`. Nothing is looked up, so a
  /// tensor missing from the checkpoint is simply missing.
  func legacyModulesToSaveRenaming(_ state: StateDict, model: PeftModel, adapterName: String) -> StateDict {
    var names: [String] = []
    for adapter in model.adapters {
      for name in adapter.config.modulesToSave ?? [] where !names.contains(name) { names.append(name) }
    }
    guard !names.isEmpty else { return state }
    return StateDict(state.entries.map { entry in
      var e = entry
      if let name = names.first(where: { entry.key.hasSubstring($0) }) {
        e.key = entry.key.replacingText(name, with: "\(name).modules_to_save.\(adapterName)")
      }
      return e
    })
  }

  /// The key mapping and the method-specific steps of `set_peft_model_state_dict` before PR #3490.
  func legacyRemap(
    _ checkpoint: StateDict, model: inout PeftModel, config: AdapterConfig, adapterName: String,
    warnings: inout [PythonWarning]
  ) throws(PythonError) -> StateDict {
    let release = profile.semantics
    if config.isPromptLearning || config.peftType == .adaptionPrompt { return checkpoint }
    guard let prefix = release.parameterPrefix(config.peftType) else {
      throw PythonError(kind: "NotImplementedError", message: "")
    }
    var state = checkpoint
    if config.peftType == .vblora && config.saveOnlyTopkWeights == true {
      state = try VBLoRATuner.expandTopK(state, model: model, config: config, adapterName: adapterName)
    }
    var remapped = StateDict(state.entries.map { entry in
      var e = entry
      e.key = Self.insertingAdapterName(
        into: entry.key, adapterName: adapterName, prefix: prefix, anchored: release.anchorsAdapterNameInsertion)
      return e
    })

    switch config.peftType {
    case .adalora:
      var request = LoadRequest(model: model, config: config, adapterName: adapterName)
      for entry in config.rankPattern {
        let module = AdaLoRATuner.moduleKey(entry.pattern, adapterName: adapterName)
        try request.model.resizeAdaLoRA(module: module, adapterName: adapterName, rank: entry.integer)
      }
      model = request.model
    case .shira:
      remapped.remove(Set(SHiRATuner.layerPaths(model).map { "\($0).shira_indices.\(adapterName)" }))
    case .vera:
      // The shared projections are saved as `base_model.vera_A`/`vera_B`; without `vera_lambda_` in them
      // they keep that name and load nowhere.
      let save = config.saveProjection ?? true
      if save && !remapped.contains("base_model.vera_A") {
        throw .valueError("Specified to load vera_A and vera_B from state dictionary however they were not present!")
      } else if !save && remapped.contains("base_model.vera_A") {
        warnings.append(
          PythonWarning(
            message: "Specified to not load vera_A and vera_B from state dictionary however they are present in state "
              + "dictionary! Consider using them to ensure checkpoint loading is correct on all platforms using "
              + "`peft_config.save_projection = True`"))
      } else if !save {
        warnings.append(
          PythonWarning(
            message: "Specified to not load vera_A and vera_B from state dictionary. This means we will be relying on "
              + "PRNG initialisation to restore these projections using `config.projection_prng_key`, which may not be "
              + "accurate on all system configurations."))
      }
    case .lora:
      // DoRA's magnitude moved into a module (`….weight`); an old-style key gets the suffix.
      let old = "lora_magnitude_vector.\(adapterName)"
      remapped = StateDict(remapped.entries.map { entry in
        var e = entry
        if e.key.hasSuffix(old) { e.key += ".weight" }
        return e
      })
    case .oft where release.rejectsOldOFTCheckpoints:
      if remapped.keys.contains(where: { $0.hasSubstring(".oft_r.") }) {
        throw .valueError(
          "Trying to load old OFT checkpoint, which is no longer supported. Please install PEFT <= v0.15.2 to load it "
            + "or train a new OFT adapter.")
      }
    default:
      break
    }
    return remapped
  }

  /// `_insert_adapter_name_into_state_dict` for one key. Anchored (0.18): the text after the last
  /// occurrence of `prefix`, minus its first component, gets `<adapter>.` in front of it at the end of
  /// the key. Before: the text after the first occurrence, and every occurrence of it in the key is
  /// replaced (Python's `str.replace`).
  static func insertingAdapterName(into key: String, adapterName: String, prefix: String, anchored: Bool) -> String {
    guard key.isPrintableASCII && prefix.isPrintableASCII else {
      return insertingAdapterNameByCharacters(into: key, adapterName: adapterName, prefix: prefix, anchored: anchored)
    }
    // Printable ASCII (every key PEFT writes): one byte, one character, so the searches are done on bytes;
    // the character searches were most of this mapping, run for every key of the checkpoint.
    let bytes = Array(key.utf8)
    let pattern = Array(prefix.utf8)
    guard !pattern.isEmpty, let first = Self.firstOccurrence(of: pattern, in: bytes, from: 0) else { return key }
    var suffixStart = first + pattern.count
    var suffixEnd = bytes.count
    if anchored {
      while suffixStart < bytes.count, let next = Self.firstOccurrence(of: pattern, in: bytes, from: suffixStart) {
        suffixStart = next + pattern.count
      }
    } else if let next = Self.firstOccurrence(of: pattern, in: bytes, from: suffixStart) {
      suffixEnd = next
    }
    guard let dot = bytes[suffixStart..<suffixEnd].firstIndex(of: UInt8(ascii: ".")) else { return "\(key).\(adapterName)" }
    let toReplace = bytes[(dot + 1)..<suffixEnd]
    if toReplace.isEmpty {
      return anchored ? key + "\(adapterName)." : pythonReplaceEmpty(key, with: "\(adapterName).")
    }
    let insertion = Array("\(adapterName).".utf8)
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count + insertion.count)
    if anchored {
      // The text replaced runs to the end of the key: the name goes in front of it.
      result += bytes[..<toReplace.startIndex]
      result += insertion
      result += toReplace
      return String(decoding: result, as: UTF8.self)
    }
    // Python's `str.replace`: every occurrence, left to right, without overlaps.
    let needle = Array(toReplace)
    var copied = 0
    var from = 0
    while let hit = Self.firstOccurrence(of: needle, in: bytes, from: from) {
      result += bytes[copied..<hit]
      result += insertion
      result += needle
      copied = hit + needle.count
      from = copied
    }
    result += bytes[copied...]
    return String(decoding: result, as: UTF8.self)
  }

  /// The first position at or after `start` where `pattern` (not empty) occurs in `bytes`.
  private static func firstOccurrence(of pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
    guard pattern.count <= bytes.count else { return nil }
    var i = start
    while i + pattern.count <= bytes.count {
      if bytes[i] == pattern[0] && bytes[i..<(i + pattern.count)].elementsEqual(pattern) { return i }
      i += 1
    }
    return nil
  }

  /// ``insertingAdapterName(into:adapterName:prefix:anchored:)`` searching by characters, as Swift compares
  /// strings: the definition, used for keys that are not printable ASCII.
  static func insertingAdapterNameByCharacters(into key: String, adapterName: String, prefix: String, anchored: Bool)
    -> String
  {
    guard !prefix.isEmpty, let first = key.firstRange(of: prefix) else { return key }
    let suffix: Substring
    if anchored {
      var last = first
      var searchStart = first.upperBound
      while searchStart < key.endIndex, let next = key[searchStart...].firstRange(of: prefix) {
        last = next
        searchStart = next.upperBound
      }
      suffix = key[last.upperBound...]
    } else {
      // `key.split(prefix)[1]`: up to the next occurrence of the prefix.
      let rest = key[first.upperBound...]
      suffix = rest.firstRange(of: prefix).map { rest[..<$0.lowerBound] } ?? rest
    }
    guard let dot = suffix.firstIndex(of: ".") else { return "\(key).\(adapterName)" }
    let toReplace = String(suffix[suffix.index(after: dot)...])
    if toReplace.isEmpty {
      // Replacing the empty string inserts the name everywhere in Python; anchored, only at the end.
      return anchored ? key + "\(adapterName)." : pythonReplaceEmpty(key, with: "\(adapterName).")
    }
    if anchored {
      return key.hasSuffix(toReplace) ? String(key.dropLast(toReplace.count)) + "\(adapterName).\(toReplace)" : key
    }
    return key.replacing(toReplace, with: "\(adapterName).\(toReplace)")
  }

  /// `s.replace("", x)`: `x` before every character and at the end.
  private static func pythonReplaceEmpty(_ s: String, with x: String) -> String {
    var result = x
    for c in s {
      result.append(c)
      result += x
    }
    return result
  }
}
