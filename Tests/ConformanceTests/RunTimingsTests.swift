import Dispatch
import SystemSupport
import TensorIO
import TestSupport
import Testing

@testable import Conformance

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a run reports of its loaders' time: wall time for every loader, and for an in-process loader the
/// CPU time of the thread that answered, which waiting for a core does not inflate.
@Suite("Run timings")
struct RunTimingsTests {
  /// An in-process loader that spends `cpu` seconds of its thread's CPU time, or sleeps `sleep` seconds,
  /// on each case.
  struct CostlyLoader: InProcessLoader {
    let id: String
    var cpu = 0.0
    var sleep = 0.0

    func start() async throws -> LoaderInfo {
      LoaderInfo(id: id, name: id, version: "1.0", capabilities: LoaderCapabilities(reports: [.missingKeys, .unexpectedKeys, .error]))
    }

    func answer(_ prepared: PreparedCase) -> LoaderAnswer {
      let started = ThreadCPUTime.now
      while ThreadCPUTime.now - started < cpu {}
      if sleep > 0 { usleep(UInt32(sleep * 1e6)) }
      return RunnerTests.clean
    }
  }

  @Test("an in-process loader's CPU time counts its work, not its waits; other loaders report wall time only")
  func cpuTimeOfInProcessLoaders() async {
    let dir = TemporaryDirectory()
    let runs = ["a", "b", "c", "d"].map { CaseRun(spec: RunnerTests.spec($0), format: .safetensors) }
    let spins = CostlyLoader(id: "spins", cpu: 0.02)
    let sleeps = CostlyLoader(id: "sleeps", sleep: 0.05)
    let scripted = ScriptedLoader(id: "scripted") { _ in RunnerTests.clean }
    let runner = ConformanceRunner(loaders: [spins, sleeps, scripted], materializer: PathMaterializer(), jobs: 2, scratch: dir.path)
    let (_, results, timings) = await runner.runTimed(runs)
    #expect(results.allSatisfy { $0.status == .pass })
    let spinsCPU = timings.loaderCPU["spins"] ?? 0
    let sleepsCPU = timings.loaderCPU["sleeps"] ?? 0
    let sleepsWall = timings.loaders["sleeps"] ?? 0
    #expect(spinsCPU >= 0.08, "4 cases × 20 ms of CPU: \(spinsCPU) s")
    #expect((timings.loaders["spins"] ?? 0) + 0.001 >= spinsCPU, "wall time includes the CPU time")
    #expect(sleepsWall >= 0.2, "4 cases × 50 ms asleep: \(sleepsWall) s")
    #expect(sleepsCPU < sleepsWall / 2, "sleeping is not CPU time: \(sleepsCPU) s of \(sleepsWall) s")
    #expect(timings.loaderCPU["scripted"] == nil)
    #expect(timings.loaders["scripted"] != nil)
  }
}
