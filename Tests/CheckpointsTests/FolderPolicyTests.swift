import Checkpoints
import Foundation
import TensorIO
import TestSupport
import Testing

/// Issue 15, folder policy: symlinks that leave a checkpoint folder are refused (and never copied by
/// `convert`), FIFOs and devices get their own error and are never opened blocking, and a file
/// where a folder is expected says so.
@Suite struct FolderPolicyTests {
  static func model(in folder: String) throws {
    try ShardedFolderTests.writeModel(in: folder, format: .safetensors, shards: 1)
  }

  @Test func symlinkedWeightsLeavingTheFolderAreRefused() throws {
    let scratch = TemporaryDirectory("checkpoints")
    try Self.model(in: scratch.file("elsewhere"))
    try FileSystem.createDirectory(scratch.file("m"))
    try AtomicFile.write(text: #"{"model_type": "llama"}"#, to: scratch.file("m/config.json"))
    #expect(symlink(scratch.file("elsewhere/model.safetensors"), scratch.file("m/model.safetensors")) == 0)
    #expect(throws: LayoutError.linkOutsideFolder(path: scratch.file("m/model.safetensors"))) {
      try ModelCheckpoint(path: scratch.file("m"), formats: .standard)
    }
    // A link that stays inside the folder is an ordinary file.
    try Self.model(in: scratch.file("n"))
    #expect(rename(scratch.file("n/model.safetensors"), scratch.file("n/real.safetensors")) == 0)
    #expect(symlink("real.safetensors", scratch.file("n/model.safetensors")) == 0)
    #expect(try ModelCheckpoint(path: scratch.file("n"), formats: .standard).weights.tensors.count == 12)
  }

  @Test func convertDoesNotCopyALinkedFileFromOutside() throws {
    let scratch = TemporaryDirectory("checkpoints")
    try Self.model(in: scratch.file("m"))
    try AtomicFile.write(text: "secret", to: scratch.file("secret.txt"))
    #expect(symlink(scratch.file("secret.txt"), scratch.file("m/notes.txt")) == 0)
    #expect(throws: LayoutError.linkOutsideFolder(path: scratch.file("m/notes.txt"))) {
      try CheckpointConversion(formats: .standard).convert(scratch.file("m"), to: scratch.file("out"), format: .hdf5)
    }
    #expect(FileSystem.kind(of: scratch.file("out")) == .missing)
  }

  @Test func fifoIsItsOwnErrorAndNeverBlocks() throws {
    let scratch = TemporaryDirectory("checkpoints")
    let fifo = scratch.file("adapter_model.safetensors")
    #expect(mkfifo(fifo, 0o600) == 0)
    let clock = ContinuousClock()
    let elapsed = try clock.measure {
      #expect(throws: LayoutError.specialFile(path: fifo, kind: "a FIFO")) {
        try OpenedCheckpoint.open(fifo, formats: .standard)
      }
      let error = try #require(throws: FileError.self) { try FileSystem.read(fifo) }
      #expect(error.description.contains("a FIFO, not a regular file"))
      #expect(throws: FileError.self) { try FileSystem.readPrefix(fifo, count: 8) }
    }
    #expect(elapsed < .seconds(10))
    #expect(throws: LayoutError.specialFile(path: "/dev/zero", kind: "a character device")) {
      try OpenedCheckpoint.open("/dev/zero", formats: .standard)
    }
    // A shard that is a FIFO.
    try FileSystem.createDirectory(scratch.file("a"))
    try AtomicFile.write(text: #"{"peft_type": "LORA"}"#, to: scratch.file("a/adapter_config.json"))
    #expect(mkfifo(scratch.file("a/adapter_model.safetensors"), 0o600) == 0)
    #expect(throws: LayoutError.specialFile(path: scratch.file("a/adapter_model.safetensors"), kind: "a FIFO")) {
      try OpenedCheckpoint.open(scratch.file("a"), formats: .standard)
    }
  }

  @Test func fileWhereAFolderIsExpected() throws {
    let scratch = TemporaryDirectory("checkpoints")
    try AtomicFile.write(text: "x", to: scratch.file("f"))
    #expect(throws: LayoutError.notAFolder(path: scratch.file("f"))) { try ModelFolder(path: scratch.file("f")) }
    #expect(throws: LayoutError.notAFolder(path: scratch.file("f"))) { try AdapterFolder(path: scratch.file("f")) }
  }
}
