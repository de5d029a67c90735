import Foundation
import Testing
import TensorIO

@testable import AdapterLoading

/// Every case recorded from real PEFT 0.21.2, replayed through the `peft` profile: both calling
/// conventions, compared exactly (missing and unexpected keys in order, torch's raw result, error type
/// and message, warning categories and texts, the wrapped model's state dict after loading).
///
/// The one normalization is BOFT's "Failed to load the CUDA extension: …" warning, whose tail depends on
/// the machine (the manifest lists it as environment-dependent).
@Suite("PEFT ground truth")
struct GroundTruthTests {
  static let cases = GroundTruth.caseIDs
  static let loadAdapterCases = GroundTruth.loadAdapterCaseIDs

  @Test("from_pretrained matches PEFT", arguments: cases)
  func fromPretrained(_ id: String) throws {
    let record = try GroundTruth.record(id)
    let recorded = try #require(record["from_pretrained"]?.objectValue)
    let load = try #require(record["load"]?.objectValue)
    let base = try GroundTruth.base(try #require(record["base"]?.stringValue))
    let adapter = try GroundTruth.adapter(try #require(record["adapter"]?.stringValue))
    let context = LoadContext(
      adapterName: try #require(recorded["adapter_name"]?.stringValue), call: .fromPretrained,
      ignoreMismatchedSizes: load["ignore_mismatched_sizes"]?.boolValue ?? false,
      lowCPUMemUsage: load["low_cpu_mem_usage"]?.boolValue ?? false)
    let outcome = LoadSimulator.simulate(base: base, adapter: adapter, context: context, profile: .peft)
    if Self.answersCannotTell(outcome, id: id) { return }
    try compare(outcome, with: recorded, id: id)
    if let internalResult = recorded["internal_load_adapter_result"]?.objectValue {
      #expect(outcome.missingKeys == strings(internalResult["missing_keys"]), "\(id): internal missing")
      #expect(outcome.unexpectedKeys == strings(internalResult["unexpected_keys"]), "\(id): internal unexpected")
    }
  }

  @Test("load_adapter matches PEFT", arguments: loadAdapterCases)
  func loadAdapter(_ id: String) throws {
    let record = try GroundTruth.record(id)
    let recorded = try #require(record["load_adapter"]?.objectValue)
    let load = try #require(record["load"]?.objectValue)
    let base = try GroundTruth.base(try #require(record["base"]?.stringValue))
    let adapter = try GroundTruth.adapter(try #require(record["adapter"]?.stringValue))
    let loaded = try GroundTruth.loadedAdapters(load)
    let context = LoadContext(
      adapterName: try #require(load["adapter_name"]?.stringValue), call: .loadAdapter, loaded: loaded,
      ignoreMismatchedSizes: load["ignore_mismatched_sizes"]?.boolValue ?? false,
      lowCPUMemUsage: load["low_cpu_mem_usage"]?.boolValue ?? false)
    let outcome = LoadSimulator.simulate(base: base, adapter: adapter, context: context, profile: .peft)
    if Self.answersCannotTell(outcome, id: id) { return }
    try compare(outcome, with: recorded, id: id)
    if recorded["error"]?.objectValue == nil {
      #expect(outcome.missingKeys == strings(recorded["missing_keys"]), "\(id): missing")
      #expect(outcome.unexpectedKeys == strings(recorded["unexpected_keys"]), "\(id): unexpected")
    }
  }

  /// Whether the case is one the profile answers "cannot tell" (``GroundTruth/cannotTell``), checking that it does.
  static func answersCannotTell(_ outcome: LoadOutcome, id: String) -> Bool {
    guard let why = GroundTruth.cannotTell[id] else { return false }
    #expect(outcome.status == .cannotTell, "\(id) is listed as cannot tell (\(why)); the profile predicts \(outcome.status)")
    return true
  }

  @Test("every case listed as cannot tell is a recorded case")
  func cannotTellListed() {
    #expect(Set(GroundTruth.cannotTell.keys).isSubset(of: Set(Self.cases)))
  }

  private func compare(_ outcome: LoadOutcome, with recorded: JSONObject, id: String) throws {
    if let error = recorded["error"]?.objectValue {
      #expect(outcome.error?.kind == error["type"]?.stringValue, "\(id): error type")
      #expect(outcome.error?.message == error["message"]?.stringValue, "\(id): error message")
    } else {
      #expect(outcome.error == nil, "\(id): unexpected error")
    }
    let expectedWarnings = (recorded["warnings"]?.arrayValue ?? []).map { w in
      "\(w["category"]?.stringValue ?? ""): \(PythonMessages.normalize(w["message"]?.stringValue ?? ""))"
    }
    let actualWarnings = outcome.warnings.map { "\($0.category): \(PythonMessages.normalize($0.message))" }
    #expect(actualWarnings == expectedWarnings, "\(id): warnings")
    if let raw = recorded["raw_torch_result"]?.objectValue {
      #expect(outcome.rawMissingKeys == strings(raw["missing_keys"]), "\(id): raw missing")
      #expect(outcome.unexpectedKeys == strings(raw["unexpected_keys"]), "\(id): raw unexpected")
    }
    if recorded["error"]?.objectValue == nil, let shapes = recorded["state_dict_shapes"]?.arrayValue {
      let expected = shapes.compactMap { row -> (String, [Int], String)? in
        guard let items = row.arrayValue, items.count == 3, let key = items[0].stringValue,
          let shape = items[1].arrayValue?.compactMap(\.intValue), let dtype = items[2].stringValue
        else { return nil }
        return (key, shape, dtype)
      }
      let actual = outcome.stateDict?.entries ?? []
      #expect(actual.map(\.key) == expected.map(\.0), "\(id): state dict keys")
      if actual.map(\.key) == expected.map(\.0) {
        for (a, e) in zip(actual, expected) {
          #expect(a.info.shape == e.1, "\(id): \(a.key) shape")
          #expect(a.info.dtype == GroundTruth.dtype(e.2), "\(id): \(a.key) dtype")
        }
      }
      if let meta = recorded["meta_keys"] {
        #expect(outcome.metaKeys == strings(meta), "\(id): meta keys")
      }
    }
  }

  private func strings(_ value: JSONValue?) -> [String] { value?.arrayValue?.compactMap(\.stringValue) ?? [] }
}
