import Foundation
import TensorIO
import TestSupport
import Testing

@testable import AdapterLoading

/// The committed model-structure table against what its recorder produces with the pinned transformers
/// (`scripts/recorders/record_model_structures.py`), on a fixed sample of model types; `.ci/run` checks the
/// whole table (`scripts/recorders/update_model_structures.sh --check`). Needs `ADAPTEST_PYTHON`.
@Suite(.serialized) struct ModelStructureRecordTests {
  static let pythonMissing = ReferencePython.path == nil

  /// Every 16th model type, plus the ones the issue named, so that the sample covers the table's shapes
  /// (heads referring to their bare class, conversions, skipped classes) without recording all 628 types.
  static var sample: [String] {
    let all = ModelStructureTable.modelTypes
    let named = ["falcon", "bloom", "gptj", "gpt_neox", "deberta-v2", "opt", "bart", "mixtral", "t5", "gpt2"]
    return Array(Set(all.enumerated().filter { $0.offset % 16 == 0 }.map(\.element) + named)).sorted()
  }

  @Test(.disabled(if: pythonMissing, "ADAPTEST_PYTHON is not set: no Python with transformers to record from"))
  func committedTableEqualsTheRecorder() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("adaptest-structures-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("record.jsonl").path
    let run = try ReferencePython.runScript("recorders/record_model_structures.py", arguments: [output, "--types", Self.sample.joined(separator: ",")])
    try #require(run.status == 0, "\(run.error)")
    let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
    var compared = 0
    for line in lines {
      guard case .object(var record) = try JSONValue.parse(String(line)), let type = record["type"]?.stringValue else {
        continue
      }
      if type.isEmpty {
        // The header: PEFT's per-model-type defaults, as committed.
        #expect(record["peft"] == ModelStructureTable.peftHeader, "PEFT's defaults differ: rerun the recorder")
        continue
      }
      #expect(record["transformers"]?.stringValue == ModelStructureTable.transformersVersion)
      record["type"] = nil
      record["transformers"] = nil
      let committed = try #require(ModelStructureTable.recordedLine(forModelType: type), "\(type) is not in the table")
      #expect(try JSONValue.parse(committed) == .object(record), "\(type) differs: rerun scripts/recorders/update_model_structures.sh")
      compared += 1
    }
    #expect(compared == Self.sample.count)
  }
}
