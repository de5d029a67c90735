import SafeTensors
import TensorIO
import Testing

@Suite struct SafeTensorsShardingTests {
  static func tensor(_ name: String, bytes: Int) -> WritableTensor {
    WritableTensor(name: name, info: TensorInfo(dtype: .u8, shape: [bytes]), payload: .hole)
  }

  static func names(_ shards: [[WritableTensor]]) -> [[String]] { shards.map { $0.map(\.name) } }

  @Test func splitsBySizeLikeHuggingFaceHub() throws {
    // The example of huggingface_hub's docstring, in units of GB: [6, 6, 2, 6, 2, 2] with a
    // limit of 10 gives [6], [6+2], [6+2+2].
    let tensors = zip("abcdef", [6, 6, 2, 6, 2, 2]).map { Self.tensor(String($0), bytes: $1) }
    #expect(Self.names(try SafeTensorsSharding.split(tensors, maxShardSize: 10)) == [["a"], ["b", "c"], ["d", "e", "f"]])
    // A tensor above the limit gets a shard of its own, without closing the current one.
    let big = [Self.tensor("x", bytes: 1), Self.tensor("huge", bytes: 50), Self.tensor("y", bytes: 1)]
    #expect(Self.names(try SafeTensorsSharding.split(big, maxShardSize: 10)) == [["huge"], ["x", "y"]])
    #expect(Self.names(try SafeTensorsSharding.split([], maxShardSize: 10)) == [[]])
  }

  @Test func splitsIntoAGivenNumberOfShards() throws {
    let equal = (0..<4).map { Self.tensor("t\($0)", bytes: 50) }
    #expect(Self.names(try SafeTensorsSharding.split(equal, shardCount: 2)) == [["t0", "t1"], ["t2", "t3"]])
    let skewed = [Self.tensor("big", bytes: 90), Self.tensor("s1", bytes: 5), Self.tensor("s2", bytes: 5)]
    #expect(Self.names(try SafeTensorsSharding.split(skewed, shardCount: 3)) == [["big"], ["s1"], ["s2"]])
    #expect(Self.names(try SafeTensorsSharding.split(skewed, shardCount: 9)).count == 3)
    #expect(Self.names(try SafeTensorsSharding.split(skewed, shardCount: 1)) == [["big", "s1", "s2"]])
  }

  @Test func writesShardsAndATransformersStyleIndex() throws {
    let folder = TemporaryFolder()
    defer { folder.remove() }
    let tensors = [Self.tensor("model.b", bytes: 4), Self.tensor("model.a", bytes: 4), Self.tensor("lm_head", bytes: 8)]
    let shards = try SafeTensorsSharding.split(tensors, maxShardSize: 8)
    let written = try SafeTensorsSharding.write(shards, metadata: ["format": "pt"], to: folder.path, totalParameters: 16)
    #expect(written.files.map(FileSystem.lastComponent) == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
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
    #expect(Set(found.files) == Set(written.files))
    let second = try SafeTensorsFile(path: written.files[1])
    #expect(second.tensors.names == ["lm_head"])
    #expect(second.metadata == ["format": "pt"])
  }

  @Test func oneShardIsASingleFileWithoutIndex() throws {
    let folder = TemporaryFolder()
    defer { folder.remove() }
    let written = try SafeTensorsSharding.write([[Self.tensor("w", bytes: 3)]], metadata: [:], to: folder.path)
    #expect(written.index == nil)
    #expect(try FileSystem.contents(ofDirectory: folder.path) == ["model.safetensors"])
  }
}
