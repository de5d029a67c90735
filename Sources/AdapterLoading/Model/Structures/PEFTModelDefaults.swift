import TensorIO

/// PEFT's per-model-type defaults, recorded with the model-structure table from the PEFT the profiles
/// reproduce (`TRANSFORMERS_MODELS_TO_<METHOD>_TARGET_MODULES_MAPPING` through each tuner's
/// `target_module_mapping`, IA3's feed-forward modules, the prefix-tuning postprocess types).
public enum PEFTModelDefaults {
  /// The PEFT release the defaults come from.
  public static var peftVersion: String { table.version }

  /// The target modules PEFT fills in when a config of this method leaves `target_modules` unset, or `nil`
  /// when PEFT has none for the model type (it then asks for `target_modules`).
  public static func targetModules(_ type: PeftType, modelType: String) -> TargetModules? {
    table.targets[type.rawValue]?[modelType].map(TargetModules.names)
  }

  /// `TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING[model_type]`.
  public static func ia3FeedforwardModules(modelType: String) -> [String]? { table.feedforward[modelType] }

  private struct Table: Sendable {
    var version = ""
    var targets: [String: [String: [String]]] = [:]
    var feedforward: [String: [String]] = [:]
  }

  private static let table: Table = {
    var table = Table()
    guard let object = ModelStructureTable.peftHeader?.objectValue else { return table }
    func lists(_ value: JSONValue?) -> [String: [String]] {
      var out: [String: [String]] = [:]
      for (key, list) in value?.objectValue ?? JSONObject() { out[key] = list.arrayValue?.compactMap(\.stringValue) ?? [] }
      return out
    }
    table.version = object["version"]?.stringValue ?? ""
    for (method, mapping) in object["target_modules"]?.objectValue ?? JSONObject() { table.targets[method] = lists(mapping) }
    table.feedforward = lists(object["ia3_feedforward"])
    return table
  }()
}
