import TensorIO
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif


@Suite struct FolderLayoutTests {
  @Test func shardNamesFollowTransformers() {
    #expect(
      FolderLayout.shardName(stem: "model", index: 1, of: 3, format: .safetensors) == "model-00001-of-00003.safetensors")
    #expect(FolderLayout.shardName(stem: "model", index: 12, of: 12, format: .hdf5) == "model-00012-of-00012.h5")
  }

  @Test func modelFolderPrefersTheShardIndex() throws {
    let folder = TemporaryDirectory("tensorio")
    try folder.write("config.json", #"{"model_type": "llama"}"#)
    try folder.write("model.safetensors", "x")
    try folder.write("model-00001-of-00002.safetensors", "x")
    try folder.write("model-00002-of-00002.safetensors", "x")
    try folder.write(
      "model.safetensors.index.json",
      #"{"metadata": {"total_size": 8}, "weight_map": {"b": "model-00002-of-00002.safetensors", "a": "model-00001-of-00002.safetensors"}}"#
    )
    let model = try ModelFolder(path: folder.path)
    #expect(model.config["model_type"]?.stringValue == "llama")
    #expect(model.weights.format == .safetensors)
    #expect(
      model.weights.files.map(FileSystem.lastComponent) == [
        "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
      ])
    #expect(model.weights.index?.weightMap.map(\.tensor) == ["b", "a"])
  }

  @Test func hdf5WeightsAreFoundWhenThereIsNoSafetensors() throws {
    let folder = TemporaryDirectory("tensorio")
    try folder.write("adapter_config.json", #"{"peft_type": "LORA"}"#)
    try folder.write("adapter_model.h5", "x")
    let adapter = try AdapterFolder(path: folder.path)
    #expect(adapter.weights.format == .hdf5)
    #expect(adapter.weights.files.map(FileSystem.lastComponent) == ["adapter_model.h5"])
  }

  @Test func pickleCheckpointsAreRefusedWithAClearError() throws {
    let folder = TemporaryDirectory("tensorio")
    try folder.write("adapter_config.json", "{}")
    try folder.write("adapter_model.bin", [0x80, 0x02])
    #expect(throws: LayoutError.unsupportedPickle(path: FileSystem.join(folder.path, "adapter_model.bin"))) {
      try AdapterFolder(path: folder.path)
    }
  }

  @Test func missingPiecesAreNamed() throws {
    let folder = TemporaryDirectory("tensorio")
    #expect(throws: LayoutError.missingConfig(folder: folder.path, expected: "config.json")) {
      try ModelFolder(path: folder.path)
    }
    try folder.write("config.json", "[1]")
    #expect(
      throws: LayoutError.invalidField(
        path: FileSystem.join(folder.path, "config.json"), field: "(root)", detail: "expected an object, found array")
    ) { try ModelFolder(path: folder.path) }
    try folder.write("config.json", "{}")
    #expect(throws: LayoutError.self) { try ModelFolder(path: folder.path) }
  }

  @Test func indexesCannotPointOutsideTheFolder() throws {
    let folder = TemporaryDirectory("tensorio")
    try folder.write("config.json", "{}")
    try folder.write("model.safetensors.index.json", #"{"weight_map": {"a": "../../etc/passwd"}}"#)
    #expect(
      throws: LayoutError.shardOutsideFolder(
        index: FileSystem.join(folder.path, "model.safetensors.index.json"), shard: "../../etc/passwd")
    ) { try ModelFolder(path: folder.path) }
  }

  @Test func invalidIndexJSONNamesTheFile() throws {
    let folder = TemporaryDirectory("tensorio")
    try folder.write("config.json", "{}")
    try folder.write("model.safetensors.index.json", #"{"weight_map": {"a": 1}}"#)
    #expect(
      throws: LayoutError.invalidField(
        path: FileSystem.join(folder.path, "model.safetensors.index.json"), field: "weight_map.a",
        detail: "expected a file name, found number")
    ) { try ModelFolder(path: folder.path) }
  }
}
