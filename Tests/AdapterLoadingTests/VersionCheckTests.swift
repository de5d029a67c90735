import Foundation
import Testing
import TensorIO

@testable import AdapterLoading

/// Profile names and `check --all-versions`.
@Suite("PEFT release profiles")
struct VersionCheckTests {
  @Test(
    "profile names", arguments: [
      ("peft", "peft"), ("peft@0.21", "peft"), ("peft@0.21.2", "peft"), ("peft@0.13", "peft@0.13"),
      ("peft-0.13", "peft@0.13"), ("peft@0.14.0", "peft@0.14"), ("peft@0.18", "peft@0.18"),
      ("recommended", "recommended"), ("transformers@5.24", "transformers@5.24"), ("transformers@4.57.6", "transformers@4.57"),
    ])
  func names(_ name: String, _ canonical: String) throws {
    let profile = try #require(LoadProfile(rawValue: name))
    #expect(profile.rawValue == canonical)
  }

  @Test(
    "unknown lines and malformed names are refused",
    arguments: ["peft@0.15", "peft@1.21", "peft@0.13.x", "peft@", "peft@0..13", "PEFT", "transformers@4.46", "transformers@5", "transformers@"])
  func unknownNames(_ name: String) {
    #expect(LoadProfile(rawValue: name) == nil)
  }

  /// Each row's result is what the release itself did with that load (recorded by
  /// `record_peft_ground_truth.py --replay-from`, and for 0.21.2 by the tree itself; transformers' own loading
  /// with `--transformers-api`).
  @Test(
    "each row is the release's own outcome", arguments: [
      "resized--lora-r4--llama-v140", "mutated--lora-r4--drop-lora-b", "roundtrip--vera-proj", "resized--oft--llama-v140",
      "cross-arch--lora-r4--gpt2-v128",
    ])
  func rowsMatchRecordings(_ id: String) throws {
    let record = try GroundTruth.record(id)
    let base = try GroundTruth.base(try #require(record["base"]?.stringValue))
    let adapter = try GroundTruth.adapter(try #require(record["adapter"]?.stringValue))
    let rows = VersionCheck.rows(base: base, adapter: adapter)
    #expect(
      rows.map(\.name) == ["peft@0.13", "peft@0.14", "peft@0.18", "peft@0.21", "transformers@4.57", "transformers@5.24", "recommended"])
    #expect(rows.filter { $0.profile.isTransformers }.allSatisfy { $0.api == "transformers load_adapter" })
    let folders = ["peft@0.13": "peft-releases/0.13.2", "peft@0.14": "peft-releases/0.14.0", "peft@0.18": "peft-releases/0.18.1",
                   "peft@0.21": "peft-ground-truth", "transformers@4.57": "transformers-releases/4.57.6",
                   "transformers@5.24": "transformers-releases/5.24.0"]
    for row in rows {
      guard let folder = folders[row.name] else { continue }
      let recorded = try #require(try Fixtures.object("\(folder)/cases/\(id).json")["from_pretrained"]?.objectValue)
      let relevant = (recorded["warnings"]?.arrayValue ?? []).filter {
        !["FutureWarning", "DeprecationWarning"].contains($0["category"]?.stringValue ?? "")
      }
      let want: String
      if let error = recorded["error"]?.objectValue {
        want = "fails"
        #expect(row.firstDiagnostic?.hasPrefix(error["type"]?.stringValue ?? "?") == true, "\(id) \(row.name)")
      } else {
        // from_pretrained keeps the keys to itself; the row counts what its inner load_adapter returned
        // (transformers' load_adapter returns them).
        let inner = row.profile.isTransformers ? recorded : recorded["internal_load_adapter_result"]?.objectValue
        let keys = (inner?["missing_keys"]?.arrayValue ?? []) + (inner?["unexpected_keys"]?.arrayValue ?? [])
          + (inner?["mismatched_keys"]?.arrayValue ?? [])
        want = relevant.isEmpty && keys.isEmpty ? "clean" : "warnings"
      }
      #expect(row.statusName == want, "\(id) \(row.name)")
    }
    let json = VersionCheck.json(rows)
    #expect(json["rows"]?.arrayValue?.count == 7)
    #expect(VersionCheck.table(rows).split(separator: "\n").count == 8)
  }
}
