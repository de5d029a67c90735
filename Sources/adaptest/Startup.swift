import ArgumentParser
import HDF5Checkpoint
import SystemSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension Adaptest {
  /// The hidden command the HDF5 validator runs as: `adaptest _hdf5-validate … PATH`.
  static let hdf5ValidateCommand = "_hdf5-validate"

  /// Start-up: HDF5 files this process did not write are validated in a child process (a second
  /// copy of this executable running ``hdf5ValidateCommand``), so that a file that crashes libhdf5
  /// fails its own open instead of ending the run (docs/security.md). `check` starts reading its base on
  /// another CPU (``CheckReadAhead``). Then the usual parsing.
  static func main() async {
    HeapGrowth.padThreadHeaps()
    let arguments = CommandLine.arguments
    if arguments.count > 1 && arguments[1] == hdf5ValidateCommand {
      terminate(HDF5ValidatorProcess.main(arguments: Array(arguments.dropFirst(2))))
    }
    if let executable = currentExecutable() {
      HDF5Isolation.processDefault = .childProcess(HDF5Validator(executable: executable, arguments: [hdf5ValidateCommand]))
    }
    if arguments.count > 2 && arguments[1] == CheckCommand.configuration.commandName && CheckReadAhead.enabled {
      CheckReadAhead.start(words: Array(arguments.dropFirst(2)))
    }
    do {
      var command = try parseAsRoot()
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch {
      finish(error)
    }
  }

  /// Ends the process for `error` as ArgumentParser would, with one difference: every error line
  /// starts `error:` (ArgumentParser writes `Error:`), as the commands' own errors do.
  private static func finish(_ error: any Error) -> Never {
    let code = exitCode(for: error)
    let message = fullMessage(for: error)
    if code == .success {
      if !message.isEmpty { print(message) }
      terminate(0)
    }
    if !message.isEmpty {
      CLIFailure.printError(message.hasPrefix("Error: ") ? "error: " + message.dropFirst("Error: ".count) : message)
    }
    terminate(code.rawValue)
  }

  /// The absolute path of this executable.
  private static func currentExecutable() -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if count > 0 { return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    guard let first = CommandLine.arguments.first, first.hasPrefix("/") else { return nil }
    return first
  }
}

/// `exit(3)`, named apart from ArgumentParser's `exit(withError:)`.
private func terminate(_ status: Int32) -> Never { exit(status) }
