import FuzzSupport
import SafeTensors
import TensorIO

// The input is a whole safetensors file, read from memory with both read policies. Every tensor's
// bytes are read in full, so AddressSanitizer checks that each view lies inside the file. A file
// the strict reader accepts must also survive a round trip through the writer: written again and
// read back, it holds the same tensors, bytes and metadata (a failed round trip traps, which
// libFuzzer reports like a crash).
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
      if options == .strict { roundTrip(file) }
    } catch {
      consume(error.description)
    }
  }
  return 0
}

func roundTrip(_ file: SafeTensorsFile) {
  do {
    let tensors = try file.tensors.map { entry in
      WritableTensor(name: entry.name, info: entry.info, payload: .bytes(try file.bytes(of: entry.name)))
    }
    let written = try SafeTensorsWriter.serialize(tensors, metadata: file.declaredMetadata)
    let again = try SafeTensorsFile(storage: OwnedBytes(written), path: "again.safetensors")
    guard again.declaredMetadata == file.declaredMetadata, again.tensors.count == file.tensors.count else {
      fatalError("round trip changed the metadata or the tensor count")
    }
    for entry in file.tensors {
      guard let other = again.tensors[entry.name], other.info == entry.info,
        try again.bytes(of: entry.name).array == file.bytes(of: entry.name).array
      else { fatalError("round trip changed tensor '\(entry.name)'") }
    }
  } catch {
    fatalError("a file the strict reader accepts does not round-trip: \(error)")
  }
}
