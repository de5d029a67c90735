import AdapterLoading
import Synthesis
import TensorIO
import TestSupport
import Testing

@testable import Conformance

/// The real PEFT driver (Drivers/peft) behind ``ExternalLoader``, on folders real PEFT wrote (the
/// AdapterLoading ground truth), compared with what PEFT returned when they were recorded. Runs
/// where `ADAPTEST_PYTHON` names a Python with PEFT (scripts/test sets it up).
enum RealDriver {
  static let python: String? = DriverLocator.processEnvironment()["ADAPTEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
  static let script = Repository.root + "/Drivers/peft/driver.py"
  static let groundTruth = Repository.root + "/Tests/AdapterLoadingTests/Fixtures/peft-ground-truth"
  static var available: Bool { python.map(FileSystem.isFile) == true && FileSystem.isFile(script) }

  /// A prepared case from a recorded ground-truth case, loaded with `load_adapter`.
  static func prepared(_ name: String) throws -> (PreparedCase, JSONValue) {
    let recorded = try JSONValue.parse(try FileSystem.read(groundTruth + "/cases/\(name).json"))
    let load = try #require(recorded["load"])
    let loaded = (load["loaded"]?.arrayValue ?? []).compactMap { entry -> PreparedCase.LoadedFolder? in
      guard let name = entry["name"]?.stringValue, let path = entry["adapter"]?.stringValue else { return nil }
      return PreparedCase.LoadedFolder(name: name, path: groundTruth + "/" + path)
    }
    let setup = LoadSetup(
      adapterName: load["adapter_name"]?.stringValue ?? "default", loadedAdapters: loaded.map(\.name),
      ignoreMismatchedSizes: load["ignore_mismatched_sizes"]?.boolValue ?? false, call: .loadAdapter)
    let spec = CaseSpec(
      id: name, subject: .folders(architecture: "llama", tuner: "LORA", load: setup),
      expect: ExpectedOutcome(error: ErrorExpectation.none))
    let prepared = PreparedCase(
      run: CaseRun(spec: spec, format: .safetensors),
      base: groundTruth + "/" + (recorded["base"]?.stringValue ?? ""),
      adapter: groundTruth + "/" + (recorded["adapter"]?.stringValue ?? ""), loaded: loaded)
    return (prepared, try #require(recorded["load_adapter"]))
  }
}

@Suite("Real PEFT driver", .enabled(if: RealDriver.available, "needs ADAPTEST_PYTHON with PEFT"))
struct RealDriverTests {
  /// One driver process (importing torch takes seconds) answers several recorded cases.
  @Test func answersAsRecorded() async throws {
    let loader = ExternalLoader(
      id: "peft", command: [RealDriver.python ?? "python3", RealDriver.script], handshakeTimeout: 180, caseTimeout: 120)
    let info = try await loader.start()
    #expect(info.name == "peft")
    #expect(info.capabilities.formats.contains(.safetensors))
    #expect(info.capabilities.tuners?.contains("LORA") == true)
    for name in ["roundtrip--lora-r4", "mutated--lora-r4--drop-lora-b", "mutated--lora-r4--extra-keys"] {
      let (prepared, recorded) = try RealDriver.prepared(name)
      let answer = try await loader.run(prepared)
      guard case .outcome(let outcome) = answer else {
        Issue.record("\(name): no outcome: \(answer)")
        continue
      }
      #expect(outcome.error == nil, "\(name)")
      #expect(outcome.missingKeys == recorded["missing_keys"]?.arrayValue?.compactMap(\.stringValue), "\(name)")
      #expect(outcome.unexpectedKeys == recorded["unexpected_keys"]?.arrayValue?.compactMap(\.stringValue), "\(name)")
    }
    await loader.shutdown()
  }
}

@Suite("Real transformers driver: from_pretrained on an adapter folder", .enabled(if: RealDriver.available, "needs ADAPTEST_PYTHON with PEFT"))
struct RealTransformersDriverTests {
  static let releases = Repository.root + "/Tests/AdapterLoadingTests/Fixtures/transformers-releases"

  static func prepared(_ name: String, reference: BaseReference = .base) throws -> (PreparedCase, JSONValue) {
    let recorded = try JSONValue.parse(try FileSystem.read(RealDriver.groundTruth + "/cases/\(name).json"))
    var setup = LoadSetup(call: .autoFromPretrained)
    setup.baseReference = reference
    let spec = CaseSpec(
      id: name, subject: .folders(architecture: "llama", tuner: "LORA", load: setup),
      expect: ExpectedOutcome(error: ErrorExpectation.none))
    let prepared = PreparedCase(
      run: CaseRun(spec: spec, format: .safetensors),
      base: RealDriver.groundTruth + "/" + (recorded["base"]?.stringValue ?? ""),
      adapter: RealDriver.groundTruth + "/" + (recorded["adapter"]?.stringValue ?? ""))
    return (prepared, recorded)
  }

  /// The driver's answers against what the same transformers release recorded for the same call.
  @Test func answersAsRecordedAndNamesTheBaseItCannotFind() async throws {
    let loader = ExternalLoader(
      id: "transformers", command: [RealDriver.python ?? "python3", RealDriver.script, "--api", "transformers"],
      handshakeTimeout: 180, caseTimeout: 120)
    let info = try await loader.start()
    #expect(info.name == "transformers")
    #expect(info.capabilities.methods.contains(.autoFromPretrained))
    let recordings = Self.releases + "/\(info.version)/cases"
    for name in ["roundtrip--lora-r4", "mutated--lora-r4--drop-lora-b", "mutated--lora-r4--extra-keys"] {
      let (prepared, _) = try Self.prepared(name)
      let recorded = try JSONValue.parse(try FileSystem.read(recordings + "/\(name).json"))["auto_from_pretrained"]
      guard case .outcome(let outcome) = try await loader.run(prepared) else {
        Issue.record("\(name): no outcome")
        continue
      }
      #expect(outcome.error == nil, "\(name)")
      #expect(outcome.missingKeys == recorded?["missing_keys"]?.arrayValue?.compactMap(\.stringValue), "\(name)")
      #expect(outcome.unexpectedKeys == recorded?["unexpected_keys"]?.arrayValue?.compactMap(\.stringValue), "\(name)")
    }
    let expected: [(BaseReference, ErrorKind, String)] = [
      (.absent, .invalidAdapterConfig, "KeyError"), (.null, .baseNotFound, "OSError"),
      (.named("example-org/base-model-not-cached"), .baseNotFound, "OSError"),
    ]
    for (reference, kind, type) in expected {
      let (prepared, _) = try Self.prepared("roundtrip--lora-r4", reference: reference)
      guard case .outcome(let outcome) = try await loader.run(prepared) else {
        Issue.record("\(reference): no outcome")
        continue
      }
      #expect(outcome.error?.kind == kind && outcome.error?.type == type, "\(reference)")
    }
    await loader.shutdown()
  }
}
