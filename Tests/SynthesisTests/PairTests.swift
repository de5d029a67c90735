import AdapterLoading
import Checkpoints
import Foundation
import TensorIO
import TestSupport
import Testing

@testable import Synthesis

@Suite struct PairTests {
  static func caseJSON(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

  static let seedCase = """
    {
      "id": "vocab-resized/lora-load-adapter",
      "description": "The seed scenario.",
      "refs": ["peft#1932"],
      "base": {
        "architecture": "llama",
        "config": {"vocab_size": 128, "hidden_size": 16, "num_hidden_layers": 2},
        "mutations": [{"resize_vocab": {"to": 160}}]
      },
      "adapter": {"tuner": "LORA", "config": {"r": 4, "target_modules": ["q_proj", "v_proj"]}},
      "load": {"adapter_name": "second", "loaded": ["default"]},
      "formats": ["safetensors", "hdf5"],
      "expect": {"missing_keys": [], "unexpected_keys": [], "error": null}
    }
    """

  @Test func decodesACorpusCase() throws {
    let spec = try PairSpec.decode(try Self.caseJSON(Self.seedCase))
    #expect(spec.id == "vocab-resized/lora-load-adapter")
    #expect(spec.base.family == .llama)
    #expect(spec.baseMutations.map(\.value) == [.resizeVocab(to: 160, padToMultipleOf: nil)])
    #expect(spec.baseMutations.first?.path == "base.mutations[0].resize_vocab")
    #expect(spec.load == LoadSetup(adapterName: "second", loadedAdapters: ["default"]))
    #expect(spec.load.call == .loadAdapter)
    #expect(spec.formats == [.safetensors, .hdf5])
    let plan = try PairPlan(spec)
    #expect(plan.loadingBase.dimensions.vocabSize == 160)
    #expect(plan.trainingBase.dimensions.vocabSize == 128)
    #expect(plan.outcome.isClean)
    #expect(plan.outcome.diagnostics == [.baseDriftIgnored])
    #expect(plan.loadedAdapters.map(\.name) == ["default"])
    #expect(plan.checkpoint.count == 8)
  }

  @Test(arguments: [
    (#"{"base": {"architecture": "falcon"}, "adapter": {"tuner": "LORA"}}"#, "base.architecture"),
    (#"{"base": {"architecture": "llama", "config": {"hiden_size": 8}}, "adapter": {"tuner": "LORA"}}"#, "base.config.hiden_size"),
    (#"{"base": {"architecture": "llama", "mutations": [{"num_heads": {"to": 3}}]}, "adapter": {"tuner": "LORA", "config": {"target_modules": ["q_proj"]}}}"#, "base.mutations[0].num_heads.to"),
    (#"{"base": {"architecture": "llama", "mutations": [{"resize_vocab": {"to": 0}}]}, "adapter": {"tuner": "LORA", "config": {"target_modules": ["q_proj"]}}}"#, "base.mutations[0].resize_vocab.to"),
    (#"{"base": {"architecture": "llama", "mutations": ["grow"]}, "adapter": {"tuner": "LORA"}}"#, "base.mutations[0].grow"),
    (#"{"base": {"architecture": "llama"}, "adapter": {"tuner": "LORAX"}}"#, "adapter.peft_type"),
    (#"{"base": {"architecture": "llama"}, "adapter": {"tuner": "LOHA", "config": {"lora_alpha": 8}}}"#, "adapter.config.lora_alpha"),
    (#"{"base": {"architecture": "llama"}, "adapter": {"tuner": "LORA", "config": {"target_modules": ["c_attn"]}}}"#, "adapter.config.target_modules"),
    (#"{"base": {"architecture": "llama"}, "adapter": {"tuner": "LORA", "config": {"target_modules": ["q_proj"]}, "mutations": [{"drop_keys": {"keys": ["lora_C.weight"]}}]}}"#, "adapter.mutations[0].drop_keys.keys"),
    (#"{"base": {"architecture": "llama"}, "adapter": {"tuner": "LORA", "config": {"target_modules": ["q_proj"]}, "mutations": [{"wrong_rank": {"r": 8}}]}}"#, "adapter.mutations[0].wrong_rank.r"),
    (#"{"base": {"architecture": "llama"}, "adapter": {"tuner": "LORA"}, "formats": ["onnx"]}"#, "formats[0]"),
    (#"{"base": {"architecture": "llama"}, "adapter": {"tuner": "LORA"}, "laod": {}}"#, "laod"),
    (#"{"base": {"architecture": "llama", "mutations": [{"resize_vocab": {"to": 100}}]}, "adapter": {"tuner": "TRAINABLE_TOKENS", "config": {"target_modules": ["embed_tokens"], "token_indices": [3, 120]}}}"#, "base.mutations[0].resize_vocab.to"),
    (#"{"base": {"architecture": "llama"}, "adapter": {"tuner": "LORA", "config": {"trainable_token_indices": [300]}}}"#, "adapter.config.trainable_token_indices"),
  ])
  func badCasesNameTheirField(text: String, field: String) throws {
    do {
      _ = try PairPlan(try PairSpec.decode(try Self.caseJSON(text)))
      Issue.record("expected an error at \(field)")
    } catch let error as SynthesisError {
      #expect(error.field == field, "\(error)")
    }
  }

  @Test func writesTheFolderAtomicallyAndDeterministically() throws {
    let folder = TemporaryDirectory("pair")
    let plan = try PairPlan(try PairSpec.decode(try Self.caseJSON(Self.seedCase)))
    let writer = PairWriter(formats: TestFormats.all)
    let a = FileSystem.join(folder.path, "a")
    let b = FileSystem.join(folder.path, "b")
    try writer.write(plan, to: a, format: .safetensors, seed: 3)
    try writer.write(plan, to: b, format: .safetensors, seed: 3)
    #expect(try FileSystem.contents(ofDirectory: a) == ["adapter", "base", "case.json", "loaded"])
    #expect(try FileSystem.contents(ofDirectory: FileSystem.join(a, "loaded")) == ["default"])
    for file in ["case.json", "adapter/adapter_config.json", "adapter/adapter_model.safetensors", "base/config.json",
      "base/model.safetensors", "loaded/default/adapter_model.safetensors"]
    {
      #expect(try FileSystem.read(FileSystem.join(a, file)) == FileSystem.read(FileSystem.join(b, file)), "\(file)")
    }
    let adapter = try AdapterCheckpoint(path: FileSystem.join(a, "adapter"), formats: TestFormats.all)
    #expect(adapter.weights.tensors.names.sorted() == plan.checkpoint.map(\.name).sorted())
    let manifest = try readJSON(path: FileSystem.join(a, "case.json"))
    #expect(manifest["expect"]?["clean"] == .bool(true))
    #expect(manifest["base"]?["mutations"] == .array([.string("resize vocab to 160")]))

    // An existing folder is never overwritten unless asked, and then replaced whole.
    #expect(throws: PairWriteError.destinationExists(a)) { try writer.write(plan, to: a, format: .hdf5, seed: 3) }
    #expect(FileSystem.isFile(FileSystem.join(a, "base/model.safetensors")))
    try writer.write(plan, to: a, format: .hdf5, seed: 3, overwrite: true)
    #expect(FileSystem.isFile(FileSystem.join(a, "base/model.h5")))
    #expect(!FileSystem.isFile(FileSystem.join(a, "base/model.safetensors")))
    #expect(try FileSystem.contents(ofDirectory: folder.path) == ["a", "b"], "no staging folder is left behind")
  }

  @Test func aFailedWriteLeavesNothing() throws {
    let folder = TemporaryDirectory("pair-fail")
    let plan = try PairPlan(try PairSpec.decode(try Self.caseJSON(Self.seedCase)))
    let noHDF5 = CheckpointFormats(openers: [:], writers: [.safetensors: TestFormats.all.writers[.safetensors]!])
    #expect(throws: CheckpointError.noWriter(.hdf5)) {
      try PairWriter(formats: noHDF5).write(plan, to: FileSystem.join(folder.path, "x"), format: .hdf5, seed: 1)
    }
    #expect(try FileSystem.contents(ofDirectory: folder.path).isEmpty)
  }
}
