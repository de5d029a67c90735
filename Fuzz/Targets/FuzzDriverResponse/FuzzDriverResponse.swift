import Conformance
import FuzzSupport
import TensorIO

// The input is one line a driver wrote on its stdout (docs/driver-protocol.md): a JSON object whose
// `outcome` member is decoded as the runner decodes a load response.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDriverResponse(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  guard let message = try? JSONValue.parse(UnsafeRawBufferPointer(fuzzBytes(start, count))),
    let outcome = message["outcome"]
  else { return 0 }
  do {
    let observed = try OutcomeJSON.decodeObserved(outcome)
    consume(observed)
  } catch {
    consume(error.description)
  }
  return 0
}
