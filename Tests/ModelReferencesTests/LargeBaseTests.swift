import AdapterLoading
import Checkpoints
import Foundation
import SafeTensors
import TensorIO
import TestSupport
import Testing

@testable import ModelReferences

/// Real-size bases written sparse, checked through the Hub: only the configs, the index and each
/// shard's length and header cross the wire. Llama-3-70B: 141 GB of BF16 in 30 shards, headers
/// within the first request; Qwen3-30B-A3B: 61 GB, 18,867 tensors in 16 shards, headers longer
/// than the first request, so each takes a second range.
@Suite(.serialized) struct LargeBaseTests {
  static func spec(_ preset: String, shards: Int) -> String {
    """
    {"id": "\(preset)", "base": {"preset": "\(preset)", "mutations": [{"shard": {"files": \(shards)}}]},
     "adapter": {"tuner": "LORA", "config": {"r": 16, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"]}}}
    """
  }

  @Test(arguments: [("llama-3-70b", 30, 140_000_000_000), ("qwen3-30b-a3b", 16, 60_000_000_000)])
  func bytesFetchedAreUnderOnePercentOfTheShards(preset: String, shards: Int, atLeast: Int) async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Self.spec(preset, shards: shards), to: pair, sparse: true)
    let expected = try await RoutesTests.folderOutcome(pair, scratch)
    #expect(expected.status == .clean)

    // What a header-only read must fetch, from the files themselves: the config and index whole,
    // and of each safetensors file the probe or its 8-byte length plus header, whichever is more.
    var weightBytes = 0
    var expectedFetch = 0
    for folder in ["base", "adapter"] {
      let root = FileSystem.join(pair, folder)
      for name in try FileSystem.contents(ofDirectory: root) {
        let path = FileSystem.join(root, name)
        let size = try #require((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue)
        if name.hasSuffix(".safetensors") {
          let length = try FileSystem.readPrefix(path, count: 8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
          weightBytes += size
          expectedFetch += max(min(ModelResolver.headerProbe, size), min(8 + length, size))
        } else if name.hasSuffix(".json") {
          expectedFetch += size
        }
      }
    }
    #expect(weightBytes > atLeast)

    let hub = try await RoutesTests.hub(pair)
    let resolved: (base: ResolvedCheckpoint, adapter: ResolvedCheckpoint)
    do {
      resolved = try await RoutesTests.resolve("org/base", "org/adapter", RoutesTests.environment(scratch, endpoint: hub.endpoint))
      await hub.stop()
    } catch {
      await hub.stop()
      throw error
    }
    #expect(resolved.base.weights.files.count == shards)
    #expect(try Pairs.outcome(base: resolved.base, adapter: resolved.adapter).json == expected.json)
    let fetched = resolved.base.fetchedBytes + resolved.adapter.fetchedBytes
    #expect(fetched == expectedFetch)
    #expect(fetched == hub.bodyBytes)
    #expect(fetched * 100 < weightBytes)
    print("\(preset) through the Hub: fetched \(fetched) bytes for \(weightBytes) bytes of safetensors "
      + "(\(resolved.base.weights.tensors.count) base tensors, \(hub.log.count) requests)")
  }
}
