import AdapterLoading
import SystemSupport
import TensorIO
import TestSupport
import Testing

@testable import Conformance

/// A test double of the driver *protocol* (not of PEFT): a small Python script whose behaviour
/// depends on the case id, so each failure mode of a real driver can be provoked.
enum FakeDriver {
  static let script = #"""
    import json, os, sys, time
    out = sys.stdout
    sys.stdout = sys.stderr
    mode = os.environ.get("FAKE_MODE", "")
    version = os.environ.get("FAKE_VERSION", "1.2.3")
    if mode == "exit-at-start":
        print("cannot import torch", file=sys.stderr)
        sys.exit(7)
    def send(message):
        out.write(json.dumps(message) + "\n")
        out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        kind = request["type"]
        if kind == "hello":
            if mode == "refuse":
                send({"type": "error", "message": "protocol 1 not supported"})
                sys.exit(1)
            if mode == "silent":
                time.sleep(30)
            send({"type": "hello", "protocol": 1, "name": "fake", "version": version,
                  "versions": {"python": "3", "fake": version},
                  "capabilities": {"formats": ["safetensors"], "tuners": ["LORA"],
                                   "reports": ["missing_keys", "unexpected_keys", "error", "error_type", "warnings"]}})
        elif kind == "load":
            case = request["id"].split("[")[0]
            pid = {"category": "UserWarning", "message": "pid %d" % os.getpid()}
            echo = {"category": "Echo", "message": json.dumps(request, sort_keys=True)}
            if case == "garbage":
                out.write("this is not json\n"); out.flush()
            elif case == "crash":
                print("Traceback (most recent call last):\n  boom", file=sys.stderr)
                sys.stderr.flush()
                os._exit(3)
            elif case == "hang":
                time.sleep(100)
            elif case == "wrong-id":
                send({"type": "result", "id": "other", "outcome": {"missing_keys": [], "unexpected_keys": [], "error": None}})
            elif case == "huge":
                send({"type": "result", "id": request["id"], "outcome": {"missing_keys": ["k" * 5000], "unexpected_keys": [], "error": None}})
            elif case == "driver-error":
                send({"type": "error", "id": request["id"], "message": "could not set up adapter 'default'"})
            elif case == "size-mismatch":
                send({"type": "result", "id": request["id"], "elapsed_ms": 1.5, "outcome": {
                    "missing_keys": [], "unexpected_keys": [],
                    "error": {"kind": "size-mismatch", "type": "RuntimeError", "message": "size mismatch for x", "format_error": None},
                    "warnings": [pid]}})
            else:
                if case.startswith("p"):
                    time.sleep(0.1)  # keep several cases in flight at once
                keys = ["k"] if case == "missing" else []
                send({"type": "result", "id": request["id"], "outcome": {
                    "missing_keys": keys, "unexpected_keys": [], "error": None, "warnings": [pid, echo]}})
        elif kind == "shutdown":
            break
    """#

  /// `python3` from `PATH`.
  static let python: String? = {
    let path = DriverLocator.processEnvironment()["PATH"] ?? "/usr/bin:/bin"
    for folder in path.split(separator: ":") {
      let candidate = FileSystem.join(String(folder), "python3")
      if FileSystem.isFile(candidate) { return candidate }
    }
    return nil
  }()

  static func loader(
    _ dir: TemporaryDirectory, mode: String = "", version: String = "1.2.3", required: String? = nil,
    caseTimeout: Double = 5, processes: Int = 1, maxLineBytes: Int = 4096
  ) throws -> ExternalLoader {
    let path = try dir.write("driver.py", script)
    return ExternalLoader(
      id: "fake", command: [python ?? "python3", path], environment: ["FAKE_MODE": mode, "FAKE_VERSION": version],
      requiredVersion: required, handshakeTimeout: 5, caseTimeout: caseTimeout, processes: processes,
      maxLineBytes: maxLineBytes)
  }

  static func prepared(_ id: String, loaded: [PreparedCase.LoadedFolder] = []) -> PreparedCase {
    let spec = RunnerTests.spec(id)
    return PreparedCase(run: CaseRun(spec: spec, format: .safetensors), base: "/b/\(id)", adapter: "/a/\(id)", loaded: loaded)
  }
}

@Suite("External loader (driver protocol)", .enabled(if: FakeDriver.python != nil, "needs python3"))
struct ExternalLoaderTests {
  func outcome(_ answer: LoaderAnswer) -> ObservedOutcome? {
    if case .outcome(let o) = answer { return o }
    return nil
  }

  func pid(_ answer: LoaderAnswer) -> String? {
    outcome(answer)?.warnings.first { $0.message.hasPrefix("pid ") }?.message
  }

  @Test func handshakeAndRequests() async throws {
    let dir = TemporaryDirectory()
    let loader = try FakeDriver.loader(dir)
    let info = try await loader.start()
    #expect(info.id == "fake")
    #expect(info.name == "fake" && info.version == "1.2.3")
    #expect(info.versions == ["python": "3", "fake": "1.2.3"])
    #expect(info.capabilities.formats == [.safetensors])
    #expect(info.capabilities.tuners == ["LORA"])
    #expect(info.capabilities.reports.contains(.errorType))

    let loaded = [PreparedCase.LoadedFolder(name: "default", path: "/l/default")]
    let answer = try await loader.run(FakeDriver.prepared("plain", loaded: loaded))
    let echo = try #require(outcome(answer)?.warnings.first { $0.category == "Echo" }?.message)
    let request = try JSONValue.parse(echo)
    #expect(request["type"] == .string("load"))
    #expect(request["id"] == .string("plain[safetensors]"))
    #expect(request["base"] == .string("/b/plain") && request["adapter"] == .string("/a/plain"))
    #expect(request["adapter_name"] == .string("default"))
    #expect(request["loaded"] == .array([.object(JSONObject([("name", .string("default")), ("path", .string("/l/default"))]))]))
    #expect(request["ignore_mismatched_sizes"] == .bool(false))
    #expect(request["method"] == .string("from_pretrained"))
    #expect(request["base_model_name_or_path"] == nil, "only sent when a case names another base than its own")
    #expect(info.capabilities.methods == LoadCall.peftCalls, "a driver that does not declare its methods offers protocol 1's")

    #expect(outcome(try await loader.run(FakeDriver.prepared("missing")))?.missingKeys == ["k"])
    let failed = try #require(outcome(try await loader.run(FakeDriver.prepared("size-mismatch"))))
    #expect(failed.error == LoadError(kind: .sizeMismatch, type: "RuntimeError", message: "size mismatch for x"))
    await loader.shutdown()
  }

  @Test func misbehavingDriversAreReplacedAndOnlyTheirCaseSuffers() async throws {
    let dir = TemporaryDirectory()
    let loader = try FakeDriver.loader(dir, caseTimeout: 1)
    _ = try await loader.start()
    let first = pid(try await loader.run(FakeDriver.prepared("plain")))
    #expect(first != nil)

    guard case .failed(let garbage) = try await loader.run(FakeDriver.prepared("garbage")) else {
      Issue.record("garbage should fail the case")
      return
    }
    #expect(garbage.contains("not a JSON line") && garbage.contains("this is not json"))
    let second = pid(try await loader.run(FakeDriver.prepared("plain")))
    #expect(second != nil && second != first, "a new driver after garbage")

    guard case .failed(let crash) = try await loader.run(FakeDriver.prepared("crash")) else {
      Issue.record("a crash should fail the case")
      return
    }
    #expect(crash.contains("exited with status 3"), "\(crash)")
    #expect(crash.contains("Traceback (most recent call last):"), "the stderr tail is in the message")
    let third = pid(try await loader.run(FakeDriver.prepared("plain")))
    #expect(third != nil && third != second)

    let started = Monotonic.now
    guard case .timedOut(let hang) = try await loader.run(FakeDriver.prepared("hang")) else {
      Issue.record("a hung driver should time out")
      return
    }
    // The case's 1 s, not the 60 s default; the margin absorbs stopping the driver on a loaded machine.
    #expect(Monotonic.now - started < 30, "the timeout is the case timeout")
    #expect(hang.contains("no answer within 1 s"))
    let fourth = pid(try await loader.run(FakeDriver.prepared("plain")))
    #expect(fourth != nil && fourth != third)

    guard case .failed(let wrongID) = try await loader.run(FakeDriver.prepared("wrong-id")) else {
      Issue.record("an answer for another case should fail")
      return
    }
    #expect(wrongID.contains("answers \"other\""))

    guard case .failed(let huge) = try await loader.run(FakeDriver.prepared("huge")) else {
      Issue.record("an over-long line should fail")
      return
    }
    #expect(huge.contains("longer than 4096 bytes"))

    guard case .failed(let driverError) = try await loader.run(FakeDriver.prepared("driver-error")) else {
      Issue.record("a driver error should fail the case")
      return
    }
    #expect(driverError.contains("could not set up adapter 'default'"))
    let fifth = pid(try await loader.run(FakeDriver.prepared("plain")))
    #expect(fifth != nil, "a driver-side error keeps the driver")
    await loader.shutdown()
  }

  @Test(arguments: [
    ("exit-at-start", "closed its output before sending hello (exited with status 7)"),
    ("refuse", "the driver refused: protocol 1 not supported"),
  ])
  func handshakeFailuresSayWhy(_ mode: String, _ message: String) async throws {
    let dir = TemporaryDirectory()
    let loader = try FakeDriver.loader(dir, mode: mode)
    do {
      _ = try await loader.start()
      Issue.record("start should fail")
    } catch {
      #expect("\(error)".contains(message), "\(error)")
      if mode == "exit-at-start" { #expect("\(error)".contains("cannot import torch"), "stderr tail") }
    }
  }

  @Test func aSilentDriverTimesOutItsHandshake() async throws {
    let dir = TemporaryDirectory()
    let path = try dir.write("driver.py", FakeDriver.script)
    let loader = ExternalLoader(
      id: "fake", command: [FakeDriver.python ?? "python3", path], environment: ["FAKE_MODE": "silent"],
      handshakeTimeout: 0.5)
    await #expect(throws: ChildProcessError.self) { _ = try await loader.start() }
  }

  @Test func theWrongVersionIsRefused() async throws {
    let dir = TemporaryDirectory()
    let loader = try FakeDriver.loader(dir, version: "0.13.2", required: "0.21.2")
    do {
      _ = try await loader.start()
      Issue.record("start should fail")
    } catch {
      #expect("\(error)".contains("reports fake 0.13.2, but 0.21.2 was asked for"))
    }
  }

  @Test func severalDriversServeTheRunnerInParallel() async throws {
    let dir = TemporaryDirectory()
    let loader = try FakeDriver.loader(dir, processes: 2)
    let specs = (0..<12).map { RunnerTests.spec("p\($0)") } + [RunnerTests.spec("crash"), RunnerTests.spec("missing")]
    let runner = ConformanceRunner(loaders: [loader], materializer: PathMaterializer(), jobs: 4, scratch: dir.file("scratch"))
    let (infos, results) = await runner.run(RunPlan.runs(specs))
    #expect(infos.first?.id == "fake")
    let status = Dictionary(uniqueKeysWithValues: results.map { ($0.id, $0.status) })
    #expect(status["crash"] == .error)
    #expect(status["missing"] == .fail)
    #expect(results.filter { $0.id.hasPrefix("p") }.allSatisfy { $0.status == .pass })
    let pids = Set(results.compactMap { $0.actual?["warnings"]?.arrayValue?.first?["message"]?.stringValue })
    #expect(pids.count >= 2, "more than one driver process served cases: \(pids)")
  }
}
