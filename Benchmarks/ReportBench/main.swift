// report-bench: how long writing a run's reports takes as the run grows.
//
//   report-bench RESULTS.json [--results N] [--rounds R] [--out DIR]
//
// Reads a real run's results.json, makes runs of N/4, N/2 and N results from it (its results
// repeated, each copy's ids suffixed so every key stays unique) and times ReportWriter.write, which
// renders and writes all four formats (summary.md, junit.xml, index.html, results.json), once per
// round; prints the median wall and CPU time per size and the time per result, whose constancy
// across the sizes is what "linear" means.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import Conformance
import Foundation
import TensorIO

func now(_ clock: clockid_t = CLOCK_MONOTONIC) -> Double {
  var ts = timespec()
  clock_gettime(clock, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func fail(_ message: String) -> Never {
  let line = Array("report-bench: \(message)\n".utf8)
  _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
  exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String, default value: Int) -> Int {
  guard let index = arguments.firstIndex(of: name) else { return value }
  guard index + 1 < arguments.count, let number = Int(arguments[index + 1]), number > 0 else {
    fail("\(name) needs a positive number")
  }
  arguments.removeSubrange(index...(index + 1))
  return number
}
@MainActor func stringOption(_ name: String) -> String? {
  guard let index = arguments.firstIndex(of: name) else { return nil }
  guard index + 1 < arguments.count else { fail("\(name) needs a value") }
  defer { arguments.removeSubrange(index...(index + 1)) }
  return arguments[index + 1]
}

let total = option("--results", default: 100_000)
let rounds = option("--rounds", default: 3)
let outRoot = stringOption("--out") ?? "/tmp"
guard arguments.count == 1 else { fail("usage: report-bench RESULTS.json [--results N] [--rounds R] [--out DIR]") }

let source: RunResults
do { source = try ReportWriter.read(arguments[0]) } catch { fail("\(error)") }
guard !source.results.isEmpty else { fail("\(arguments[0]) holds no results") }

/// `count` results: the source's, repeated with `#k` appended to the ids of the k-th copy.
@MainActor func scaled(_ count: Int) -> RunResults {
  var results: [CaseResult] = []
  results.reserveCapacity(count)
  var copy = 0
  while results.count < count {
    for var result in source.results where results.count < count {
      if copy > 0 { result.id += "#\(copy)" }
      results.append(result)
    }
    copy += 1
  }
  return RunResults(info: source.info, results: results)
}

let folder = FileSystem.join(outRoot, "report-bench-\(getpid())")
print("report-bench: \(source.results.count) results read from \(arguments[0]); \(rounds) rounds")
print("| results | wall (median) | CPU (median) | CPU per result |")
print("|---:|---:|---:|---:|")
for count in [total / 4, total / 2, total] {
  let run = scaled(count)
  var walls: [Double] = []
  var cpus: [Double] = []
  for _ in 0..<rounds {
    let (wallStart, cpuStart) = (now(), now(CLOCK_PROCESS_CPUTIME_ID))
    do { try ReportWriter.write(run, to: folder) } catch { fail("\(error)") }
    cpus.append(now(CLOCK_PROCESS_CPUTIME_ID) - cpuStart)
    walls.append(now() - wallStart)
  }
  let wall = walls.sorted()[rounds / 2]
  let cpu = cpus.sorted()[rounds / 2]
  let perResult = cpu / Double(count) * 1e6
  print("| \(count) | \(String(format: "%.2f", wall)) s | \(String(format: "%.2f", cpu)) s | \(String(format: "%.1f", perResult)) µs |")
}
try? FileSystem.removeTree(folder)
