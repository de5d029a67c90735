/// Which loader's behaviour a simulation reproduces.
public enum LoadProfile: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// PEFT ≥ 0.14 as of 0.21.2: structural key remapping, then torch's `strict=False` result filtered by
  /// the substring test `tuner_prefix in key and adapter_name in key` (false positives included),
  /// `from_pretrained`'s "Found missing adapter keys" warning, PEFT's exact errors and warnings.
  case peft
  /// PEFT ≤ 0.13: torch's raw result (every base weight and every other adapter's weights missing),
  /// no missing-key warning, no adapter-name warnings.
  case peft013 = "peft-0.13"
  /// Adaptest's own reading of the same load: a structural filter (only this adapter's own tensors can
  /// be missing), unexpected keys surfaced, missing auxiliary tensors reported as missing instead of a
  /// `KeyError`, and diagnostics with stable codes and fixes.
  case recommended

  public var description: String { rawValue }

  /// Whether PEFT's missing-key filter applies.
  var filtersMissingKeys: Bool { self != .peft013 }
  /// Whether the warnings PEFT added after 0.13 are emitted (missing adapter keys, adapter name in prefix).
  var hasModernWarnings: Bool { self != .peft013 }
}

/// How the adapter is loaded.
public enum LoadCall: String, Sendable, Hashable, CaseIterable {
  /// `PeftModel.from_pretrained(base, adapter, adapter_name=…)`: a fresh model whose first adapter this is;
  /// missing keys are only reported through a warning.
  case fromPretrained = "from_pretrained"
  /// `model.load_adapter(adapter, adapter_name=…)` on a model that already holds other adapters; the
  /// missing and unexpected keys are returned.
  case loadAdapter = "load_adapter"
}
