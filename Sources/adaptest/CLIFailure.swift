import ArgumentParser
import TensorIO

/// Turns library errors into a one-line message on stderr and a documented exit code.
enum CLIFailure {
  /// Exit code for inputs that cannot be read (shared by every subcommand).
  static let unreadableInput: Int32 = 3
  /// Exit code when a run's filter (or an empty corpus) selects no case: a CI job that runs nothing
  /// must not pass (as pytest's 5).
  static let noCaseSelected: Int32 = 6

  /// Runs `body`; any error is printed (escaped for the terminal) and exits with code 3.
  static func reading<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as ExitCode {
      throw error
    } catch {
      printError("error: \(DisplayText.terminalSafe(String(describing: error)))")
      throw ExitCode(unreadableInput)
    }
  }

  /// Prints `error` as ``reading(_:_:)`` does and returns the exit to throw (for async callers).
  static func unreadable(_ error: any Error) -> any Error {
    if error is ExitCode { return error }
    printError("error: \(DisplayText.terminalSafe(String(describing: error)))")
    return ExitCode(unreadableInput)
  }

  static func printError(_ message: String) {
    var stderr = StandardError()
    print(message, to: &stderr)
  }
}

/// `print(…, to:)` target for standard error (file descriptor 2).
struct StandardError: TextOutputStream {
  mutating func write(_ string: String) {
    var text = string
    text.withUTF8 { utf8 in _ = posixWrite(2, utf8.baseAddress, utf8.count) }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

private func posixWrite(_ fd: Int32, _ buffer: UnsafePointer<UInt8>?, _ count: Int) -> Int {
  guard let buffer else { return 0 }
  return write(fd, buffer, count)
}
