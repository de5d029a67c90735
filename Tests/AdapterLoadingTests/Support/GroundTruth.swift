import Checkpoints
import Foundation
import TensorIO
import Testing

@testable import AdapterLoading

/// Reads the real-PEFT ground truth (`Fixtures/peft-ground-truth`, made by
/// `scripts/recorders/record_peft_ground_truth.py`): its base and adapter folders through the
/// checkpoint readers, and its recorded cases.
enum GroundTruth {
  /// Whether a replayed load agrees, once decided.
  struct Verdict {
    /// Nil when it agrees.
    var difference: String?
  }

  /// A recorded load's error (`error`: the one raised, by the load or its set-up) and warnings against a
  /// profile's outcome: the verdict when they decide it (an error on either side, other warnings), nil
  /// when the keys are still to be compared.
  static func errorAndWarnings(_ recorded: JSONObject, error: JSONObject?, _ outcome: LoadOutcome) -> Verdict? {
    if let error {
      let want = "\(error["type"]?.stringValue ?? ""): \(error["message"]?.stringValue ?? "")"
      return Verdict(
        difference: outcome.error?.description == want
          ? nil : "raises \(want); profile: \(outcome.error?.description ?? "no error")")
    }
    if let got = outcome.error { return Verdict(difference: "loads; profile raises \(got)") }
    let warnings = (recorded["warnings"]?.arrayValue ?? []).map { w in
      "\(w["category"]?.stringValue ?? ""): \(PythonMessages.normalize(w["message"]?.stringValue ?? ""))"
    }
    let actual = outcome.warnings.map { "\($0.category): \(PythonMessages.normalize($0.message))" }
    return actual == warnings ? nil : Verdict(difference: "warnings \(warnings); profile: \(actual)")
  }

  /// A replay's disagreements against its listed exceptions: every unlisted disagreement is an issue,
  /// and so is every listed exception that agrees now (the list stays exact).
  static func recordUnlisted(_ disagreements: [String: String], listed: [String: String], replay: String) {
    for (load, difference) in disagreements.sorted(by: { $0.key < $1.key }) where listed[load] == nil {
      Issue.record("\(replay) \(load): \(difference)")
    }
    for load in listed.keys.sorted() where disagreements[load] == nil {
      Issue.record("\(replay) \(load) is listed as an exception but agrees now: remove it")
    }
  }

  /// Recorded cases the `peft` profile answers "cannot tell" (no prediction), with why. The record is real
  /// PEFT's outcome; the replays check that the profile says it cannot tell rather than predicting.
  static let cannotTell: [String: String] = {
    let shadowWidth =
      "a Shadow mirror with `shadow_hidden_size` 8 on a base of width 16 or 32: the backbone's shapes at another width "
      + "come from transformers' model code, which Adaptest does not evaluate (ShadowTuner)"
    return [
      "roundtrip--shadow-h8": shadowWidth, "wider--shadow-h8--llama-h32": shadowWidth,
      "resized--shadow-h8--llama-v140": shadowWidth,
    ]
  }()

  static let root = Fixtures.url("peft-ground-truth")
  static let caseIDs = Fixtures.names(in: "peft-ground-truth/cases")
  /// The cases recorded through `load_adapter` too (a prompt-learning adapter into a wider base is recorded
  /// through `from_pretrained` only: no adapter of the same method could be loaded first).
  static let loadAdapterCaseIDs = caseIDs.filter { id in (try? record(id)["load_adapter"]?.objectValue) != nil }

  static func record(_ id: String) throws -> JSONObject { try Fixtures.object("peft-ground-truth/cases/\(id).json") }

  /// A recorded case's `load.loaded`: the adapters loaded before the one under test, in order, each read by
  /// `reading` (a release's replay reads them as that release would).
  static func loadedAdapters(_ load: JSONObject, reading: (String) throws -> AdapterSource = GroundTruth.adapter) throws
    -> [LoadedAdapter]
  {
    try #require(load["loaded"]?.arrayValue).map { entry in
      LoadedAdapter(
        name: try #require(entry["name"]?.stringValue), source: try reading(try #require(entry["adapter"]?.stringValue)))
    }
  }

  static func base(_ relative: String) throws -> BaseModel {
    let checkpoint = try ModelCheckpoint(path: root.appendingPathComponent(relative).path, formats: .standard)
    return try BaseModel(config: checkpoint.folder.config, weights: checkpoint.weights.tensors, source: relative)
  }

  static func adapter(_ relative: String) throws -> AdapterSource {
    let checkpoint = try Checkpoints.AdapterCheckpoint(path: root.appendingPathComponent(relative).path, formats: .standard)
    let config = try AdapterConfig(json: checkpoint.folder.config, source: "\(relative)/adapter_config.json")
    return AdapterSource(config: config, tensors: checkpoint.weights.tensors, path: relative)
  }

  /// `str(torch.dtype)` → DType.
  static func dtype(_ text: String) -> DType? {
    switch text {
    case "torch.float32": .f32
    case "torch.float16": .f16
    case "torch.bfloat16": .bf16
    case "torch.int64": .i64
    case "torch.int32": .i32
    case "torch.int16": .i16
    case "torch.uint8": .u8
    case "torch.bool": .bool
    case "torch.float64": .f64
    default: nil
    }
  }
}
