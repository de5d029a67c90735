import AdapterLoading
import TensorIO

extension PairPlan {
  /// Version of the `case.json` layout.
  public static let manifestVersion = 1

  /// `case.json`: how the pair was made and what a correct loader reports. No timestamps, no
  /// paths outside the pair: the same inputs give the same bytes.
  public func manifest(format: CheckpointFormat, seed: UInt64, sparseBase: Bool) -> JSONValue {
    func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    let base = JSONObject([
      ("architecture", .string(loadingBase.family.rawValue)),
      ("model_class", .string(loadingBase.family.definition.modelClass)),
      ("mutations", strings(spec.baseMutations.map(\.value.description))),
      ("saved_tensors", .number(String(loadingBase.savedTensors.count))),
      ("shards", .number(String(loadingBase.shardCount))),
      ("dtype", .string(loadingBase.dtype.name)),
      ("training_config", .object(trainingBase.config)),
    ])
    let adapter = JSONObject([
      ("peft_type", .string(spec.adapter.peftType)),
      ("mutations", strings(spec.adapterMutations.map(\.path))),
      ("tensors", .number(String(checkpoint.count))),
      ("dtype", .string(adapterDType.name)),
    ])
    var load = JSONObject([
      ("adapter_name", .string(spec.load.adapterName)),
      ("loaded", strings(spec.load.loadedAdapters)),
      ("ignore_mismatched_sizes", .bool(spec.load.ignoreMismatchedSizes)),
      ("method", .string(spec.load.call.rawValue)),
    ])
    if spec.load.baseReference != .base { load["base_model_name_or_path"] = .string(spec.load.baseReference.description) }
    let generator = JSONObject([
      ("manifest_version", .number(String(Self.manifestVersion))),
      ("format", .string(format.rawValue)),
      ("seed", .number(String(seed))),
      ("sparse_base", .bool(sparseBase)),
      ("transformers_version", .string(BaseModelDescription.transformersVersion)),
      ("peft_version", .string(PEFTConfigDefaults.peftVersion)),
    ])
    return .object(
      JSONObject([
        ("id", .string(spec.id)), ("generator", .object(generator)), ("base", .object(base)),
        ("adapter", .object(adapter)), ("load", .object(load)), ("expect", outcome.json),
      ]))
  }
}
