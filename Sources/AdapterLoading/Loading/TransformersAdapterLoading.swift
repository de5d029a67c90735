import TensorIO

/// transformers' own adapter loading (`PeftAdapterMixin.load_adapter`), as the `transformers@X.Y` profiles
/// reproduce it on top of the PEFT line the transformers release is pinned with.
///
/// The adapter is injected into the bare model with PEFT's `inject_adapter_in_model` (no `PeftModel`
/// wrapper), so the weights the engine computes for PEFT are the same; what differs is how transformers
/// names and reports them (read from transformers 5.24.0's and 4.57.6's `integrations/peft.py` and confirmed
/// against their recorded ground truth):
///
/// - keys are the bare model's: no `base_model.model.` prefix, sorted (transformers returns sets);
/// - a name already loaded is refused up front (`ValueError`), never overwritten;
/// - every adapter after the first warns that the model already has a `peft_config`;
/// - 5.x keeps the missing keys containing the adapter name or the PEFT type in lower case, and raises its
///   own `RuntimeError` on size mismatches (after its LOAD REPORT); `ignore_mismatched_sizes` keys come back
///   as mismatched without PEFT's warning;
/// - 4.x keeps the missing keys containing `lora_` and the adapter name (the ones its warning names) and
///   raises torch's error under the model's own class name.
struct TransformersAdapterLoading {
  let release: PEFTRelease
  let base: BaseModel
  let context: LoadContext
  let peftType: PeftType

  static let modelPrefix = "base_model.model."

  /// `inject_adapter_in_model` on a model that already holds an adapter.
  static let multipleAdaptersWarning = PythonWarning(
    message: "Already found a `peft_config` attribute in the model. This will lead to having multiple adapters in the "
      + "model. Make sure to know what you are doing!")

  /// The start of what transformers raises (`OSError`, both lines) when a model name is not a local folder and the
  /// Hub is unreachable.
  static let offlineMessagePrefix = "We couldn't connect to 'https://huggingface.co'"

  static let offlineError = PythonError(
    kind: "OSError",
    message: offlineMessagePrefix + " to load the files, and couldn't find them in the cached files.\n"
      + "Check your internet connection or see how to run the library in offline mode at "
      + "'https://huggingface.co/docs/transformers/installation#offline-mode'.")

  /// `from_pretrained(adapter_folder)` resolving the base before anything is read: `base_model_name_or_path` indexed
  /// out of the adapter config (`KeyError` when absent), then the named model loaded — with the Hub unreachable, a
  /// `null` or a name that is not a local folder fails to download (as the driver runs it, offline).
  static func resolveBase(_ reference: BaseReference) throws(PythonError) {
    switch reference {
    case .base: return
    case .absent: throw .keyError("base_model_name_or_path")
    case .null, .named: throw offlineError
    }
  }

  /// transformers 5's error after a LOAD REPORT with mismatched keys.
  static let mismatchError = PythonError.runtimeError(
    "You set `ignore_mismatched_sizes` to `False`, thus raising an error. For details look at the above report!")

  /// `load_adapter` refuses a name that is already loaded before reading anything.
  static func checkNames(_ context: LoadContext) throws(PythonError) {
    var names: Set<String> = []
    let all = context.call == .loadAdapter ? context.loaded.map(\.name) + [context.adapterName] : [context.adapterName]
    for name in all {
      guard names.insert(name).inserted else {
        throw .valueError("Adapter with name \(name) already exists. Please use a different name.")
      }
    }
  }

  /// `inject_adapter_in_model`'s refusals: prompt learning (and, from PEFT 0.21, SHADOW and the methods whose
  /// tuner keeps shared state).
  func checkInjectable() throws(PythonError) {
    if release.injectionRefusesSharedState {
      if peftType.isPromptLearning || peftType == .adaptionPrompt || peftType.rawValue == "SHADOW" {
        throw .valueError("`create_and_replace` does not support prompt learning, adaption prompt and shadow yet.")
      }
      if Self.sharedStateMethods.contains(peftType.rawValue) {
        throw .valueError(
          "`inject_adapter_in_model` does not support \(peftType.pythonDescription) because it uses shared state stored on "
            + "the tuner. Please use `get_peft_model` instead.")
      }
    } else if peftType.isPromptLearning || peftType == .adaptionPrompt {
      throw .valueError("`create_and_replace` does not support prompt learning and adaption prompt yet.")
    }
  }

  /// The methods whose tuner sets `uses_shared_state = True` in PEFT 0.21.2 (read from its tuner classes).
  static let sharedStateMethods: Set<String> = ["VERA", "PVERA", "VBLORA", "UNILORA", "TINYLORA", "FROD"]

  /// Turns the PEFT engine's outcome into what transformers reports (`weights`: transformers 5's own load).
  func adapt(_ outcome: inout LoadOutcome, weights: Transformers5Weights?, checkpoint: StateDict, path: String) {
    if let error = outcome.error {
      outcome.error = translating(error)
    }
    // PEFT's own warnings that transformers' path does not emit: the `ignore_mismatched_sizes` one (transformers
    // lists the keys in its report instead) and `PeftModel.add_adapter`'s adapter name inside the prefix.
    outcome.warnings.removeAll { warning in
      (warning.message.hasPrefix("Some weights of ") && warning.message.contains("`ignore_mismatched_sizes=True`"))
        || (warning.message.hasPrefix("Adapter name '") && warning.message.contains("should not be contained in the prefix"))
    }
    if outcome.error == nil, let weights {
      outcome.loadReport = TransformersLoadReport.text(
        modelClass: base.modelClass, path: path, missing: weights.missing, unexpected: weights.unexpected,
        mismatched: weights.mismatched)
      if !weights.mismatched.isEmpty && !context.ignoreMismatchedSizes {
        outcome.error = Self.mismatchError
      } else {
        outcome.missingKeys = weights.missing
        outcome.unexpectedKeys = weights.unexpected
        outcome.mismatched = weights.mismatched
        outcome.rawMissingKeys = nil
      }
    }
    guard outcome.error == nil else {
      outcome.missingKeys = []
      outcome.unexpectedKeys = []
      outcome.mismatched = []
      return
    }
    guard weights == nil else { return }
    // 4.x: PEFT's set_peft_model_state_dict on the bare model; its warning names these keys.
    let raw = (outcome.rawMissingKeys ?? outcome.missingKeys).map(Self.bare)
    let name = context.adapterName
    outcome.missingKeys = raw.filter { $0.hasSubstring("lora_") && $0.hasSubstring(name) }.sorted()
    outcome.mismatched = []
    // Tuner-level tensors (`base_model.randlora_A`) have no module in the bare model: PEFT appends the adapter name
    // and nothing takes them (those it does not rename, VeRA's projections, are unexpected as written already).
    let unexpected = outcome.unexpectedKeys.map(Self.bare)
    let tunerLevel = checkpoint.keys.filter { $0.hasPrefix("base_model.") && !$0.hasPrefix(Self.modelPrefix) && !unexpected.contains($0) }
    outcome.unexpectedKeys = (unexpected + tunerLevel.map { "\($0).\(name)" }).sorted()
  }

  /// The checkpoint with `base_model.model.` in front of every key that lacks a `base_model.` prefix.
  static func prefixed(_ adapter: AdapterSource) -> AdapterSource {
    guard adapter.checkpoint.keys.contains(where: { !$0.hasPrefix("base_model.") }) else { return adapter }
    var copy = adapter
    copy.checkpoint = StateDict(adapter.checkpoint.entries.map { entry in
      var e = entry
      if !e.key.hasPrefix("base_model.") { e.key = modelPrefix + e.key }
      return e
    })
    return copy
  }

  /// The exception as transformers' path raises it: 5.x its own size-mismatch error; 4.x torch's under the bare
  /// model's class and key names.
  func translating(_ error: PythonError) -> PythonError {
    if error.kind == "RuntimeError", error.message.hasPrefix("Error(s) in loading state_dict for ") {
      if release.runsOnTransformers5 { return Self.mismatchError }
      guard let colon = error.message.firstIndex(of: ":") else { return error }
      let body = String(error.message[colon...]).replacing(Self.modelPrefix, with: "")
      return .runtimeError("Error(s) in loading state_dict for \(base.modelClass)\(body)")
    }
    if error.kind == "KeyError" { return PythonError(kind: "KeyError", message: error.message.replacing(Self.modelPrefix, with: "")) }
    return error
  }

  static func bare(_ key: String) -> String {
    key.hasPrefix(modelPrefix) ? String(key.dropFirst(modelPrefix.count)) : key
  }
}

/// transformers 5's own weight loading of an adapter (`_load_pretrained_model` with PEFT's
/// `build_peft_weight_mapping` renamings), computed on the model the engine injected.
///
/// The checkpoint's keys are renamed textually, each rule replacing its first match: `base_model.model.model.`
/// → `model.`, `base_model.model.` → ``; the method's parameter prefix (`lora_…`) gets `.<adapter>` appended;
/// each auxiliary wrapper maps its own keys. Keys the model lacks are unexpected, model keys (parameters and
/// persistent buffers) containing the adapter name or the PEFT type in lower case that nothing loaded are
/// missing, and keys of another shape are mismatched (an error unless `ignore_mismatched_sizes`).
struct Transformers5Weights {
  var missing: [String] = []
  var unexpected: [String] = []
  var mismatched: [Mismatch] = []

  init(model: PeftModel, checkpoint: StateDict, adapterName: String, prefix: String?) {
    var modelState: [String: StateDict.Entry] = [:]
    // Each injection makes a fresh tuner whose shared tensors (RandLoRA's bases) replace the layers' references:
    // only the newest adapter's remain in the model.
    let sharedAttributes = model.tuner.layerAttributes.filter { $0.sharedModelAttribute != nil }.map(\.name)
    for entry in model.stateDict.entries {
      // The bare model: no PeftModel/tuner wrapper, so no tuner-level tensors (`base_model.vera_A`).
      guard entry.key.hasPrefix(TransformersAdapterLoading.modelPrefix) else { continue }
      let key = TransformersAdapterLoading.bare(entry.key)
      if sharedAttributes.contains(where: { key.hasSubstring(".\($0).") && !key.hasSuffix(".\($0).\(adapterName)") }) { continue }
      modelState[key] = StateDict.Entry(key: key, info: entry.info)
    }
    let auxiliary = Self.auxiliaryRenamings(model, adapterName: adapterName)
    var seen: Set<String> = []
    for entry in checkpoint.entries {
      var key = Self.replacingFirst("base_model.model.model.", with: "model.", in: entry.key)
      key = Self.replacingFirst(TransformersAdapterLoading.modelPrefix, with: "", in: key)
      if let prefix { key = Self.insertingAdapterName(adapterName, after: prefix, in: key) }
      for (from, to) in auxiliary where key.hasSubstring(from) {
        key = Self.replacingFirst(from, with: to, in: key)
      }
      guard let target = modelState[key] else {
        unexpected.append(key)
        continue
      }
      seen.insert(key)
      if target.info.shape != entry.info.shape {
        mismatched.append(Mismatch(key: key, checkpointShape: entry.info.shape, modelShape: target.info.shape))
      }
    }
    let markers = [adapterName, model.peftType.rawValue.lowercased()]
    missing = modelState.keys.filter { key in !seen.contains(key) && markers.contains { key.hasSubstring($0) } }.sorted()
    unexpected.sort()
    mismatched.sort { $0.key < $1.key }
  }

  /// `adapter_state_dict_load_map` of every `ModulesToSaveWrapper`/`TrainableTokensWrapper` holding the adapter,
  /// as (checkpoint key, model key) under the bare model's module names.
  static func auxiliaryRenamings(_ model: PeftModel, adapterName: String) -> [(String, String)] {
    var renamings: [(String, String)] = []
    for (name, node) in model.tree.namedModules() where name.hasPrefix(TransformersAdapterLoading.modelPrefix) {
      let path = TransformersAdapterLoading.bare(name)
      switch model.tree[node].kind {
      case .modulesToSaveWrapper:
        guard model.wrapperAdapters[node]?.contains(adapterName) == true,
          let dict = model.tree[node].child("modules_to_save"), let copy = model.tree[dict].child(adapterName)
        else { continue }
        for key in model.tree.stateDict(from: copy).keys {
          renamings.append(("\(path).\(key)", "\(path).modules_to_save.\(adapterName).\(key)"))
        }
      case .trainableTokensWrapper:
        if model.tiedTokenWrappers.contains(node) { continue }
        renamings.append(
          ("\(path).token_adapter.trainable_tokens_delta", "\(path).token_adapter.trainable_tokens_delta.\(adapterName)"))
      default:
        continue
      }
    }
    return renamings
  }

  /// `re.sub(r"(prefix[^.]*)", r"\1.<adapter>", key, count=1)`.
  static func insertingAdapterName(_ name: String, after prefix: String, in key: String) -> String {
    guard let start = key.firstRange(of: prefix) else { return key }
    let end = key[start.upperBound...].firstIndex(of: ".") ?? key.endIndex
    return String(key[..<end]) + "." + name + String(key[end...])
  }

  static func replacingFirst(_ target: String, with replacement: String, in key: String) -> String {
    guard let range = key.firstRange(of: target) else { return key }
    return String(key[..<range.lowerBound]) + replacement + String(key[range.upperBound...])
  }
}

/// transformers 5's LOAD REPORT (`log_state_dict_report`), the warning `load_adapter` logs when any key is
/// unexpected, missing or mismatched, as printed to a non-terminal 80 columns wide.
///
/// Keys that differ only in dot-separated numbers are merged (`model.layers.{0, 1}.…`, more than ten as
/// `first...last`). transformers lists each group in Python's set order; here the groups are sorted, so a
/// report matches the real one row for row only up to the order of rows within a section.
enum TransformersLoadReport {
  static func text(
    modelClass: String, path: String, missing: [String], unexpected: [String], mismatched: [Mismatch]
  ) -> String? {
    var rows: [[String]] = []
    var notes = "\n\nNotes:"
    if !unexpected.isEmpty {
      notes += "\n- UNEXPECTED:\tcan be ignored when loading from different task/architecture; not ok if you expect identical arch."
      rows += merged(unexpected.map { ($0, "") }).map { [$0.key, "UNEXPECTED", "", ""] }
    }
    if !missing.isEmpty {
      notes += "\n- MISSING:\tthose params were newly initialized because missing from the checkpoint. Consider training on your downstream task."
      rows += merged(missing.map { ($0, "") }).map { [$0.key, "MISSING", ""] }
    }
    if !mismatched.isEmpty {
      notes += "\n- MISMATCH:\tckpt weights were loaded, but they did not match the original empty weight shapes."
      let details = mismatched.map {
        ($0.key, "Reinit due to size mismatch - ckpt: \(torchSizeRepr($0.checkpointShape)) vs model:\(torchSizeRepr($0.modelShape))")
      }
      rows += merged(details).map { [$0.key, "MISMATCH", $0.value] }
    }
    guard !rows.isEmpty else { return nil }
    // Python's zip: as many columns as the shortest row (and the header) has.
    let headers = ["Key", "Status", "", ""]
    let columns = ([headers] + rows).map(\.count).min() ?? 0
    let widths = (0..<columns).map { c in ([headers] + rows).map { $0[c].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
      (0..<columns).map { cells[$0].padding(to: widths[$0]) }.joined(separator: " | ")
    }
    let table = ([line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-")] + rows.map(line))
      .joined(separator: "\n")
    return "\u{1B}[1m\(modelClass) LOAD REPORT\u{1B}[0m from: \(path)\n" + table + notes
  }

  /// `update_key_name`: keys with the same pattern (numbers between dots replaced) merged into one, each number
  /// position a single value or `{a, b}`; a group keeps its last value. Groups sorted by their first key.
  static func merged(_ items: [(key: String, value: String)]) -> [(key: String, value: String)] {
    var groups: [String: (numbers: [[Int]], value: String)] = [:]
    var order: [String] = []
    for (key, value) in items.sorted(by: { $0.key < $1.key }) {
      let (pattern, numbers) = split(key)
      if groups[pattern] == nil {
        order.append(pattern)
        groups[pattern] = (Array(repeating: [], count: numbers.count), value)
      }
      for (index, number) in numbers.enumerated() where index < groups[pattern]!.numbers.count {
        if !groups[pattern]!.numbers[index].contains(number) { groups[pattern]!.numbers[index].append(number) }
      }
      groups[pattern]!.value = value
    }
    return order.map { pattern in
      let group = groups[pattern]!
      let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
      var key = String(parts[0])
      for index in 1..<max(parts.count, 1) {
        let values = index - 1 < group.numbers.count ? group.numbers[index - 1].sorted() : []
        if values.isEmpty {
          key += "*"
        } else if values.count == 1 {
          key += String(values[0])
        } else {
          key += "{" + (values.count > 10 ? "\(values[0])...\(values[values.count - 1])" : values.map(String.init).joined(separator: ", ")) + "}"
        }
        key += parts[index]
      }
      return (key, group.value)
    }
  }

  /// The key with every number between dots (or at the end, after a dot) replaced by `*`, and those numbers.
  static func split(_ key: String) -> (pattern: String, numbers: [Int]) {
    var pattern = ""
    var numbers: [Int] = []
    for (index, segment) in key.split(separator: ".", omittingEmptySubsequences: false).enumerated() {
      if index > 0 { pattern += "." }
      if index > 0, !segment.isEmpty, segment.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(segment) {
        pattern += "*"
        numbers.append(number)
      } else {
        pattern += segment
      }
    }
    return (pattern, numbers)
  }
}

extension String {
  fileprivate func padding(to width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
