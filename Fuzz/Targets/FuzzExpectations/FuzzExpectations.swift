import Conformance
import FuzzSupport

// The input is a loader expectation file (`Corpus/expectations/<loader>.yaml`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExpectations(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let (expectations, diagnostics) = LoaderExpectationsDecoder.decode(
    fuzzText(start, count), file: "expectations/peft.yaml", loader: "peft", caseIDs: ["vocab/resized", "keys/missing"])
  consume(expectations)
  consume(diagnostics.map(\.description))
  return 0
}
