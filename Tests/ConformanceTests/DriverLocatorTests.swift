import AdapterLoading
import Testing
import TestSupport

@testable import Conformance

/// `--loader NAME@VERSION` → the driver command and its interpreter.
@Suite("Driver locator")
struct DriverLocatorTests {
  /// A checkout with the PEFT driver script and a venv root holding the given PEFT venvs.
  static func layout(venvs: [String]) throws -> (TemporaryDirectory, DriverLocator) {
    let dir = TemporaryDirectory("locator")
    _ = try dir.write("Drivers/peft/driver.py", "")
    for venv in venvs { _ = try dir.write("venvs/\(venv)/bin/python", "") }
    let locator = DriverLocator(root: dir.path, environment: ["ADAPTEST_VENVS": dir.file("venvs")])
    return (dir, locator)
  }

  @Test func peftRunsThePEFTDriverInItsVenv() throws {
    let (dir, locator) = try Self.layout(venvs: ["peft-0.21.2"])
    let loader = try locator.loader(for: "peft@0.21.2", caseTimeout: 10, processes: 1)
    #expect(loader.command == [dir.file("venvs", "peft-0.21.2", "bin", "python"), dir.file("Drivers", "peft", "driver.py")])
    #expect(loader.requiredVersion == "0.21.2")
  }

  @Test(
    "transformers runs the PEFT driver's transformers API in the venv of the PEFT line pinned to it",
    arguments: [("5.24.0", "peft-0.21.2"), ("4.57.6", "peft-0.18.1")])
  func transformers(_ version: String, _ venv: String) throws {
    let (dir, locator) = try Self.layout(venvs: ["peft-0.21.2", "peft-0.18.1"])
    let loader = try locator.loader(for: "transformers@\(version)", caseTimeout: 10, processes: 1)
    #expect(
      loader.command == [
        dir.file("venvs", venv, "bin", "python"), dir.file("Drivers", "peft", "driver.py"), "--api", "transformers",
      ])
    // The driver names itself `transformers` with transformers' version in its hello.
    #expect(loader.requiredVersion == version)
    #expect(loader.id == "transformers@\(version)")
  }

  @Test func anUnpinnedTransformersReleaseIsRefusedWithTheKnownOnes() throws {
    let (_, locator) = try Self.layout(venvs: ["peft-0.21.2"])
    #expect(DriverLocator.transformersReleases == ["4.46.3", "4.57.6", "5.24.0"])
    do {
      _ = try locator.loader(for: "transformers@5.0.0", caseTimeout: 10, processes: 1)
      Issue.record("transformers@5.0.0 has no venv and must be refused")
    } catch {
      #expect(error.message.contains("no PEFT environment is pinned to transformers 5.0.0"))
      #expect(error.message.contains("transformers@5.24.0"))
    }
  }

  @Test("two-part names are the built-in profiles, three-part ones the drivers")
  func profilesAndDrivers() {
    #expect(BuiltinLoaders.loader(named: "transformers@5.24") != nil)
    #expect(BuiltinLoaders.loader(named: "transformers@4.57") != nil)
    #expect(BuiltinLoaders.loader(named: "transformers@5.24.0") == nil)
    #expect(BuiltinLoaders.accepted.contains("transformers@5.24"))
    #expect(BuiltinLoaders.accepted.contains("peft@0.21"))
    #expect(Set(BuiltinLoaders.accepted).count == BuiltinLoaders.accepted.count, "no name twice")
  }
}
