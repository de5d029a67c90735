import ArgumentParser
import SystemSupport
import TensorIO

/// Turns library errors into a one-line message on stderr and a documented exit code.
enum CLIFailure {
  /// Runs `body`; any error is printed (escaped for the terminal) and exits with code 3.
  static func reading<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as ExitCode {
      throw error
    } catch {
      printError("error: \(DisplayText.terminalSafe(String(describing: error)))")
      throw ExitCode(ExitStatus.invalidInput)
    }
  }

  /// Prints `error` as ``reading(_:_:)`` does and returns the exit to throw (for async callers).
  static func unreadable(_ error: any Error) -> any Error {
    if error is ExitCode { return error }
    printError("error: \(DisplayText.terminalSafe(String(describing: error)))")
    return ExitCode(ExitStatus.invalidInput)
  }

  /// Prints a message of one or more lines, each made safe for the terminal on its own (a
  /// newline inside a message is a line break, not an escaped `\u{a}`).
  static func printLines(_ message: String) {
    for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
      printError(DisplayText.terminalSafe(String(line)))
    }
  }

  static func printError(_ message: String) {
    var stderr = StandardError()
    print(message, to: &stderr)
  }
}

/// `print(…, to:)` target for standard error (file descriptor 2).
struct StandardError: TextOutputStream {
  mutating func write(_ string: String) { FileDescriptor.write(2, text: string) }
}

/// `check`'s answer on standard output, written as it is: `print` first casts its argument to find how to
/// print it, and that cast's first use scanned every protocol conformance of the executable (about as long as
/// the rest of printing the answer).
enum StandardOutput {
  static func line(_ text: String) {
    // One copy of the answer's bytes (a `--verbose` answer lists every key), its newline appended to that copy.
    var bytes = Array(text.utf8)
    bytes.append(UInt8(ascii: "\n"))
    _ = FileDescriptor.writeAll(1, bytes)
  }
}
