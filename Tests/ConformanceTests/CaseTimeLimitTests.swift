import Dispatch
import SystemSupport
import TensorIO
import TestSupport
import Testing

@testable import Conformance

/// The per-case time limit: a loader that never answers a case costs that case a TIMEOUT, not the run.
@Suite("Per-case time limit")
struct CaseTimeLimitTests {
  /// Never answers `hang`; answers every other case at once.
  static func loader() -> ScriptedLoader {
    ScriptedLoader(id: "sometimes-hangs") { run in
      if run.spec.id == "hang" {
        // Suspends for good without holding a thread, like a driver that stopped talking.
        await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
      }
      return RunnerTests.clean
    }
  }

  @Test("a case whose loader never answers is TIMEOUT; the other cases run")
  func hungCase() async throws {
    let dir = TemporaryDirectory()
    let runs = ["before", "hang", "after"].map { CaseRun(spec: RunnerTests.spec($0), format: .safetensors) }
    // A limit generous enough that the answering cases meet it even while the other suites of this
    // process keep the cooperative pool busy (seen: 8 s was not enough on a loaded 2-core machine).
    let runner = ConformanceRunner(
      loaders: [Self.loader()], materializer: PathMaterializer(), jobs: 1, scratch: dir.path, caseTimeLimit: 90)
    let (_, results) = await runner.run(runs)
    let status = Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0.status) })
    #expect(status == ["before": .pass, "hang": .timeout, "after": .pass])
    let message = try #require(results.first { $0.id == "hang" }?.message)
    #expect(message.contains("per-case limit of 90 s"), "\(message)")
  }

  /// An in-process loader that blocks its thread on the cases in `blocksOn` until released, counts its
  /// calls, and notes whether each answer was made on a job thread.
  struct BlockingLoader: InProcessLoader {
    let id: String
    let blocksOn: Set<String>
    let release = DispatchSemaphore(value: 0)
    let calls = Locked([String: Int]())
    let onJobThread = Locked([String: Bool]())

    init(id: String, blocksOn: Set<String> = []) {
      self.id = id
      self.blocksOn = blocksOn
    }

    func start() async throws -> LoaderInfo {
      LoaderInfo(id: id, name: id, version: "1.0", capabilities: LoaderCapabilities(reports: [.missingKeys, .unexpectedKeys, .error]))
    }

    func answer(_ prepared: PreparedCase) -> LoaderAnswer {
      calls.withLock { $0[prepared.run.spec.id, default: 0] += 1 }
      onJobThread.withLock { $0[prepared.run.spec.id] = JobThread.isCurrent }
      if blocksOn.contains(prepared.run.spec.id) { release.wait() }
      return RunnerTests.clean
    }
  }

  @Test("an in-process loader that blocks a case is TIMEOUT; the loaders after it answer it on another thread, once")
  func hungInProcessLoader() async throws {
    let dir = TemporaryDirectory()
    let first = BlockingLoader(id: "blocks", blocksOn: ["hang"])
    let second = BlockingLoader(id: "after")
    let runs = ["before", "hang", "later"].map { CaseRun(spec: RunnerTests.spec($0), format: .safetensors) }
    // Shorter than the deadlines thread's idle sleep (its wake-up must be brought forward), long enough
    // for the answering cases on a loaded machine: they never wait for the cooperative pool.
    let runner = ConformanceRunner(
      loaders: [first, second], materializer: PathMaterializer(), jobs: 1, scratch: dir.path, caseTimeLimit: 10)
    // The blocked thread is released only after the run: a runner that waited for it would never end, so
    // it is released anyway after 600 s, and the case then passes instead of timing out.
    let safety = Task.detached {
      try? await Task.sleep(for: .seconds(600))
      first.release.signal()
    }
    let started = Monotonic.now
    let (_, results) = await runner.run(runs)
    let elapsed = Monotonic.now - started
    safety.cancel()
    let status = Dictionary(uniqueKeysWithValues: results.map { ("\($0.loader) \($0.id)", $0.status) })
    #expect(
      status == [
        "blocks before": .pass, "blocks hang": .timeout, "blocks later": .pass,
        "after before": .pass, "after hang": .pass, "after later": .pass,
      ])
    // The limit was waited for. (No upper bound: with every suite of the process on two cores, this run's
    // tasks wait for the cooperative pool for minutes.)
    #expect(elapsed >= 10, "\(elapsed) s")
    let message = try #require(results.first { $0.loader == "blocks" && $0.id == "hang" }?.message)
    #expect(message.contains("per-case limit of 10 s"), "\(message)")
    // The blocked thread, once released, runs nothing more of the case it was abandoned on.
    first.release.signal()
    try await Task.sleep(for: .milliseconds(300))
    #expect(second.calls.value == ["before": 1, "hang": 1, "later": 1])
    #expect(first.calls.value == ["before": 1, "hang": 1, "later": 1])
  }

  @Test("loaders that never return, more of them than jobs and cores, cost their cases a TIMEOUT each, not the run")
  func moreHungLoadersThanJobs() async throws {
    let dir = TemporaryDirectory()
    // Four cases hang the first loader; on `twice` the second hangs too, on the job that took the case over.
    let first = BlockingLoader(id: "blocks", blocksOn: ["h1", "h2", "h3", "twice"])
    let second = BlockingLoader(id: "after", blocksOn: ["twice"])
    let ids = ["a", "h1", "b", "h2", "c", "h3", "d", "twice", "e"]
    let runs = ids.map { CaseRun(spec: RunnerTests.spec($0), format: .safetensors) }
    let runner = ConformanceRunner(
      loaders: [first, second], materializer: PathMaterializer(), jobs: 2, scratch: dir.path, caseTimeLimit: 3)
    let safety = Task.detached {
      try? await Task.sleep(for: .seconds(600))
      for _ in 0..<8 { first.release.signal(); second.release.signal() }
    }
    let (_, results) = await runner.run(runs)
    safety.cancel()
    let status = Dictionary(uniqueKeysWithValues: results.map { ("\($0.loader) \($0.id)", $0.status) })
    var expected: [String: CaseStatus] = [:]
    for id in ids {
      expected["blocks \(id)"] = first.blocksOn.contains(id) ? .timeout : .pass
      expected["after \(id)"] = second.blocksOn.contains(id) ? .timeout : .pass
    }
    #expect(status == expected)
    // Each loader was asked each case once, on a job thread: no case was handed to a thread of its own.
    #expect(first.calls.value == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
    #expect(second.calls.value == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
    #expect(first.onJobThread.value.values.allSatisfy { $0 } && second.onJobThread.value.values.allSatisfy { $0 })
    for _ in 0..<8 { first.release.signal(); second.release.signal() }
  }

  @Test("an in-process loader asked outside a run answers on a thread of its own, not on the caller's")
  func inProcessLoaderOutsideARun() async throws {
    let loader = BlockingLoader(id: "plain")
    let prepared = PreparedCase(run: CaseRun(spec: RunnerTests.spec("x"), format: .safetensors), base: "", adapter: "")
    let answer = try await loader.run(prepared)
    #expect(answer == RunnerTests.clean)
    #expect(loader.onJobThread.value == ["x": false])
  }

  @Test("work given its own thread does not wait for the cooperative pool, however much of it blocks")
  func ownThread() async {
    // Eight jobs that block until all eight have started: more than the pool (as wide as the
    // machine) could ever run at once.
    let count = 8
    let started = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<count {
        group.addTask {
          await onOwnThread {
            started.signal()
            _ = release.wait(timeout: .now() + 600)
          }
        }
      }
      let allStarted = await onOwnThread { (0..<count).allSatisfy { _ in started.wait(timeout: .now() + 300) == .success } }
      for _ in 0..<count { release.signal() }
      #expect(allStarted)
    }
  }
}
