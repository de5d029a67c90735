import TensorIO

/// The configuration of an adapter to synthesize: a tuner, the fields a case sets, and the training
/// context PEFT records. Every other field keeps PEFT's default.
public struct AdapterConfigSpec: Sendable, Hashable {
  /// PEFT's `peft_type` value (`LORA`, `LOHA`, `VERA`, …).
  public var peftType: String
  /// Fields set explicitly (`r`, `lora_alpha`, `target_modules`, `use_dora`, …).
  public var fields: JSONObject
  /// `task_type` (`CAUSAL_LM`, `SEQ_2_SEQ_LM`); `nil` writes `null` (a plain `PeftModel`).
  public var taskType: String?
  /// `base_model_name_or_path`: where the adapter says its base came from.
  public var baseModelNameOrPath: String?

  public init(peftType: String, fields: JSONObject = JSONObject(), taskType: String? = nil, baseModelNameOrPath: String? = nil) {
    self.peftType = peftType
    self.fields = fields
    self.taskType = taskType
    self.baseModelNameOrPath = baseModelNameOrPath
  }
}
