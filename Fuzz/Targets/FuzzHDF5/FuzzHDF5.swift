import FuzzSupport
import HDF5Checkpoint
import TensorIO

// The input is an HDF5 file. libhdf5 opens files by name, so each input is written to one scratch
// file per process. Opening validates the whole layout; then every tensor's bytes are read in full.
// libhdf5 itself is not instrumented: coverage guidance comes from Adaptest's reader, and crashes
// inside the library are told apart by their stack (see README.md).
let scratch = ScratchFile(suffix: ".h5")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHDF5(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  guard scratch.replaceContents(with: fuzzBytes(start, count)) else { return 0 }
  do {
    let file = try HDF5File(path: scratch.path)
    var sum: UInt8 = 0
    for entry in file.tensors {
      let bytes = try file.bytes(of: entry.name)
      sum &+= bytes.withUnsafeBytes(touch)
    }
    consume(sum)
    consume(file.metadata)
  } catch {
    consume(error.description)
  }
  return 0
}
