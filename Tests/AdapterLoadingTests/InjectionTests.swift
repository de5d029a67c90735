import Foundation
import Testing
import TensorIO

@testable import AdapterLoading

/// PEFT injection against real PEFT 0.21.2 (`scripts/recorders/record_injection.py`): the wrapped
/// model's state dict (names, dtypes, shapes, order), each adapter's saved checkpoint, the wrapper class,
/// and the warnings or error PEFT emits, for every tuner in the catalog.
@Suite("Injection")
struct InjectionTests {
  static let scenarios = Fixtures.names(in: "injection")

  struct Outcome {
    var model: PeftModel?
    var warnings: [PythonWarning]
    var error: PythonError?
  }

  static func build(_ record: JSONObject) throws -> Outcome {
    let baseName = try #require(record["base"]?.stringValue)
    let arch = try Fixtures.object("architectures/\(baseName).json")
    let base = try BaseModel(
      config: try #require(arch["config"]?.objectValue), weights: try table(try #require(arch["saved_tensors"]).tensorList()))
    var adapters: [(String, AdapterConfig)] = []
    for adapter in try #require(record["adapters"]?.arrayValue) {
      let name = try #require(adapter["name"]?.stringValue)
      adapters.append((name, try AdapterConfig(json: try #require(adapter["config"]?.objectValue), source: name)))
    }
    var warnings: [PythonWarning] = []
    var model: PeftModel? = nil
    do throws(PythonError) {
      for (i, (name, config)) in adapters.enumerated() {
        if i == 0 {
          model = try PeftModel(base: base, adapterName: name, config: config, warnings: &warnings)
        } else {
          try model?.addAdapter(name, config: config, warnings: &warnings)
        }
      }
    } catch {
      return Outcome(model: nil, warnings: warnings, error: error)
    }
    return Outcome(model: model, warnings: warnings, error: nil)
  }

  @Test("state dict, saved checkpoints, warnings and errors match PEFT", arguments: scenarios)
  func matchesPEFT(_ name: String) throws {
    let record = try Fixtures.object("injection/\(name).json")
    let outcome = try Self.build(record)
    let expectedWarnings = try #require(record["warnings"]?.arrayValue).map { w in
      "\(w.arrayValue?[0].stringValue ?? ""): \(PythonMessages.normalize(w.arrayValue?[1].stringValue ?? ""))"
    }
    let actualWarnings = outcome.warnings.map { "\($0.category): \(PythonMessages.normalize($0.message))" }
    #expect(actualWarnings == expectedWarnings)
    if let error = record["error"]?.objectValue {
      #expect(outcome.error?.kind == error["kind"]?.stringValue)
      #expect(PythonMessages.normalize(outcome.error?.message ?? "") == PythonMessages.normalize(error["message"]?.stringValue ?? ""))
      return
    }
    #expect(outcome.error == nil)
    let model = try #require(outcome.model)
    #expect(model.className == record["class"]?.stringValue)
    let expected = try #require(record["state_dict"]).tensorList()
    let actual = model.stateDict.entries
    #expect(actual.map(\.key) == expected.map(\.0))
    if actual.map(\.key) == expected.map(\.0) {
      for (a, e) in zip(actual, expected) {
        #expect(a.info.shape == e.1.shape, "\(a.key)")
        #expect(a.info.dtype == e.1.dtype, "\(a.key)")
      }
    } else {
      let missing = Set(expected.map(\.0)).subtracting(actual.map(\.key))
      let extra = Set(actual.map(\.key)).subtracting(expected.map(\.0))
      Issue.record("missing \(missing.sorted().prefix(8)), extra \(extra.sorted().prefix(8))")
    }
    let saved = try #require(record["saved"]?.objectValue)
    let saveEmbeddings = record["save_embedding_layers"]?.boolValue.map { $0 ? SaveEmbeddingLayers.yes : .no } ?? .auto(baseHasConfig: false)
    for (adapter, list) in saved {
      let expectedSaved = try list.tensorList()
      let checkpoint = try model.adapterCheckpoint(adapter, saveEmbeddingLayers: saveEmbeddings).stateDict
      #expect(checkpoint.keys == expectedSaved.map(\.0), "\(adapter)")
      for (a, e) in zip(checkpoint.entries, expectedSaved) where a.key == e.0 {
        #expect(a.info.shape == e.1.shape, "\(adapter): \(a.key)")
      }
    }
  }
}
