import Checkpoints
import SafeTensors
import TensorIO
import TestSupport
import Testing

@Suite struct CheckpointShardingTests {
  static func tensor(_ name: String, bytes: Int) -> WritableTensor {
    WritableTensor(name: name, info: TensorInfo(dtype: .u8, shape: [bytes]), payload: .hole)
  }

  static func names(_ shards: [[WritableTensor]]) -> [[String]] { shards.map { $0.map(\.name) } }

  @Test func splitsBySizeLikeHuggingFaceHub() throws {
    // The example of huggingface_hub's docstring, in units of GB: [6, 6, 2, 6, 2, 2] with a
    // limit of 10 gives [6], [6+2], [6+2+2].
    let tensors = zip("abcdef", [6, 6, 2, 6, 2, 2]).map { Self.tensor(String($0), bytes: $1) }
    #expect(Self.names(try CheckpointSharding.split(tensors, maxShardSize: 10)) == [["a"], ["b", "c"], ["d", "e", "f"]])
    // A tensor above the limit gets a shard of its own, without closing the current one.
    let big = [Self.tensor("x", bytes: 1), Self.tensor("huge", bytes: 50), Self.tensor("y", bytes: 1)]
    #expect(Self.names(try CheckpointSharding.split(big, maxShardSize: 10)) == [["huge"], ["x", "y"]])
    #expect(Self.names(try CheckpointSharding.split([], maxShardSize: 10)) == [[]])
  }

  @Test func splitsIntoAGivenNumberOfShards() throws {
    let equal = (0..<4).map { Self.tensor("t\($0)", bytes: 50) }
    #expect(Self.names(try CheckpointSharding.split(equal, shardCount: 2)) == [["t0", "t1"], ["t2", "t3"]])
    let skewed = [Self.tensor("big", bytes: 90), Self.tensor("s1", bytes: 5), Self.tensor("s2", bytes: 5)]
    #expect(Self.names(try CheckpointSharding.split(skewed, shardCount: 3)) == [["big"], ["s1"], ["s2"]])
    #expect(Self.names(try CheckpointSharding.split(skewed, shardCount: 9)).count == 3)
    #expect(Self.names(try CheckpointSharding.split(skewed, shardCount: 1)) == [["big", "s1", "s2"]])
  }

  @Test func writesShardsAndATransformersStyleIndex() throws {
    let folder = TemporaryDirectory("checkpoints")
    let tensors = [Self.tensor("model.b", bytes: 4), Self.tensor("model.a", bytes: 4), Self.tensor("lm_head", bytes: 8)]
    let written = try CheckpointWriting(formats: .standard).write(
      tensors, metadata: ["format": "pt"], folder: folder.path, stem: "model", format: .safetensors,
      sharding: .maxShardSize(8), totalParameters: 16)
    #expect(
      written.map(FileSystem.lastComponent) == [
        "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json",
      ])
    let index = try String(decoding: FileSystem.read(folder.file("model.safetensors.index.json")), as: UTF8.self)
    // json.dumps(index, indent=2, sort_keys=True) + "\n", as transformers writes it.
    #expect(index == """
      {
        "metadata": {
          "total_parameters": 16,
          "total_size": 16
        },
        "weight_map": {
          "lm_head": "model-00002-of-00002.safetensors",
          "model.a": "model-00001-of-00002.safetensors",
          "model.b": "model-00001-of-00002.safetensors"
        }
      }

      """)
    let found = try FolderLayout.findWeights(in: folder.path, stem: "model", allowShards: true)
    #expect(found.files == Array(written.dropLast()))
    let second = try SafeTensorsFile(path: written[1])
    #expect(second.tensors.names == ["lm_head"])
    #expect(second.metadata == ["format": "pt"])
  }

  @Test func oneShardIsASingleFileWithoutIndex() throws {
    let folder = TemporaryDirectory("checkpoints")
    _ = try CheckpointWriting(formats: .standard).write(
      [Self.tensor("w", bytes: 3)], metadata: [:], folder: folder.path, stem: "model", format: .safetensors,
      sharding: .count(4))
    #expect(try FileSystem.contents(ofDirectory: folder.path) == ["model.safetensors"])
  }
}
