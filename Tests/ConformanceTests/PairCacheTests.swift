import Checkpoints
import Synthesis
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
  static func plan(vocab: Int = 128) throws -> PairPlan {
    let json = try JSONValue.parse(
      Array(
        #"{"id": "c", "base": {"architecture": "llama", "config": {"vocab_size": \#(vocab), "hidden_size": 16, "num_hidden_layers": 1}}, "adapter": {"tuner": "LORA", "config": {"r": 2, "target_modules": ["q_proj"]}}}"#
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
}
