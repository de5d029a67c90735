import Checkpoints
import Foundation
import Testing
import TensorIO

/// Issue 15, folder policy: symlinks that leave a checkpoint folder are refused (and never copied by
/// `convert`), FIFOs and devices get their own error and are never opened blocking, and a file
/// where a folder is expected says so.
@Suite struct FolderPolicyTests {
  static func model(in folder: String) throws {
    try ShardedFolderTests.writeModel(in: folder, format: .safetensors, shards: 1)
  }

  @Test func symlinkedWeightsLeavingTheFolderAreRefused() throws {
    let scratch = try Scratch()
    try Self.model(in: scratch.path("elsewhere"))
    try FileSystem.createDirectory(scratch.path("m"))
    try AtomicFile.write(text: #"{"model_type": "llama"}"#, to: scratch.path("m/config.json"))
    #expect(symlink(scratch.path("elsewhere/model.safetensors"), scratch.path("m/model.safetensors")) == 0)
    #expect(throws: LayoutError.linkOutsideFolder(path: scratch.path("m/model.safetensors"))) {
      try ModelCheckpoint(path: scratch.path("m"), formats: .standard)
    }
    // A link that stays inside the folder is an ordinary file.
    try Self.model(in: scratch.path("n"))
    #expect(rename(scratch.path("n/model.safetensors"), scratch.path("n/real.safetensors")) == 0)
    #expect(symlink("real.safetensors", scratch.path("n/model.safetensors")) == 0)
    #expect(try ModelCheckpoint(path: scratch.path("n"), formats: .standard).weights.tensors.count == 12)
  }

  @Test func convertDoesNotCopyALinkedFileFromOutside() throws {
    let scratch = try Scratch()
    try Self.model(in: scratch.path("m"))
    try AtomicFile.write(text: "secret", to: scratch.path("secret.txt"))
    #expect(symlink(scratch.path("secret.txt"), scratch.path("m/notes.txt")) == 0)
    #expect(throws: LayoutError.linkOutsideFolder(path: scratch.path("m/notes.txt"))) {
      try CheckpointConversion(formats: .standard).convert(scratch.path("m"), to: scratch.path("out"), format: .hdf5)
    }
    #expect(FileSystem.kind(of: scratch.path("out")) == .missing)
  }

  @Test func fifoIsItsOwnErrorAndNeverBlocks() throws {
    let scratch = try Scratch()
    let fifo = scratch.path("adapter_model.safetensors")
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
    try FileSystem.createDirectory(scratch.path("a"))
    try AtomicFile.write(text: #"{"peft_type": "LORA"}"#, to: scratch.path("a/adapter_config.json"))
    #expect(mkfifo(scratch.path("a/adapter_model.safetensors"), 0o600) == 0)
    #expect(throws: LayoutError.specialFile(path: scratch.path("a/adapter_model.safetensors"), kind: "a FIFO")) {
      try OpenedCheckpoint.open(scratch.path("a"), formats: .standard)
    }
  }

  @Test func fileWhereAFolderIsExpected() throws {
    let scratch = try Scratch()
    try AtomicFile.write(text: "x", to: scratch.path("f"))
    #expect(throws: LayoutError.notAFolder(path: scratch.path("f"))) { try ModelFolder(path: scratch.path("f")) }
    #expect(throws: LayoutError.notAFolder(path: scratch.path("f"))) { try AdapterFolder(path: scratch.path("f")) }
  }
}
