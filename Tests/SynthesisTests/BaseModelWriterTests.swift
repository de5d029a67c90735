import Checkpoints
import Foundation
import TensorIO
import TestSupport
import Testing

@testable import Synthesis

@Suite struct BaseModelWriterTests {
  let writer = BaseModelWriter(formats: TestFormats.all)

  func files(in folder: String) throws -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    for name in try FileSystem.contents(ofDirectory: folder) { result[name] = try FileSystem.read(FileSystem.join(folder, name)) }
    return result
  }

  @Test(arguments: CheckpointFormat.allCases)
  func sameSeedWritesIdenticalBytes(format: CheckpointFormat) throws {
    let folder = TemporaryDirectory("determinism")
    let model = try BaseModelSpec(family: .qwen3Moe).applying([.dtype(.bf16)]).describe()
    for (name, seed) in [("a", UInt64(5)), ("b", 5), ("c", 6)] {
      try writer.write(model, to: FileSystem.join(folder.path, name), format: format, data: .dense(seed: seed))
    }
    let a = try files(in: FileSystem.join(folder.path, "a"))
    let b = try files(in: FileSystem.join(folder.path, "b"))
    let c = try files(in: FileSystem.join(folder.path, "c"))
    #expect(a.keys.sorted() == ["config.json", "model.\(format.fileExtension)"])
    #expect(a == b)
    #expect(a["config.json"] == c["config.json"])
    #expect(a["model.\(format.fileExtension)"] != c["model.\(format.fileExtension)"])
  }

  @Test func bothFormatsHoldTheSameTensorBytes() throws {
    let folder = TemporaryDirectory("formats")
    let model = try BaseModelSpec(family: .gpt2).applying([.dtype(.f16)]).describe()
    var checkpoints: [ModelCheckpoint] = []
    for format in CheckpointFormat.allCases {
      let path = FileSystem.join(folder.path, format.rawValue)
      try writer.write(model, to: path, format: format, data: .dense(seed: 11))
      checkpoints.append(try ModelCheckpoint(path: path, formats: TestFormats.all))
    }
    let generator = TensorDataGenerator(seed: 11)
    for spec in model.savedTensors {
      let info = model.info(of: spec)
      var expected = [UInt8](repeating: 0, count: try info.byteCount())
      expected.withUnsafeMutableBytes {
        TensorDataGenerator.fill($0, key: generator.key(for: spec.name), dtype: .f16, distribution: spec.distribution)
      }
      for checkpoint in checkpoints {
        #expect(checkpoint.weights.tensors[spec.name]?.info == info)
        #expect(try checkpoint.weights.bytes(of: spec.name).array == expected, "\(spec.name)")
      }
    }
    for checkpoint in checkpoints {
      #expect(checkpoint.weights.tensors.count == model.savedTensors.count)
      #expect(checkpoint.weights.metadata == ["format": "pt"])
      #expect(checkpoint.folder.config == model.config)
    }
  }

  @Test func shardsAreSplitWithAnIndex() throws {
    let folder = TemporaryDirectory("shards")
    let model = try BaseModelSpec(family: .llama).applying([.shards(3)]).describe()
    let written = try writer.write(model, to: folder.path, format: .safetensors, data: .dense(seed: 1))
    #expect(
      written.map(FileSystem.lastComponent) == [
        "config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
        "model-00003-of-00003.safetensors", "model.safetensors.index.json",
      ])
    let checkpoint = try ModelCheckpoint(path: folder.path, formats: TestFormats.all)
    #expect(Set(checkpoint.weights.tensors.names) == Set(model.savedTensors.map(\.name)))
    #expect(checkpoint.weights.index?.shards.count == 3)
    // Embedding and head 2 · 128 · 16, per layer q/o 2 · 16 · 16, k/v 2 · 8 · 16, MLP 3 · 32 · 16 and
    // two norms of 16, two layers, the final norm: what `model.num_parameters()` counts.
    let perLayer = 2 * 16 * 16 + 2 * 8 * 16 + 3 * 32 * 16 + 2 * 16
    #expect(checkpoint.weights.index?.metadata["total_parameters"] == .number(String(2 * 128 * 16 + 2 * perLayer + 16)))
  }

  @Test func configIsWrittenTheWayTransformersWritesIt() throws {
    let folder = TemporaryDirectory("config")
    let model = try BaseModelSpec(family: .llama).describe()
    try writer.write(model, to: folder.path, format: .safetensors, data: .sparse)
    let text = String(decoding: try FileSystem.read(FileSystem.join(folder.path, "config.json")), as: UTF8.self)
    // json.dumps(indent=2, sort_keys=True) + "\n": the observed transformers 5.24 output for this model starts so.
    #expect(text.hasPrefix("{\n  \"architectures\": [\n    \"LlamaForCausalLM\"\n  ],\n  \"attention_bias\": false,\n"))
    #expect(text.contains("\n  \"rms_norm_eps\": 1e-06,\n  \"rope_parameters\": {\n    \"rope_theta\": 10000.0,\n"))
    #expect(text.hasSuffix("  \"vocab_size\": 128\n}\n"))
  }

  @Test func sparseRealSizePresetsAreHoles() throws {
    let folder = TemporaryDirectory("sparse")
    for preset in [BasePreset.llama3_8B, .qwen3_30B_A3B] {
      let path = FileSystem.join(folder.path, preset.rawValue)
      let model = try preset.model.describe()
      let written = try writer.write(model, to: path, format: .safetensors, data: .sparse)
      var apparent = 0
      var allocated = 0
      for file in written {
        var info = stat()
        #expect(stat(file, &info) == 0)
        apparent += Int(info.st_size)
        allocated += Int(info.st_blocks) * 512
      }
      let expectedBytes = try model.savedTensors.reduce(0) { $0 + (try model.info(of: $1).byteCount()) }
      #expect(apparent > expectedBytes)
      #expect(allocated < 16 << 20, "\(preset.rawValue): \(allocated) bytes allocated")
      let checkpoint = try ModelCheckpoint(path: path, formats: TestFormats.all)
      #expect(checkpoint.weights.tensors.count == model.savedTensors.count)
    }
  }
}
