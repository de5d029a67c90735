import Foundation
import Testing
import TensorIO

@testable import AdapterLoading

/// Every ground-truth case replayed with an older real PEFT release
/// (`record_peft_ground_truth.py --replay-from`, `Fixtures/peft-releases/<version>`), against the
/// profile of that release line: both calling conventions, error type and message, missing and
/// unexpected keys in order, warnings word for word (BOFT's machine-dependent tail normalized).
///
/// Every disagreement must be listed in ``ReleaseGroundTruth/exceptions`` with its reason, and every
/// listed exception must still disagree, so the list is exactly the profile's known gaps.
@Suite("PEFT releases: ground truth")
struct ReleaseGroundTruthTests {
  @Test("each release line's profile reproduces the release", arguments: ReleaseGroundTruth.recordings)
  func release(_ recording: ReleaseGroundTruth.Recording) throws {
    let versions = try Fixtures.object("peft-releases/\(recording.folder)/versions.json")
    #expect(versions["peft"]?.stringValue == recording.release.recordedVersion)
    #expect(versions["transformers"]?.stringValue == recording.release.transformersVersion)
    var disagreements: [String: String] = [:]
    let ids = Fixtures.names(in: "peft-releases/\(recording.folder)/cases")
    #expect(ids == GroundTruth.caseIDs, "every case of the 0.21.2 tree is replayed")
    for id in ids {
      let record = try Fixtures.object("peft-releases/\(recording.folder)/cases/\(id).json")
      for call in [LoadCall.fromPretrained, .loadAdapter] {
        if let difference = try ReleaseGroundTruth.difference(record, call: call, recording: recording) {
          disagreements["\(id) \(call.rawValue)"] = difference
        }
      }
    }
    GroundTruth.recordUnlisted(
      disagreements, listed: ReleaseGroundTruth.exceptions[recording.folder] ?? [:], replay: recording.folder)
    let loads = ids.count * 2
    print("peft@\(recording.release) vs PEFT \(recording.folder): \(loads - disagreements.count)/\(loads) loads agree")
  }
}

enum ReleaseGroundTruth {
  struct Recording: Sendable, CustomStringConvertible {
    var folder: String
    var release: PEFTRelease
    /// Adapters loaded with configs reduced to the fields the release knows (`--strip-unknown-config-fields`).
    var stripped: Bool
    var description: String { folder }
  }

  static let recordings = [
    Recording(folder: "0.13.2", release: .v0_13, stripped: false),
    Recording(folder: "0.13.2-stripped", release: .v0_13, stripped: true),
    Recording(folder: "0.14.0", release: .v0_14, stripped: false),
    Recording(folder: "0.18.1", release: .v0_18, stripped: false),
  ]

  /// Loads (`<case> <call>`) where a profile knowingly differs from its release, with the reason.
  static let exceptions: [String: [String: String]] = [
    "0.13.2-stripped": bothCalls([
      ("embeddings--lora-embed-lmhead--llama-tied-v128", tiedTargetWarning),
      ("resized--oft--llama-v140", oldOFT),
      ("roundtrip--oft", oldOFT),
    ]),
    "0.14.0": bothCalls([
      ("embeddings--lora-embed-lmhead--llama-tied-v128", tiedTargetWarning),
      ("resized--oft--llama-v140", oldOFT),
      ("roundtrip--oft", oldOFT),
    ]),
    "0.18.1": bothCalls([
      ("embeddings--lora-embed-lmhead--llama-tied-v128", tiedTargetWarning),
      ("roundtrip--lora-mts-lmhead", tiedTargetWarning),
      ("mutated--c3a--target-embed", unboundNewModule),
      ("mutated--delora--target-embed", unboundNewModule),
    ]),
  ]

  /// The same reason for a case's `from_pretrained` and `load_adapter` loads.
  static func bothCalls(_ cases: [(String, String)]) -> [String: String] {
    var entries: [String: String] = [:]
    for (id, reason) in cases {
      for call in [LoadCall.fromPretrained, .loadAdapter] { entries["\(id) \(call.rawValue)"] = reason }
    }
    return entries
  }

  static let tiedTargetWarning =
    "before 0.21 the tied-embedding warning has another text (\"Model with `tie_word_embeddings=True` and the "
    + "tied_target_modules=[…]\", the list accumulating over adapters) and other conditions; not modelled"
  static let oldOFT =
    "OFT before 0.15 has other parameters (`oft_r`, `oft_s`) and config checks; the profile models the current OFT"
  static let unboundNewModule =
    "PEFT 0.18.1 bug: C3A and DeLoRA on an unsupported layer fail with UnboundLocalError ('new_module') instead of "
    + "their TypeError; not modelled"

  /// The first difference between the profile's outcome and the release's record of one load, or `nil`.
  static func difference(_ record: JSONObject, call: LoadCall, recording: Recording) throws -> String? {
    let load = try #require(record["load"]?.objectValue)
    let recorded: JSONObject
    let context: LoadContext
    switch call {
    case .fromPretrained:
      recorded = try #require(record["from_pretrained"]?.objectValue)
      context = LoadContext(
        adapterName: try #require(recorded["adapter_name"]?.stringValue), call: .fromPretrained,
        ignoreMismatchedSizes: load["ignore_mismatched_sizes"]?.boolValue ?? false,
        lowCPUMemUsage: load["low_cpu_mem_usage"]?.boolValue ?? false)
    case .loadAdapter:
      guard let object = record["load_adapter"]?.objectValue else { return nil }
      recorded = object
      let loaded = try GroundTruth.loadedAdapters(load) { try adapter($0, recording) }
      context = LoadContext(
        adapterName: try #require(load["adapter_name"]?.stringValue), call: .loadAdapter, loaded: loaded,
        ignoreMismatchedSizes: load["ignore_mismatched_sizes"]?.boolValue ?? false,
        lowCPUMemUsage: load["low_cpu_mem_usage"]?.boolValue ?? false)
    case .autoFromPretrained:
      return nil  // transformers' own call; PeftModel releases are not asked to make it
    }
    let base = try GroundTruth.base(try #require(record["base"]?.stringValue))
    let outcome = LoadSimulator.simulate(
      base: base, adapter: try adapter(try #require(record["adapter"]?.stringValue), recording), context: context,
      profile: .peft(at: recording.release))
    var error = recorded["error"]?.objectValue
    if call == .loadAdapter, let setup = recorded["setup"]?["error"]?.objectValue { error = setup }
    if let verdict = GroundTruth.errorAndWarnings(recorded, error: error, outcome) { return verdict.difference }
    let raw = recorded["raw_torch_result"]?.objectValue
    let unexpected = strings(raw?["unexpected_keys"])
    if raw != nil, outcome.unexpectedKeys != unexpected {
      return "unexpected keys \(unexpected); profile: \(outcome.unexpectedKeys)"
    }
    if call == .loadAdapter, recorded["missing_keys"] != nil, outcome.missingKeys != strings(recorded["missing_keys"]) {
      return "missing keys \(strings(recorded["missing_keys"])); profile: \(outcome.missingKeys)"
    }
    if call == .fromPretrained, let raw, outcome.rawMissingKeys != strings(raw["missing_keys"]) {
      return "raw missing keys \(strings(raw["missing_keys"])); profile: \(outcome.rawMissingKeys ?? [])"
    }
    return nil
  }

  /// An adapter of the 0.21.2 tree, with the release's stripped config when the recording used one.
  static func adapter(_ relative: String, _ recording: Recording) throws -> AdapterSource {
    var source = try GroundTruth.adapter(relative)
    guard recording.stripped else { return source }
    let stripped = "peft-releases/\(recording.folder)/\(relative)/adapter_config.json"
    guard FileManager.default.fileExists(atPath: Fixtures.url(stripped).path) else { return source }
    source.config = try AdapterConfig(json: try Fixtures.object(stripped), source: "\(relative)/adapter_config.json")
    return source
  }

  static func strings(_ value: JSONValue?) -> [String] { value?.arrayValue?.compactMap(\.stringValue) ?? [] }
}
