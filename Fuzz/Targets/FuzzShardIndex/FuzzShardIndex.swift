import FuzzSupport
import TensorIO

// The input is a `*.index.json` shard index.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzShardIndex(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  do {
    let index = try ShardIndex.decode(UnsafeRawBufferPointer(fuzzBytes(start, count)), path: "model.safetensors.index.json")
    consume(index.shards)
  } catch {
    consume("\(error)")
  }
  return 0
}
