#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import TensorIO

/// Why a child process could not be started or talked to.
public struct ChildProcessError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

/// A child process in its own process group, with pipes on stdin, stdout and stderr. Used by one
/// task at a time; every call here may block and is meant to run off the cooperative pool.
final class ChildProcess: @unchecked Sendable {
  let pid: pid_t
  private(set) var stdinFD: Int32
  let stdoutFD: Int32
  let stderrFD: Int32
  private var reaped = false
  private(set) var exitStatus: Int32?

  /// Starts `arguments[0]` (looked up in `PATH` if it has no `/`) with `arguments`, the current
  /// environment plus `environment`.
  init(arguments: [String], environment: [String: String] = [:]) throws(ChildProcessError) {
    guard let program = arguments.first else { throw ChildProcessError(message: "no command given") }
    // A write to a driver that died must fail with EPIPE, not kill the harness.
    signal(SIGPIPE, SIG_IGN)

    // Pipes are made close-on-exec under a lock shared by every spawn, so that a driver started at
    // the same moment cannot inherit another driver's pipe ends (which would hide its end of file).
    spawnLock.lock()
    defer { spawnLock.unlock() }
    var input: [Int32] = [-1, -1]
    var output: [Int32] = [-1, -1]
    var errors: [Int32] = [-1, -1]
    guard pipe(&input) == 0, pipe(&output) == 0, pipe(&errors) == 0 else {
      throw ChildProcessError(message: "pipe failed: \(String(cString: strerror(errno)))")
    }
    for fd in input + output + errors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attributes, 0)

    var merged: [String: String] = [:]
    var index = 0
    while let entry = environ[index] {
      let text = String(cString: entry)
      if let eq = text.firstIndex(of: "=") { merged[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
      index += 1
    }
    for (key, value) in environment { merged[key] = value }
    let envStrings = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }

    var child: pid_t = 0
    let status = withCStrings(arguments) { argv in
      withCStrings(envStrings) { envp in
        program.contains("/")
          ? posix_spawn(&child, program, &actions, &attributes, argv, envp)
          : posix_spawnp(&child, program, &actions, &attributes, argv, envp)
      }
    }
    close(input[0])
    close(output[1])
    close(errors[1])
    guard status == 0 else {
      close(input[1])
      close(output[0])
      close(errors[0])
      throw ChildProcessError(message: "cannot start \(program): \(String(cString: strerror(status)))")
    }
    pid = child
    stdinFD = input[1]
    stdoutFD = output[0]
    stderrFD = errors[0]
  }

  /// Writes all of `bytes` to the child's stdin.
  func write(_ bytes: [UInt8]) throws(ChildProcessError) {
    guard stdinFD >= 0 else { throw ChildProcessError(message: "stdin is closed") }
    var offset = 0
    while offset < bytes.count {
      let n = bytes.withUnsafeBytes { raw in systemWrite(stdinFD, raw.baseAddress! + offset, bytes.count - offset) }
      if n < 0 {
        if errno == EINTR { continue }
        throw ChildProcessError(message: "cannot write to the driver: \(String(cString: strerror(errno)))")
      }
      offset += n
    }
  }

  /// Closes the child's stdin (it sees end of file).
  func closeInput() {
    if stdinFD >= 0 {
      close(stdinFD)
      stdinFD = -1
    }
  }

  /// Sends `signal` to the whole process group.
  func signalGroup(_ signal: Int32) {
    if !reaped { sendSignal(-pid, signal) }
  }

  /// Reaps the child if it has exited; returns whether it has.
  @discardableResult
  func poll() -> Bool {
    if reaped { return true }
    var status: Int32 = 0
    let r = waitpid(pid, &status, WNOHANG)
    if r == pid {
      reaped = true
      exitStatus = status
      return true
    }
    return false
  }

  /// Waits up to `seconds` for the child to exit.
  func wait(seconds: Double) -> Bool {
    let deadline = Monotonic.now + seconds
    while Monotonic.now < deadline {
      if poll() { return true }
      usleep(10_000)
    }
    return poll()
  }

  /// Ends the child: waits `grace` seconds, then SIGTERM, then SIGKILL; closes the pipes.
  func terminate(grace: Double) {
    closeInput()
    if !wait(seconds: grace) {
      signalGroup(SIGTERM)
      if !wait(seconds: 1) {
        signalGroup(SIGKILL)
        _ = wait(seconds: 5)
      }
    } else {
      // The driver is gone; make sure nothing it started lingers.
      sendSignal(-pid, SIGKILL)
    }
    closeOutputs()
  }

  /// Kills the process group at once (a hung or misbehaving driver).
  func killNow() {
    closeInput()
    signalGroup(SIGKILL)
    _ = wait(seconds: 5)
    closeOutputs()
  }

  private var outputsClosed = false
  private func closeOutputs() {
    guard !outputsClosed else { return }
    outputsClosed = true
    close(stdoutFD)
    // stderr is closed by its reader when it sees end of file.
  }

  /// `exited with status 1`, `killed by signal 9`, or `running`.
  var statusDescription: String {
    guard poll(), let status = exitStatus else { return "still running" }
    let signal = status & 0x7f
    if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
    return "killed by signal \(signal)"
  }

  deinit {
    if !reaped {
      sendSignal(-pid, SIGKILL)
      var status: Int32 = 0
      waitpid(pid, &status, 0)
    }
  }
}

private func sendSignal(_ pid: pid_t, _ signal: Int32) { _ = kill(pid, signal) }

/// Serializes process creation (see ``ChildProcess/init(arguments:environment:)``).
private let spawnLock = SpawnMutex()

/// A plain pthread mutex at a fixed address (lock and unlock may happen in different scopes).
final class SpawnMutex: @unchecked Sendable {
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  init() {
    mutex = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
  }
  func lock() { pthread_mutex_lock(mutex) }
  func unlock() { pthread_mutex_unlock(mutex) }
  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
  var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
  pointers.append(nil)
  defer { for p in pointers { free(p) } }
  return body(pointers)
}

/// Seconds on a monotonic clock.
enum Monotonic {
  static var now: Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }
}
