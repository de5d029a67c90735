import SystemSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a child process could not be started or talked to.
public struct ChildProcessError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

/// A driver process in its own process group, with pipes on stdin, stdout and stderr. Used by one
/// task at a time; every call here may block and is meant to run off the cooperative pool.
final class ChildProcess: @unchecked Sendable {
  private let child: Subprocess
  var stdoutFD: Int32 { child.stdoutFD }
  var stderrFD: Int32 { child.stderrFD }

  /// Starts `arguments[0]` (looked up in `PATH` if it has no `/`) with `arguments`, the current
  /// environment plus `environment`.
  init(arguments: [String], environment: [String: String] = [:]) throws(ChildProcessError) {
    // A write to a driver that died must fail with EPIPE, not kill the harness.
    signal(SIGPIPE, SIG_IGN)
    do {
      child = try Subprocess(
        arguments, environment: environment, stdin: .pipe, stdout: .pipe, stderr: .pipe, newProcessGroup: true)
    } catch {
      throw ChildProcessError(message: "cannot start \(arguments.first ?? "(nothing)"): \(FileDescriptor.message(error.errno))")
    }
  }

  /// Writes all of `bytes` to the child's stdin.
  func write(_ bytes: [UInt8]) throws(ChildProcessError) {
    guard child.stdinFD >= 0 else { throw ChildProcessError(message: "stdin is closed") }
    let code = FileDescriptor.writeAll(child.stdinFD, bytes)
    if code != 0 { throw ChildProcessError(message: "cannot write to the driver: \(FileDescriptor.message(code))") }
  }

  /// Waits up to `seconds` for the child to exit; returns whether it has.
  func wait(seconds: Double) -> Bool { child.wait(seconds: seconds) != nil }

  /// Ends the child: waits `grace` seconds, then SIGTERM, then SIGKILL; closes the pipes.
  func terminate(grace: Double) {
    child.closeInput()
    if child.wait(seconds: grace) == nil {
      child.signal(SIGTERM, group: true)
      if child.wait(seconds: 1) == nil {
        child.signal(SIGKILL, group: true)
        _ = child.wait(seconds: 5)
      }
    } else {
      // The driver is gone; make sure nothing it started lingers.
      child.signal(SIGKILL, group: true)
    }
    closeOutputs()
  }

  /// Kills the process group at once (a hung or misbehaving driver).
  func killNow() {
    child.closeInput()
    child.signal(SIGKILL, group: true)
    _ = child.wait(seconds: 5)
    closeOutputs()
  }

  private var outputsClosed = false
  private func closeOutputs() {
    guard !outputsClosed else { return }
    outputsClosed = true
    close(child.stdoutFD)
    // stderr is closed by its reader when it sees end of file.
  }

  /// `exited with status 1`, `killed by signal 9`, or `still running`.
  var statusDescription: String { child.reap().map(\.description) ?? "still running" }

  deinit {
    // The group too: a driver's own children must not outlive it.
    if child.termination == nil { child.signal(SIGKILL, group: true) }
  }
}
