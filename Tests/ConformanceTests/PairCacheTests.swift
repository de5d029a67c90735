import Checkpoints
import HDF5Checkpoint
import Synthesis
import SystemSupport
import TensorIO
import TestSupport
import Testing

@testable import Conformance

#if canImport(Glibc)
  import Glibc
#endif

/// The pair cache: a second build of the same pair writes nothing, another pair or seed gets its
/// own entry, and older builds' entries go.
@Suite("Pair cache")
struct PairCacheTests {
  static func plan(vocab: Int = 128, rank: Int = 2) throws -> PairPlan {
    let json = try JSONValue.parse(
      Array(
        #"{"id": "c", "base": {"architecture": "llama", "config": {"vocab_size": \#(vocab), "hidden_size": 16, "num_hidden_layers": 1}}, "adapter": {"tuner": "LORA", "config": {"r": \#(rank), "target_modules": ["q_proj"]}}}"#
          .utf8))
    return try PairPlan(try PairSpec.decode(json))
  }

  static func modified(_ path: String) -> Int {
    var info = stat()
    guard stat(path, &info) == 0 else { return -1 }
    return Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
  }

  @Test("the same pair twice is written once; another seed or recipe is another entry")
  func reuse() throws {
    let root = TemporaryDirectory("pair-cache")
    let cache = PairCache(root: root.path)
    let writer = PairWriter(formats: .standard)
    let first = try cache.pair(for: try Self.plan(), format: .safetensors, seed: 0, writer: writer)
    let weights = FileSystem.join(first, "adapter", "adapter_model.safetensors")
    let written = Self.modified(weights)
    #expect(written > 0)
    let again = try cache.pair(for: try Self.plan(), format: .safetensors, seed: 0, writer: writer)
    #expect(again == first)
    #expect(Self.modified(weights) == written, "reused, not rewritten")
    let otherSeed = try cache.pair(for: try Self.plan(), format: .safetensors, seed: 1, writer: writer)
    let otherRecipe = try cache.pair(for: try Self.plan(vocab: 160), format: .safetensors, seed: 0, writer: writer)
    let otherFormat = try cache.pair(for: try Self.plan(), format: .hdf5, seed: 0, writer: writer)
    #expect(Set([first, otherSeed, otherRecipe, otherFormat]).count == 4)
    // The cached bytes are the bytes a fresh write gives.
    let fresh = root.file("fresh")
    try writer.write(try Self.plan(), to: fresh, format: .safetensors, seed: 0)
    #expect(try FileSystem.read(weights) == FileSystem.read(FileSystem.join(fresh, "adapter", "adapter_model.safetensors")))
  }

  @Test("a case edited to another adapter config gets another entry, with the edited pair's bytes")
  func editedRecipe() throws {
    let root = TemporaryDirectory("pair-cache")
    let cache = PairCache(root: root.path)
    let writer = PairWriter(formats: .standard)
    let before = try cache.pair(for: try Self.plan(rank: 2), format: .safetensors, seed: 0, writer: writer)
    // Same id, same tensor count and outcome: only the shapes and the config differ.
    let after = try cache.pair(for: try Self.plan(rank: 4), format: .safetensors, seed: 0, writer: writer)
    #expect(before != after)
    let fresh = root.file("fresh")
    try writer.write(try Self.plan(rank: 4), to: fresh, format: .safetensors, seed: 0)
    for file in ["adapter/adapter_model.safetensors", "adapter/adapter_config.json"] {
      #expect(try FileSystem.read(FileSystem.join(after, file)) == FileSystem.read(FileSystem.join(fresh, file)), "\(file)")
    }
  }

  /// Values a plain concatenation of their texts would confuse: a key's bytes tell them apart.
  @Test(arguments: [
    (#"["ab", "c"]"#, #"["a", "bc"]"#),
    (#"["1"]"#, #"[1]"#),
    (#"{"a": ["b"]}"#, #"[["a", ["b"]]]"#),
    (#"[[], []]"#, #"[[[]]]"#),
    (#"[null]"#, #"[false]"#),
    (#"["é"]"#, #"["e\u0301"]"#),
  ])
  func keyBytesTellRecipesApart(first: String, second: String) throws {
    let a = try JSONValue.parse(Array(first.utf8))
    let b = try JSONValue.parse(Array(second.utf8))
    #expect(PairCache.keyBytes(a) != PairCache.keyBytes(b))
    #expect(PairCache.keyBytes(a) == PairCache.keyBytes(try JSONValue.parse(Array(first.utf8))), "the same recipe, the same key")
  }

  @Test("opening the cache keeps this build's entries and the newest other build's, removes the rest")
  func pruning() throws {
    let root = TemporaryDirectory("pair-cache")
    let cache = PairCache(root: root.path)
    _ = try cache.pair(for: try Self.plan(), format: .safetensors, seed: 0, writer: PairWriter(formats: .standard))
    try root.write("old-build/x/case.json", "{}")
    try root.write("newer-build/x/case.json", "{}")
    var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
    #expect(utimensat(AT_FDCWD, root.file("old-build"), &times, 0) == 0)
    cache.pruneOtherBuilds()
    let left = try FileSystem.contents(ofDirectory: root.path)
    #expect(left.contains(FileSystem.lastComponent(cache.folder)))
    #expect(left.contains("newer-build"))
    #expect(!left.contains("old-build"))
  }

  @Test("pruned folders are moved aside at once and removed in the background, with those an earlier process left")
  func prunedFoldersGoInTheBackground() throws {
    let root = TemporaryDirectory("pair-cache")
    let cache = PairCache(root: root.path)
    try FileSystem.createDirectory(cache.folder)
    for i in 0..<200 { try root.write("old-build/\(i)/case.json", "{}") }
    try root.write("newer-build/x/case.json", "{}")
    try root.write(".pruning-older-build-1/x/case.json", "{}")
    var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
    #expect(utimensat(AT_FDCWD, root.file("old-build"), &times, 0) == 0)
    cache.pruneOtherBuilds()
    #expect(!(try FileSystem.contents(ofDirectory: root.path)).contains("old-build"), "gone from its place at once")
    for _ in 0..<500 where try FileSystem.contents(ofDirectory: root.path).contains(where: { $0.hasPrefix(".pruning-") }) {
      usleep(20_000)
    }
    #expect(try FileSystem.contents(ofDirectory: root.path).sorted() == [FileSystem.lastComponent(cache.folder), "newer-build"].sorted())
  }

  @Test("a build's folder in use by a running process is not pruned by another build")
  func inUseFolderIsKept() throws {
    let root = TemporaryDirectory("pair-cache")
    try root.write("running-build/x/case.json", "{}")
    try root.write("running-build/.in-use", "")
    try root.write("newest-build/x/case.json", "{}")
    try root.write("idle-build/x/case.json", "{}")
    var old = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
    #expect(utimensat(AT_FDCWD, root.file("running-build"), &old, 0) == 0)
    #expect(utimensat(AT_FDCWD, root.file("idle-build"), &old, 0) == 0)
    // Another process holds the running build, as `adaptest run` does while it runs.
    let holder = try Subprocess(
      ["/usr/bin/flock", "--shared", root.file("running-build/.in-use"), "sleep", "30"], stdout: .null, stderr: .null,
      newProcessGroup: true)
    defer {
      holder.signal(SIGKILL, group: true)
      _ = holder.wait(seconds: 10)
    }
    for _ in 0..<500 where !flockHeld(root.file("running-build/.in-use")) { usleep(20_000) }
    #expect(flockHeld(root.file("running-build/.in-use")), "the holder took its lock")
    PairCache(root: root.path).pruneOtherBuilds()
    let left = try FileSystem.contents(ofDirectory: root.path)
    #expect(left.contains("running-build"), "held by a running process")
    #expect(left.contains("newest-build"))
    #expect(!left.contains("idle-build"))
  }

  @Test("markInUse holds the folder: a prune from another process skips it")
  func markInUseHolds() throws {
    let root = TemporaryDirectory("pair-cache")
    let cache = PairCache(root: root.path)
    cache.markInUse()
    #expect(flockHeld(FileSystem.join(cache.folder, PairCache.inUseFile)))
  }

  /// Whether another open file description holds a lock on `path` (an exclusive try fails).
  private func flockHeld(_ path: String) -> Bool {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    return flock(descriptor, LOCK_EX | LOCK_NB) != 0
  }

  @Test("an HDF5 entry lists its files' identities; a later run trusts them only while unchanged")
  func hdf5EntriesKeepTheirTrust() throws {
    let root = TemporaryDirectory("pair-cache")
    let cache = PairCache(root: root.path)
    let entry = try cache.pair(for: try Self.plan(), format: .hdf5, seed: 0, writer: PairWriter(formats: .standard))
    let listed = try String(decoding: FileSystem.read(FileSystem.join(entry, PairCache.writtenFilesList)), as: UTF8.self)
    let lines = listed.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
    #expect(lines.map { $0[0] }.sorted() == ["adapter/adapter_model.h5", "base/model.h5"], "\(listed)")
    for line in lines { #expect(HDF5WrittenFiles.trust(FileSystem.join(entry, line[0]), token: line[1])) }
    // A file changed since it was written (here: its status-change time) is no longer the writer's.
    let base = FileSystem.join(entry, "base/model.h5")
    let token = try #require(lines.first { $0[0] == "base/model.h5" }?[1])
    #expect(chmod(base, 0o600) == 0)
    #expect(!HDF5WrittenFiles.trust(base, token: token))
    #expect(HDF5WrittenFiles.token(for: base) == nil)
  }
}
