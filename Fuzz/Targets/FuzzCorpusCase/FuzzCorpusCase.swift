import Conformance
import FuzzSupport

// The input is a corpus case file (YAML), decoded and linted as `adaptest corpus lint` does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCorpusCase(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let (spec, diagnostics) = CaseDecoder().decode(fuzzText(start, count), file: "cases/fuzz/case.yaml", expectedID: "fuzz/case")
  consume(spec)
  consume(diagnostics.map(\.description))
  return 0
}
