#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a child process could not be started or waited for.
package struct SpawnError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The call that failed: `pipe`, `posix_spawn /usr/bin/python3`, `waitpid`.
  package var step: String
  package var errno: Int32

  package init(step: String, errno: Int32) {
    self.step = step
    self.errno = errno
  }

  package var description: String { "\(step): \(FileDescriptor.message(errno))" }
}

/// A child process started with `posix_spawn` (no Foundation): each standard stream inherited,
/// sent to `/dev/null`, to a file, or to a pipe this process holds the other end of.
package final class Subprocess: @unchecked Sendable {
  /// Where one of the child's standard streams goes.
  package enum Stream: Sendable, Hashable {
    case inherit
    case null
    /// A pipe; this process holds the other end (``stdinFD`` / ``stdoutFD`` / ``stderrFD``).
    case pipe
    /// A file, truncated (outputs) or read (stdin).
    case file(String)
    /// Standard error only: wherever standard output goes.
    case standardOutput
  }

  /// How the child ended.
  package enum Termination: Hashable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// A shell's view of the status: the exit code, or 128 + the signal.
    package var shellStatus: Int32 {
      switch self {
      case .exited(let code): code
      case .signaled(let signal): 128 + signal
      }
    }

    package var description: String {
      switch self {
      case .exited(let code): "exited with status \(code)"
      case .signaled(let signal): "killed by signal \(signal)"
      }
    }
  }

  package let pid: pid_t
  /// This process's ends of the pipes asked for; -1 where the stream is not a pipe.
  package private(set) var stdinFD: Int32
  package let stdoutFD: Int32
  package let stderrFD: Int32
  /// Set once the child has been reaped.
  package private(set) var termination: Termination?
  /// The child's peak resident set size in KiB, known once it has been reaped.
  package private(set) var peakRSSKiB = 0
  /// The `errno` of a `wait4` that failed (the child cannot be reaped; ``reap(blocking:)`` gives up).
  package private(set) var waitFailure: Int32?

  /// Starts `arguments[0]` (looked up in `PATH` when it has no `/`).
  /// - Parameters:
  ///   - environment: added to (or replacing entries of) this process's environment, or, when
  ///     `inheritEnvironment` is false, the child's whole environment.
  ///   - newProcessGroup: the child leads its own group, so ``signal(_:group:)`` reaches all it starts.
  ///   - defaultSignals: the child starts with default handling of SIGPIPE, SIGXCPU, SIGINT and
  ///     SIGTERM and nothing blocked, whatever this process set.
  package init(
    _ arguments: [String], environment: [String: String] = [:], inheritEnvironment: Bool = true, stdin: Stream = .inherit,
    stdout: Stream = .inherit, stderr: Stream = .inherit, newProcessGroup: Bool = false, defaultSignals: Bool = false
  ) throws(SpawnError) {
    guard let program = arguments.first else { throw SpawnError(step: "posix_spawn (no program)", errno: EINVAL) }
    // Pipes are made close-on-exec under one lock shared by every spawn, so that a child started at
    // the same moment cannot inherit another child's pipe ends (which would hide its end of file).
    let spawned = try spawnLock.withLock { () throws(SpawnError) -> (pid_t, Int32, Int32, Int32) in
      var ours: [Int32] = [-1, -1, -1]
      var theirs: [Int32] = []
      func cleanUp() { for fd in ours + theirs where fd >= 0 { close(fd) } }
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      defer { posix_spawn_file_actions_destroy(&actions) }
      for (target, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
        switch stream {
        case .inherit: break
        case .null: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
        case .file(let path):
          let flags = target == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC
          posix_spawn_file_actions_addopen(&actions, target, path, flags, 0o644)
        case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, target)
        case .pipe:
          var ends: [Int32] = [-1, -1]
          guard pipe(&ends) == 0 else {
            let code = errno
            cleanUp()
            throw SpawnError(step: "pipe", errno: code)
          }
          for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
          let (childEnd, parentEnd) = target == 0 ? (ends[0], ends[1]) : (ends[1], ends[0])
          posix_spawn_file_actions_adddup2(&actions, childEnd, target)
          ours[Int(target)] = parentEnd
          theirs.append(childEnd)
        }
      }
      var attributes = posix_spawnattr_t()
      posix_spawnattr_init(&attributes)
      defer { posix_spawnattr_destroy(&attributes) }
      var flags: Int32 = 0
      if newProcessGroup {
        flags |= Int32(POSIX_SPAWN_SETPGROUP)
        posix_spawnattr_setpgroup(&attributes, 0)
      }
      if defaultSignals {
        var none = sigset_t()
        sigemptyset(&none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGXCPU, SIGINT, SIGTERM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        flags |= Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
      }
      posix_spawnattr_setflags(&attributes, Int16(flags))

      var child: pid_t = 0
      let status = withCStrings(arguments) { argv in
        withCStrings(Self.environment(adding: environment, inherit: inheritEnvironment)) { envp in
          program.contains("/")
            ? posix_spawn(&child, program, &actions, &attributes, argv, envp)
            : posix_spawnp(&child, program, &actions, &attributes, argv, envp)
        }
      }
      for fd in theirs { close(fd) }
      theirs = []
      guard status == 0 else {
        cleanUp()
        throw SpawnError(step: "posix_spawn \(program)", errno: status)
      }
      return (child, ours[0], ours[1], ours[2])
    }
    (pid, stdinFD, stdoutFD, stderrFD) = spawned
  }

  deinit {
    if termination == nil {
      _ = kill(pid, SIGKILL)
      _ = reap(blocking: true)
    }
  }

  /// Closes this process's end of the child's stdin (the child sees end of file).
  package func closeInput() {
    if stdinFD >= 0 {
      close(stdinFD)
      stdinFD = -1
    }
  }

  /// Sends `signal` to the child, or to its whole process group (started with `newProcessGroup`).
  package func signal(_ signal: Int32, group: Bool = false) {
    if termination == nil || group { _ = kill(group ? -pid : pid, signal) }
  }

  /// Reaps the child if it has ended (or, `blocking`, once it ends); records its peak RSS.
  /// - Returns: how it ended, or nil while it runs (or when `waitpid` fails).
  @discardableResult
  package func reap(blocking: Bool = false) -> Termination? {
    if let termination { return termination }
    if waitFailure != nil { return nil }
    var status: Int32 = 0
    var usage = rusage()
    while true {
      let result = wait4(pid, &status, blocking ? 0 : WNOHANG, &usage)
      if result < 0 && errno == EINTR { continue }
      if result < 0 { waitFailure = errno }
      guard result == pid else { return nil }
      break
    }
    peakRSSKiB = Int(usage.ru_maxrss)
    // WIFEXITED / WEXITSTATUS are macros; decode the wait status by hand.
    let signal = status & 0x7F
    let ending: Termination = signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    termination = ending
    return ending
  }

  /// Waits up to `seconds` for the child to end.
  package func wait(seconds: Double) -> Termination? {
    let deadline = Monotonic.now + seconds
    while Monotonic.now < deadline && waitFailure == nil {
      if let ending = reap() { return ending }
      usleep(10_000)
    }
    return reap()
  }

  /// This process's environment with `additions` applied, as sorted `KEY=value` strings.
  private static func environment(adding additions: [String: String], inherit: Bool) -> [String] {
    var merged: [String: String] = [:]
    var index = 0
    while inherit, let entry = environ[index] {
      let text = String(cString: entry)
      if let eq = text.firstIndex(of: "=") { merged[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
      index += 1
    }
    for (key, value) in additions { merged[key] = value }
    return merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
  }
}

/// Serializes process creation (see ``Subprocess/init(_:environment:inheritEnvironment:stdin:stdout:stderr:newProcessGroup:defaultSignals:)``).
private let spawnLock = Locked()

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
  var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
  pointers.append(nil)
  defer { for p in pointers { free(p) } }
  return body(pointers)
}
