import Foundation
import Testing
import TensorIO

@testable import AdapterLoading

/// Every ground-truth case loaded through transformers' own `model.load_adapter` (PeftAdapterMixin) with a
/// real transformers release (`record_peft_ground_truth.py --replay-from … --transformers-api`,
/// `Fixtures/transformers-releases/<version>`), against the `transformers@X.Y` profile: all three loads (on a fresh
/// base, after the `loaded` adapters, and `Auto….from_pretrained` on the adapter folder), error type and message,
/// warnings word for word, missing, unexpected and mismatched keys, and transformers 5's LOAD REPORT word for word
/// up to the order of its rows.
///
/// Every disagreement must be listed in ``TransformersGroundTruth/exceptions`` with its reason, and every
/// listed exception must still disagree.
@Suite("transformers load_adapter: ground truth")
struct TransformersGroundTruthTests {
  @Test("each transformers profile reproduces the release", arguments: TransformersGroundTruth.recordings)
  func release(_ recording: TransformersGroundTruth.Recording) throws {
    let folder = "transformers-releases/\(recording.folder)"
    let versions = try Fixtures.object("\(folder)/versions.json")
    #expect(versions["transformers"]?.stringValue == recording.release.transformersVersion)
    #expect(versions["peft"]?.stringValue == recording.release.recordedVersion)
    let ids = Fixtures.names(in: "\(folder)/cases")
    #expect(ids == GroundTruth.caseIDs, "every case of the PEFT 0.21.2 tree is replayed")
    var disagreements: [String: String] = [:]
    var loads = 0
    for id in ids {
      let record = try Fixtures.object("\(folder)/cases/\(id).json")
      for call in LoadCall.allCases {
        guard let recorded = record[call.rawValue]?.objectValue, recorded["not_expressible"] == nil else { continue }
        loads += 1
        if let difference = try TransformersGroundTruth.difference(record, recorded, call: call, release: recording.release) {
          disagreements["\(id) \(call.rawValue)"] = difference
        }
      }
    }
    GroundTruth.recordUnlisted(
      disagreements, listed: TransformersGroundTruth.exceptions[recording.folder] ?? [:], replay: recording.folder)
    print("transformers@\(recording.release.transformersLine) vs transformers \(recording.folder): "
      + "\(loads - disagreements.count)/\(loads) loads agree")
  }

  /// What the releases did, not what the profile does: `from_pretrained(adapter_folder)` builds the base itself and
  /// then makes the call recorded as `from_pretrained` (load_adapter on a fresh base), so every recorded field is the
  /// same — error, warnings, log records (the folder's path aside), keys — except where listed.
  @Test("from_pretrained on an adapter folder reports what load_adapter on a fresh base reports", arguments: TransformersGroundTruth.recordings)
  func autoEqualsFreshBase(_ recording: TransformersGroundTruth.Recording) throws {
    let folder = "transformers-releases/\(recording.folder)"
    var differences: [String: String] = [:]
    for id in Fixtures.names(in: "\(folder)/cases") {
      let record = try Fixtures.object("\(folder)/cases/\(id).json")
      let auto = try #require(record["auto_from_pretrained"]?.objectValue, "\(id) records auto_from_pretrained")
      let fresh = try #require(record["from_pretrained"]?.objectValue)
      if fresh["not_expressible"] != nil {
        differences[id] = "fresh base: not expressible; from_pretrained(folder): \(auto["error"]?["type"]?.stringValue ?? "loads")"
        continue
      }
      let path = try #require(auto["path"]?.stringValue)
      let adapter = try #require(record["adapter"]?.stringValue)
      func comparable(_ load: JSONObject) -> [String] {
        var fields: [String] = []
        for name in ["missing_keys", "unexpected_keys", "mismatched_keys", "result_type", "adapter_name"] {
          fields.append("\(name): \(load[name].map { JSONWriter.compact.string($0) } ?? "-")")
        }
        if let error = load["error"]?.objectValue {
          fields.append("error: \(error["type"]?.stringValue ?? "") \(error["message"]?.stringValue ?? "")")
        }
        for warning in load["warnings"]?.arrayValue ?? [] {
          fields.append("warning: \(PythonMessages.normalize(warning["message"]?.stringValue ?? ""))")
        }
        for record in load["log"]?.arrayValue ?? [] {
          fields.append("log: \((record["message"]?.stringValue ?? "").replacing(path, with: adapter))")
        }
        return fields
      }
      let (a, b) = (comparable(auto), comparable(fresh))
      if a != b {
        let first = zip(a, b).first(where: { $0 != $1 }) ?? (a.count > b.count ? (a[b.count], "-") : ("-", b[a.count]))
        differences[id] = "fresh base: \(first.1); from_pretrained(folder): \(first.0)"
      }
    }
    let listed = TransformersGroundTruth.autoDifferences[recording.folder] ?? []
    for (id, difference) in differences.sorted(by: { $0.key < $1.key }) where !listed.contains(id) {
      Issue.record("\(recording.folder) \(id): \(difference)")
    }
    for id in listed.sorted() where differences[id] == nil {
      Issue.record("\(recording.folder) \(id) is listed as differing but does not")
    }
  }

  @Test("from_pretrained on an adapter folder: the base it names cannot be resolved", arguments: TransformersGroundTruth.recordings)
  func baseResolution(_ recording: TransformersGroundTruth.Recording) throws {
    let record = try Fixtures.object("transformers-releases/\(recording.folder)/base-resolution.json")
    let attempts = try #require(record["attempts"]?.arrayValue)
    #expect(attempts.count == 4)
    let base = try GroundTruth.base("bases/llama-v128")
    let adapter = try GroundTruth.adapter(try #require(record["adapter"]?.stringValue))
    for attempt in attempts {
      let written = attempt["base_model_name_or_path"]
      let reference = written?.isNull ?? true ? BaseReference.null : BaseReference(written?.stringValue == "<absent>" ? "absent" : written?.stringValue ?? "")
      var context = LoadContext(adapterName: "default", call: .autoFromPretrained)
      context.baseReference = reference
      let outcome = LoadSimulator.simulate(base: base, adapter: adapter, context: context, profile: .transformers(at: recording.release))
      let error = try #require(attempt["error"]?.objectValue)
      #expect(outcome.error?.description == "\(error["type"]?.stringValue ?? ""): \(error["message"]?.stringValue ?? "")", "\(reference)")
      #expect(outcome.error?.category == (reference == .absent ? .invalidAdapterConfig : .baseNotFound))
      #expect(outcome.warnings.isEmpty && attempt["warnings"]?.arrayValue?.isEmpty == true)
    }
  }

  @Test("from_pretrained on an adapter folder is transformers' call only")
  func autoNeedsTransformers() throws {
    let outcome = LoadSimulator.simulate(
      base: try GroundTruth.base("bases/llama-v128"), adapter: try GroundTruth.adapter("adapters/lora-r4"),
      context: LoadContext(call: .autoFromPretrained), profile: .peft)
    #expect(outcome.error?.category == .notSimulated)
  }

  @Test("a name already loaded is refused before anything is read")
  func duplicateName() throws {
    let base = try GroundTruth.base("bases/llama-v128")
    let adapter = try GroundTruth.adapter("adapters/lora-r4")
    for line in LoadProfile.transformersLines {
      let context = LoadContext(
        adapterName: "default", call: .loadAdapter, loaded: [LoadedAdapter(name: "default", source: adapter)])
      let outcome = LoadSimulator.simulate(base: base, adapter: adapter, context: context, profile: .transformers(at: line))
      #expect(outcome.error == .valueError("Adapter with name default already exists. Please use a different name."))
      #expect(outcome.status == .fails)
    }
  }

  @Test("the LOAD REPORT is in the JSON report and in the verbose text")
  func loadReportShown() throws {
    let id = "mutated--lora-r4--drop-lora-b"
    let record = try Fixtures.object("transformers-releases/5.24.0/cases/\(id).json")
    let recorded = try #require(
      record["load_adapter"]?["log"]?.arrayValue?.compactMap { $0["message"]?.stringValue }.first { $0.contains("LOAD REPORT") })
    let source = try #require(try GroundTruth.record(id)["load"]?.objectValue)
    let loaded = try #require(source["loaded"]?.arrayValue?.first)
    let context = LoadContext(
      adapterName: try #require(source["adapter_name"]?.stringValue), call: .loadAdapter,
      loaded: [LoadedAdapter(name: "default", source: try GroundTruth.adapter(try #require(loaded["adapter"]?.stringValue)))])
    let outcome = LoadSimulator.simulate(
      base: try GroundTruth.base("bases/llama-v128"), adapter: try GroundTruth.adapter("adapters/lora-r4--drop-lora-b"),
      context: context, profile: .transformers(at: .v0_21))
    let report = try #require(outcome.json["load_report"]?.stringValue)
    #expect(TransformersGroundTruth.rowsSorted(report) == TransformersGroundTruth.rowsSorted(recorded))
    let text = outcome.text(verbose: true)
    #expect(text.contains("load report:\n  LlamaForCausalLM LOAD REPORT from: adapters/lora-r4--drop-lora-b\n"))
    #expect(!text.contains("\u{1B}"), "no terminal styling in the text report")
    #expect(LoadSimulator.simulate(
      base: try GroundTruth.base("bases/llama-v128"), adapter: try GroundTruth.adapter("adapters/lora-r4"),
      context: context, profile: .peft).json["load_report"] == nil, "only the transformers profiles have one")
  }

  @Test("profile names", arguments: [("transformers@5.24", "5.24.0"), ("transformers@4.57", "4.57.6"), ("transformers@5.24.0", "5.24.0")])
  func names(_ name: String, _ transformers: String) throws {
    let profile = try #require(LoadProfile(rawValue: name))
    #expect(profile.isTransformers)
    #expect(profile.release?.transformersVersion == transformers)
    #expect(profile.rawValue == "transformers@\(transformers.split(separator: ".").prefix(2).joined(separator: "."))")
    #expect(LoadProfile(rawValue: "transformers@4.46") == nil, "transformers 4.46 has no profile")
  }
}

enum TransformersGroundTruth {
  struct Recording: Sendable, CustomStringConvertible {
    var folder: String
    var release: PEFTRelease
    var description: String { folder }
  }

  static let recordings = [
    Recording(folder: "5.24.0", release: .v0_21),
    Recording(folder: "4.57.6", release: .v0_18),
  ]

  /// Loads (`<case> <call>`) where a profile knowingly differs from the release, with the reason.
  static let exceptions: [String: [String: String]] = [
    "5.24.0": ["names--mixed-tuner-types load_adapter": mixedTypes],
    "4.57.6": [
      "names--mixed-tuner-types load_adapter": mixedTypes,
      "cross-arch--lora-r4--gpt2-v128 load_adapter": nothingTargeted,
      "mutated--lora-r4--target-nonexistent-only load_adapter": nothingTargeted,
    ].merging(
      everyCall([
        ("embeddings--lora-embed-lmhead--llama-tied-v128", ReleaseGroundTruth.tiedTargetWarning),
        ("roundtrip--lora-mts-lmhead", ReleaseGroundTruth.tiedTargetWarning),
        ("mutated--c3a--target-embed", ReleaseGroundTruth.unboundNewModule),
        ("mutated--delora--target-embed", ReleaseGroundTruth.unboundNewModule),
        ("resized--vblora-topk--llama-v140", vectorBank),
        ("roundtrip--vblora-topk", vectorBank),
      ])
    ) { first, _ in first },
  ]

  /// Cases whose `from_pretrained(adapter_folder)` differs from `load_adapter` on a fresh base in the recording:
  /// transformers 4.57's `load_adapter` has no `ignore_mismatched_sizes` (the fresh-base call cannot be made), and its
  /// `from_pretrained` applies the option to the base only, so the adapter's mismatched tensors still raise.
  static let autoDifferences: [String: Set<String>] = [
    "5.24.0": [],
    "4.57.6": [
      "embeddings--lora-v140-embeddings--llama-v128--ignore-mismatched",
      "embeddings--t5-lora-v140-embeddings--t5-v128--ignore-mismatched",
      "mutated--lora-r4--wrong-rank--ignore-mismatched",
      "wider--adaption-prompt--llama-h32--ignore-mismatched",
      "wider--lora-r4--llama-h32--ignore-mismatched",
    ],
  ]

  /// The same reason for a case's three loads: on a fresh base, after the `loaded` adapters, and through
  /// `from_pretrained(adapter_folder)` (the same `load_adapter` on the base it builds).
  static func everyCall(_ cases: [(String, String)]) -> [String: String] {
    var entries: [String: String] = [:]
    for (id, reason) in cases {
      for call in LoadCall.allCases { entries["\(id) \(call.rawValue)"] = reason }
    }
    return entries
  }

  static let mixedTypes =
    "transformers injects a second adapter of another method (LoHa after LoRA) with its own tuner; the engine's "
    + "model holds one tuner type and raises PEFT's 'Cannot combine adapters with different peft types'; not modelled"
  static let nothingTargeted =
    "PEFT 0.18.1 injecting into a model that already holds an adapter raises 'No modules were targeted for adaptation' "
    + "when this adapter matches nothing; the profile's 0.18 line lets such a load_adapter through (PeftModel's "
    + "accumulated targeted_module_names); not modelled for the bare model"
  static let vectorBank =
    "VB-LoRA with topk weights saved: PEFT 0.18.1 looks the vector bank up on the bare transformers model "
    + "(AttributeError: no attribute 'vblora_vector_bank'); not modelled"

  /// The first difference between the profile's outcome and the release's record of one load, or `nil`.
  static func difference(_ record: JSONObject, _ recorded: JSONObject, call: LoadCall, release: PEFTRelease) throws -> String? {
    let load = try #require(record["load"]?.objectValue)
    let loaded = call == .loadAdapter ? try GroundTruth.loadedAdapters(load) : []
    let context = LoadContext(
      adapterName: try #require(recorded["adapter_name"]?.stringValue), call: call, loaded: loaded,
      ignoreMismatchedSizes: load["ignore_mismatched_sizes"]?.boolValue ?? false,
      lowCPUMemUsage: load["low_cpu_mem_usage"]?.boolValue ?? false)
    var adapter = try GroundTruth.adapter(try #require(record["adapter"]?.stringValue))
    // from_pretrained(adapter_folder) was given a copy whose config names the case's base (its LOAD REPORT says so).
    if call == .autoFromPretrained { adapter.path = try #require(recorded["path"]?.stringValue) }
    let outcome = LoadSimulator.simulate(
      base: try GroundTruth.base(try #require(record["base"]?.stringValue)), adapter: adapter, context: context,
      profile: .transformers(at: release))
    var error = recorded["error"]?.objectValue
    if let setup = recorded["setup"]?["error"]?.objectValue { error = setup }
    if let verdict = GroundTruth.errorAndWarnings(recorded, error: error, outcome) { return verdict.difference }
    let missing = ReleaseGroundTruth.strings(recorded["missing_keys"])
    if outcome.missingKeys != missing { return "missing keys \(missing); profile: \(outcome.missingKeys)" }
    let unexpected = ReleaseGroundTruth.strings(recorded["unexpected_keys"])
    if outcome.unexpectedKeys != unexpected { return "unexpected keys \(unexpected); profile: \(outcome.unexpectedKeys)" }
    let mismatched = (recorded["mismatched_keys"]?.arrayValue ?? []).compactMap { $0.arrayValue?.first?.stringValue }
    if outcome.mismatched.map(\.key) != mismatched { return "mismatched keys \(mismatched); profile: \(outcome.mismatched.map(\.key))" }
    if release.runsOnTransformers5 {
      let report = (recorded["log"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }.first { $0.contains(" LOAD REPORT") }
      if report.map(rowsSorted) != outcome.loadReport.map(rowsSorted) {
        return "LOAD REPORT \(report ?? "none"); profile: \(outcome.loadReport ?? "none")"
      }
    }
    return nil
  }

  /// A LOAD REPORT with its table's rows sorted (transformers prints them in Python's set order).
  static func rowsSorted(_ report: String) -> String {
    var lines = report.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let notes = lines.firstIndex(of: ""), notes > 3 else { return report }
    lines[3..<notes].sort()
    return lines.joined(separator: "\n")
  }
}
