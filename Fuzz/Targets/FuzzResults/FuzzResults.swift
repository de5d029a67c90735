import Conformance
import FuzzSupport

// The input is a `results.json` (someone else's run, as `adaptest report render`, `merge` and
// `diff` read it). A decoded run is rendered in every report format and diffed with itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResults(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  do {
    let run = try ResultsFile.decode(Array(fuzzBytes(start, count)))
    let diff = ResultsDiff.compare(old: run, new: run)
    consume(SummaryReport.render(run, diff: diff))
    consume(JUnitReport.render(run))
    consume(HTMLReport.render(run, diff: diff))
    consume(ResultsFile.encode(run))
  } catch {
    consume(error.description)
  }
  return 0
}
