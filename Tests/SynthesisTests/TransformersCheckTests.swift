import Foundation
import TensorIO
import TestSupport
import Testing

@testable import Synthesis

/// Runs `scripts/checks/check_architectures.py` with real transformers over every catalog
/// architecture and a set of mutated models. Needs `ADAPTEST_PYTHON`.
@Suite(.serialized) struct TransformersCheckTests {
  static let pythonMissing = ReferencePython.path == nil

  /// Every architecture at its tiny size, plus mutations that change what is saved.
  static var models: [(String, BaseModelSpec)] {
    var models: [(String, BaseModelSpec)] = ModelFamily.allCases.map { ($0.rawValue, BaseModelSpec(family: $0)) }
    func mutated(_ name: String, _ family: ModelFamily, _ mutations: [BaseMutation]) {
      models.append((name, try! BaseModelSpec(family: family).applying(mutations)))
    }
    mutated("llama-tied-bf16", .llama, [.tieWordEmbeddings(true), .dtype(.bf16)])
    mutated("gpt2-untied-f16", .gpt2, [.tieWordEmbeddings(false), .dtype(.f16)])
    mutated("bert-untied", .bert, [.tieWordEmbeddings(false)])
    mutated("gemma-untied", .gemma, [.tieWordEmbeddings(false)])
    mutated("qwen3_moe-tied", .qwen3Moe, [.tieWordEmbeddings(true)])
    mutated("mistral-resized", .mistral, [.resizeVocab(to: 131, padToMultipleOf: 8), .layerCount(3)])
    mutated("qwen2-wider", .qwen2, [.hiddenSize(32), .intermediateSize(48), .headCount(heads: 8, keyValueHeads: 4)])
    mutated("t5-resized", .t5, [.resizeVocab(to: 100, padToMultipleOf: nil), .hiddenSize(24)])
    mutated("llama-as-mistral", .llama, [.swapArchitecture(.mistral)])
    mutated("mixtral-sharded", .mixtral, [.shards(3), .resizeVocab(to: 96, padToMultipleOf: nil)])
    mutated("phi3-gqa", .phi3, [.headCount(heads: 8, keyValueHeads: 2)])
    return models
  }

  @Test(.disabled(if: pythonMissing, "ADAPTEST_PYTHON is not set: no Python with transformers to check against"))
  func tinyModelsMatchTransformers() throws {
    let folder = TemporaryDirectory("transformers-check")
    var paths: [String] = []
    for (name, model) in Self.models {
      let path = FileSystem.join(folder.path, name)
      try model.describe().writeForCheck(to: path)
      paths.append(path)
    }
    let flags = TestFormats.canWriteSafeTensors ? [] : ["--write-missing-weights"]
    let result = try ReferencePython.runScript("checks/check_architectures.py", arguments: flags + paths)
    let reports = result.output.split(separator: "\n")
    #expect(reports.count == Self.models.count, "stderr: \(result.error.suffix(2000))")
    for report in reports {
      #expect(report.contains("\"ok\": true"), "\(report)")
    }
    #expect(result.status == 0)
  }

  @Test(.disabled(if: pythonMissing, "ADAPTEST_PYTHON is not set: no Python with transformers to check against"))
  func realSizePresetsMatchTransformersOnTheMetaDevice() throws {
    let folder = TemporaryDirectory("transformers-presets")
    var paths: [String] = []
    for preset in BasePreset.allCases {
      let path = FileSystem.join(folder.path, preset.rawValue)
      let description = try preset.model.describe()
      try FileSystem.createDirectory(path)
      try AtomicFile.write(text: description.configText, to: FileSystem.join(path, "config.json"))
      try AtomicFile.write(
        text: JSONWriter(indent: nil).string(description.summaryJSON), to: FileSystem.join(path, "description.json"))
      paths.append(path)
    }
    let result = try ReferencePython.runScript("checks/check_architectures.py", arguments: ["--meta"] + paths)
    let reports = result.output.split(separator: "\n")
    #expect(reports.count == BasePreset.allCases.count, "stderr: \(result.error.suffix(2000))")
    for report in reports { #expect(report.contains("\"ok\": true"), "\(report)") }
    #expect(result.status == 0)
  }

  /// The checker itself must notice a wrong description, or its passes mean nothing.
  @Test(.disabled(if: pythonMissing, "ADAPTEST_PYTHON is not set: no Python with transformers to check against"))
  func checkerRejectsWrongDescriptions() throws {
    let folder = TemporaryDirectory("transformers-negative")
    var swapped = try BaseModelSpec(family: .llama).describe()
    swapped.layout.swapAt(1, 2)
    var untied = try BaseModelSpec(family: .gpt2).describe()
    untied.layout[untied.layout.count - 1].saved = .asIs
    var wrongDefault = try BaseModelSpec(family: .llama).describe()
    wrongDefault.config["rms_norm_eps"] = .number("1e-05")
    var unknownField = try BaseModelSpec(family: .qwen2).describe()
    unknownField.config["num_experts"] = .number("4")
    var wrongShape = try BaseModelSpec(family: .phi3).describe()
    wrongShape.layout[2].parameter.shape = [16, 16]
    let broken = [
      ("swapped", swapped), ("untied", untied), ("default", wrongDefault), ("unknown", unknownField),
      ("shape", wrongShape),
    ]
    var paths: [String] = []
    for (name, description) in broken {
      let path = FileSystem.join(folder.path, name)
      try description.writeForCheck(to: path)
      paths.append(path)
    }
    let result = try ReferencePython.runScript("checks/check_architectures.py", arguments: ["--write-missing-weights"] + paths)
    let reports = result.output.split(separator: "\n")
    #expect(reports.count == broken.count, "stderr: \(result.error.suffix(2000))")
    for report in reports { #expect(report.contains("\"ok\": false"), "\(report)") }
    #expect(result.status == 1)
  }
}
