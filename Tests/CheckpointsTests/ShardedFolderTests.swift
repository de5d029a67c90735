import Checkpoints
import TensorIO
import TestSupport
import Testing

@Suite struct ShardedFolderTests {
  /// Twelve small tensors with distinct byte patterns.
  static func tensors() -> [WritableTensor] {
    (0..<12).map { i in
      let info = TensorInfo(dtype: i % 3 == 0 ? .bf16 : .f32, shape: [i + 1, 3])
      let count = (try? info.byteCount()) ?? 0
      let bytes = OwnedBytes(count: count) { buffer in
        for j in 0..<count { buffer[j] = UInt8(truncatingIfNeeded: i * 31 + j) }
      }
      return WritableTensor(name: "model.layers.\(i).mlp.weight", info: info, payload: .bytes(TensorBytes(bytes)))
    }
  }

  static func writeModel(in folder: String, format: CheckpointFormat, shards: Int) throws {
    try FileSystem.createDirectory(folder)
    try AtomicFile.write(text: #"{"model_type": "llama"}"#, to: FileSystem.join(folder, "config.json"))
    try CheckpointWriting(formats: .standard).write(
      tensors(), metadata: ["format": "pt"], folder: folder, stem: "model", format: format, sharding: .count(shards))
  }

  @Test(arguments: CheckpointFormat.allCases)
  func shardedModelReadsBackAsOneTable(format: CheckpointFormat) throws {
    let scratch = TemporaryDirectory("checkpoints")
    try Self.writeModel(in: scratch.file("m"), format: format, shards: 3)
    let model = try ModelCheckpoint(path: scratch.file("m"), formats: .standard)
    #expect(model.weights.files.count == 3)
    #expect(Set(model.weights.tensors.names) == Set(Self.tensors().map(\.name)))
    for tensor in Self.tensors() {
      guard case .bytes(let expected) = tensor.payload else { continue }
      #expect(try model.weights.bytes(of: tensor.name).array == expected.array)
      #expect(model.weights.tensors[tensor.name]?.info == tensor.info)
    }
  }

  @Test func shardedFolderConvertsThroughHDF5ByteIdentically() throws {
    let scratch = TemporaryDirectory("checkpoints")
    try Self.writeModel(in: scratch.file("a"), format: .safetensors, shards: 4)
    let conversion = CheckpointConversion(formats: .standard)
    _ = try conversion.convert(scratch.file("a"), to: scratch.file("b"), format: .hdf5)
    _ = try conversion.convert(scratch.file("b"), to: scratch.file("c"), format: .safetensors)
    let names = try FileSystem.contents(ofDirectory: scratch.file("a"))
    #expect(try FileSystem.contents(ofDirectory: scratch.file("c")) == names)
    #expect(names.contains("model.safetensors.index.json"))
    for name in names {
      #expect(try FileSystem.read(scratch.file("c/\(name)")) == FileSystem.read(scratch.file("a/\(name)")), "\(name)")
    }
  }

  @Test func conversionNeverOverwritesUnlessAsked() throws {
    let scratch = TemporaryDirectory("checkpoints")
    try Self.writeModel(in: scratch.file("a"), format: .safetensors, shards: 1)
    try FileSystem.createDirectory(scratch.file("b"))
    let conversion = CheckpointConversion(formats: .standard)
    #expect(throws: CheckpointError.destinationExists(path: scratch.file("b"))) {
      try conversion.convert(scratch.file("a"), to: scratch.file("b"), format: .hdf5)
    }
    _ = try conversion.convert(scratch.file("a"), to: scratch.file("b"), format: .hdf5, overwrite: true)
    #expect(FileSystem.isFile(scratch.file("b/model.h5")))
  }

  /// Issue 15: two shards with the same file name in different subfolders overwrote each other in
  /// the converted folder (exit 0, and an index naming tensors the surviving file did not hold).
  @Test func shardsInSubfoldersKeepTheirPaths() throws {
    let scratch = TemporaryDirectory("checkpoints")
    let folder = scratch.file("m")
    try FileSystem.createDirectory(folder)
    try AtomicFile.write(text: #"{"model_type": "llama"}"#, to: FileSystem.join(folder, "config.json"))
    let all = Self.tensors()
    var map = JSONObject()
    for (k, part) in [Array(all[0..<6]), Array(all[6...])].enumerated() {
      let name = "part\(k)/model.safetensors"
      try FileSystem.createDirectory(FileSystem.join(folder, "part\(k)"))
      try CheckpointWriting(formats: .standard).write(
        part, metadata: ["format": "pt"], folder: FileSystem.join(folder, "part\(k)"), stem: "model", format: .safetensors,
        sharding: .single)
      for t in part { map[t.name] = .string(name) }
    }
    let index = JSONValue.object(JSONObject([("metadata", .object(JSONObject())), ("weight_map", .object(map))]))
    try AtomicFile.write(text: JSONWriter.pythonSorted.string(index), to: FileSystem.join(folder, "model.safetensors.index.json"))
    let conversion = CheckpointConversion(formats: .standard)
    _ = try conversion.convert(folder, to: scratch.file("h"), format: .hdf5)
    #expect(FileSystem.isFile(scratch.file("h/part0/model.h5")) && FileSystem.isFile(scratch.file("h/part1/model.h5")))
    _ = try conversion.convert(scratch.file("h"), to: scratch.file("s"), format: .safetensors)
    let back = try ModelCheckpoint(path: scratch.file("s"), formats: .standard)
    #expect(Set(back.weights.tensors.names) == Set(all.map(\.name)))
    for tensor in all {
      guard case .bytes(let expected) = tensor.payload else { continue }
      #expect(try back.weights.bytes(of: tensor.name).array == expected.array)
    }
  }

  /// Issue 15: `--overwrite` removed the old output before the new one was in place. Now the old
  /// folder is renamed aside, the new one renamed in, and only then the old one removed: nothing of
  /// the old folder remains, nothing is left beside it, and a failed conversion leaves it untouched.
  @Test func overwriteSwitchesFoldersWithoutLosingEither() throws {
    let scratch = TemporaryDirectory("checkpoints")
    try Self.writeModel(in: scratch.file("a"), format: .safetensors, shards: 2)
    try FileSystem.createDirectory(scratch.file("out/old-sub"))
    try AtomicFile.write(text: "old", to: scratch.file("out/old-sub/stale.txt"))
    let conversion = CheckpointConversion(formats: .standard)
    try AtomicFile.write(text: "not a checkpoint", to: scratch.file("bad.safetensors"))
    #expect(throws: (any Error).self) {
      try conversion.convert(scratch.file("bad.safetensors"), to: scratch.file("out"), format: .hdf5, overwrite: true)
    }
    #expect(FileSystem.isFile(scratch.file("out/old-sub/stale.txt")))
    _ = try conversion.convert(scratch.file("a"), to: scratch.file("out"), format: .hdf5, overwrite: true)
    #expect(FileSystem.kind(of: scratch.file("out/old-sub")) == .missing)
    #expect(FileSystem.isFile(scratch.file("out/model.h5.index.json")))
    #expect(try FileSystem.contents(ofDirectory: scratch.path).sorted() == ["a", "bad.safetensors", "out"])
  }

  @Test func indexThatDisagreesWithItsShardsIsRejected() throws {
    let scratch = TemporaryDirectory("checkpoints")
    let folder = scratch.file("m")
    try Self.writeModel(in: folder, format: .safetensors, shards: 2)
    let indexPath = FileSystem.join(folder, "model.safetensors.index.json")
    let original = try readJSON(path: indexPath)
    var root = try #require(original.objectValue)
    var map = try #require(root["weight_map"]?.objectValue)
    let first = try #require(map.keys.first)
    let otherShard = map[first]?.stringValue == "model-00001-of-00002.safetensors"
      ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors"
    map[first] = .string(otherShard)
    root["weight_map"] = .object(map)
    try AtomicFile.write(text: JSONWriter.pythonSorted.string(.object(root)), to: indexPath)
    #expect(throws: LayoutError.tensorMissingFromShard(index: indexPath, tensor: first, shard: otherShard)) {
      try ModelCheckpoint(path: folder, formats: .standard)
    }
    map[first] = nil
    root["weight_map"] = .object(map)
    try AtomicFile.write(text: JSONWriter.pythonSorted.string(.object(root)), to: indexPath)
    #expect(throws: LayoutError.self) { try ModelCheckpoint(path: folder, formats: .standard) }
  }

  @Test func pickleCheckpointGetsAConvertFirstError() throws {
    let scratch = TemporaryDirectory("checkpoints")
    try AtomicFile.write([0x50, 0x4B, 0x03, 0x04, 0, 0], to: scratch.file("adapter_model.safetensors"))
    #expect(throws: LayoutError.unsupportedPickle(path: scratch.file("adapter_model.safetensors"))) {
      try OpenedCheckpoint.open(scratch.file("adapter_model.safetensors"), formats: .standard)
    }
  }
}
