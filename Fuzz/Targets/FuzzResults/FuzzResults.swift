import Conformance
import FuzzSupport

// The input is a `results.json` (someone else's run, as `adaptest report render`, `merge` and
// `diff` read it). A decoded run is rendered in every report format, diffed with itself, and must
// read back unchanged after being written again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResults(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  do {
    let run = try ResultsFile.decode(Array(fuzzBytes(start, count)))
    let diff = ResultsDiff.compare(old: run, new: run)
    consume(SummaryReport.render(run, diff: diff))
    consume(JUnitReport.render(run))
    consume(HTMLReport.render(run, diff: diff))
    // What `report merge` writes must read back as the same run.
    let encoded = ResultsFile.encode(run)
    guard let again = try? ResultsFile.decode(Array(encoded.utf8)), again == run else {
      fatalError("results.json does not round-trip")
    }
  } catch {
    consume(error.description)
  }
  return 0
}
