import FuzzSupport
import SafeTensors
import TensorIO

// The input is a safetensors *header* (the JSON after the 8-byte length): the harness writes the
// length prefix itself, so every mutation reaches the UTF-8 check, the JSON scanner, the header
// decoder and the offset validation instead of dying on a wrong length. Both read policies run.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensorsHeader(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let header = fuzzBytes(start, count)
  let storage = OwnedBytes(count: 8 + header.count) { buffer in
    for i in 0..<8 { buffer[i] = UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64(i))) }
    UnsafeMutableRawBufferPointer(rebasing: buffer[8...]).copyMemory(from: UnsafeRawBufferPointer(header))
  }
  for options in [SafeTensorsReadOptions.strict, .rustCompatible] {
    do {
      let file = try SafeTensorsFile(storage: storage, path: "header.safetensors", options: options)
      consume(file.tensors.names)
    } catch {
      consume(error.description)
    }
  }
  return 0
}
