import AdapterLoading
import TensorIO

/// A case as the JSON tree the Synthesis generator's case decoder reads (`PairSpec.decode`): the
/// same fields and mutation forms as the YAML file.
enum CaseTree {
  static func json(_ spec: CaseSpec) -> JSONValue {
    var object = JSONObject()
    object["id"] = .string(spec.id)
    var base = JSONObject([("architecture", .string(spec.base.architecture))])
    if let preset = spec.base.preset { base["preset"] = .string(preset) }
    if spec.base.config.count > 0 { base["config"] = .object(spec.base.config) }
    if !spec.base.mutations.isEmpty { base["mutations"] = mutations(spec.base.mutations) }
    object["base"] = .object(base)
    var adapter = JSONObject([("tuner", .string(spec.adapter.tuner))])
    if spec.adapter.config.count > 0 { adapter["config"] = .object(spec.adapter.config) }
    if !spec.adapter.mutations.isEmpty { adapter["mutations"] = mutations(spec.adapter.mutations) }
    object["adapter"] = .object(adapter)
    var load = JSONObject()
    load["adapter_name"] = .string(spec.load.adapterName)
    load["ignore_mismatched_sizes"] = .bool(spec.load.ignoreMismatchedSizes)
    load["method"] = .string(spec.load.method.rawValue)
    load["loaded"] = .array(
      spec.load.loaded.map { loaded in
        if loaded.tuner == nil && loaded.config == nil { return .string(loaded.name) }
        var entry = JSONObject([("name", .string(loaded.name))])
        if let tuner = loaded.tuner { entry["tuner"] = .string(tuner) }
        if let config = loaded.config { entry["config"] = .object(config) }
        return .object(entry)
      })
    object["load"] = .object(load)
    object["formats"] = .strings(spec.formats.map(\.rawValue))
    return .object(object)
  }

  private static func mutations(_ list: [Mutation]) -> JSONValue {
    .array(list.map { .object(JSONObject([($0.name, .object($0.arguments))])) })
  }
}
