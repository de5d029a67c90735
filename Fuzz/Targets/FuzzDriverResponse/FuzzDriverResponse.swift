import Conformance
import FuzzSupport
import TensorIO

// The input is one line a driver wrote on its stdout (docs/driver-protocol.md), decoded as the
// runner decodes it: parsed as JSON, then read as a `hello` and as the response to a `load`
// request (with the id it names, so that the outcome is decoded too).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDriverResponse(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let line = fuzzBytes(start, count)
  // The runner's line reader gives lines without their newline, at most maxLineBytes long.
  guard line.count <= DriverMessages.maxLineBytes, !line.contains(UInt8(ascii: "\n")) else { return 0 }
  let message: JSONValue
  do {
    message = try JSONValue.parse(UnsafeRawBufferPointer(line))
  } catch {
    consume(error.description)
    return 0
  }
  do {
    consume(try DriverMessages.decodeHello(message))
  } catch {
    consume(error.description)
  }
  do {
    switch try DriverMessages.decodeResponse(message, id: message["id"]?.stringValue ?? "") {
    case .result(let outcome): consume(OutcomeJSON.encode(outcome, reports: Set(OutcomeField.allCases)))
    case .error(let text): consume(text)
    }
  } catch {
    consume(error.description)
  }
  return 0
}
