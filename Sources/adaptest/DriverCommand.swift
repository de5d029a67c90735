import ArgumentParser
import Conformance
import SystemSupport
import TensorIO

struct DriverCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "driver",
    abstract: "Manage the environments of external loaders (real PEFT).",
    subcommands: [Setup.self])

  struct Setup: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "setup",
      abstract: "Create (or reuse) the cached Python venv for a loader version, e.g. peft==0.21.2.",
      discussion: """
        Runs Drivers/NAME/setup-venv.sh VERSION: CPU torch where the torch==2.13.0+cpu pin resolves \
        (plain torch otherwise), the PEFT version and a transformers release it works with. The venv \
        is cached under ${XDG_CACHE_HOME:-~/.cache}/adaptest/venvs and reused; `adaptest run --loader \
        peft@VERSION` finds it there. transformers==VERSION (5.24.0, 4.57.6) sets up the venv of the PEFT \
        release pinned to that transformers, which `--loader transformers@VERSION` uses.
        """)

    @Argument(help: "NAME==VERSION, e.g. peft==0.21.2.")
    var requirement: String

    @Option(help: "The repository folder holding Drivers/.")
    var root = "."

    func run() throws {
      let parts = requirement.split(separator: "=", omittingEmptySubsequences: true).map(String.init)
      guard requirement.contains("=="), parts.count == 2 else {
        throw ValidationError("expected NAME==VERSION, e.g. peft==0.21.2")
      }
      let environment: (driver: String, version: String, arguments: [String])
      do {
        environment = try DriverLocator.environment(name: parts[0], version: parts[1])
      } catch {
        throw ValidationError(error.message)
      }
      let script = "\(root)/Drivers/\(environment.driver)/setup-venv.sh"
      guard FileSystem.isFile(script) else {
        throw ValidationError("no driver named '\(parts[0])': \(script) does not exist")
      }
      let setup: Subprocess
      do {
        setup = try Subprocess([script, environment.version])
      } catch {
        CLIFailure.printError("error: cannot run \(DisplayText.terminalSafe(script)): \(error)")
        throw ExitCode(ExitStatus.invalidInput)
      }
      let status = setup.reap(blocking: true)?.shellStatus ?? 1
      guard status == 0 else { throw ExitCode(status) }
    }
  }
}
