import TensorIO

/// The fields PEFT writes to `adapter_config.json` for each tuner, with their defaults, keyed by
/// PEFT's `peft_type` value (`LORA`, `VERA`, …). The tables are generated from PEFT's config
/// dataclasses (see `scripts/recorders/record_peft_config_defaults.py`).
public enum PEFTConfigDefaults {
  /// The `peft_type` values with a table, sorted.
  public static var peftTypes: [String] { tables.keys.sorted() }

  /// The prompt-learning tuners: no `base_model.model.` keys, fields derived from the base config.
  public static let promptLearningTypes: Set<String> = [
    "PROMPT_TUNING", "PREFIX_TUNING", "P_TUNING", "MULTITASK_PROMPT_TUNING", "CPT", "CARTRIDGE",
  ]

  /// Every field and its default for one tuner; `nil` for unknown types.
  public static func defaults(for peftType: String) -> JSONObject? { tables[peftType] }
}
