import TensorIO

/// transformers 5's checkpoint conversion, as PEFT applies it to a LoRA state dict before loading
/// (`set_peft_model_state_dict` → `convert_peft_adapter_state_dict_for_transformers`, PEFT 0.21.2).
///
/// For a model type with a conversion mapping, every key with `.lora_` in it is stripped of
/// `base_model.model.`, renamed by the architecture's renamings, and written back with the prefix
/// and without a trailing `.<adapter>`; the other keys pass through first, in their order, and the
/// LoRA keys follow in transformers' natural order. Net effects a user sees: LoRA keys saved
/// without `base_model.model.` or with the adapter name kept load anyway on these bases, and
/// pre-v5 module names (`block_sparse_moe`) are renamed. The merging of per-expert LoRA factors into
/// fused expert parameters is not modelled (Adaptest's synthesized adapters do not target experts).
enum TransformersConversion {
  /// Whether PEFT converts this adapter's checkpoint on this base.
  static func applies(to type: PeftType, architecture: Architecture) -> Bool {
    type == .lora && architecture.conversionRegistered
  }

  /// The state dict as PEFT hands it on after the conversion, and the checkpoint name of every key
  /// the conversion changed.
  static func convert(_ state: StateDict, architecture: Architecture, adapterName: String)
    -> (state: StateDict, originalNames: [String: String])
  {
    let prefix = "base_model.model."
    var passthrough: [StateDict.Entry] = []
    var lora: [(position: Int, entry: StateDict.Entry)] = []
    for (position, entry) in state.entries.enumerated() {
      if entry.key.containsText(".lora_") { lora.append((position, entry)) } else { passthrough.append(entry) }
    }
    guard !lora.isEmpty else { return (state, [:]) }
    lora.sort { a, b in
      let order = NaturalKey.compare(a.entry.key, b.entry.key)
      return order == 0 ? a.position < b.position : order < 0
    }
    var converted = StateDict(passthrough)
    var originalNames: [String: String] = [:]
    for (_, entry) in lora {
      var key = entry.key
      // transformers renames the key without PEFT's prefix; a renaming that changes nothing is undone.
      var bare = key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key
      var renamed = false
      for renaming in architecture.keyRenamings {
        if let next = renaming.apply(to: bare), next != bare { bare = next; renamed = true }
      }
      if renamed { key = bare }
      if !key.hasPrefix("base_model.") { key = prefix + key }
      key = withoutAdapterSuffix(key, adapterName: adapterName)
      converted[key] = StateDict.Entry(key: key, info: entry.info, tiedTo: entry.tiedTo)
      if key != entry.key { originalNames[key] = entry.key }
    }
    return (converted, originalNames)
  }

  /// `….<adapter>` → `…`, `….<adapter>.weight` → `….weight` (PEFT's serialized form).
  static func withoutAdapterSuffix(_ key: String, adapterName: String) -> String {
    let suffix = "." + adapterName
    if key.hasSuffix(suffix) { return String(key.dropLast(suffix.count)) }
    guard let dot = key.lastIndex(of: ".") else { return key }
    let head = key[..<dot]
    guard head.hasSuffix(suffix) else { return key }
    return String(head.dropLast(suffix.count)) + key[dot...]
  }
}
