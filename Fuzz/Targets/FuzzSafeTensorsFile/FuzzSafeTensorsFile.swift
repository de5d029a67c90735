import FuzzSupport
import SafeTensors
import TensorIO

// The input is a whole safetensors file, read from memory with both read policies. Every tensor's
// bytes are read in full, so AddressSanitizer checks that each view lies inside the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensorsFile(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let storage = OwnedBytes(fuzzBytes(start, count))
  for options in [SafeTensorsReadOptions.strict, .rustCompatible] {
    do {
      let file = try SafeTensorsFile(storage: storage, path: "input.safetensors", options: options)
      var sum: UInt8 = 0
      for entry in file.tensors {
        let bytes = try file.bytes(of: entry.name)
        sum &+= bytes.withUnsafeBytes(touch)
        consume(entry.info.description)
      }
      consume(sum)
      consume(file.metadata)
    } catch {
      consume(error.description)
    }
  }
  return 0
}
