#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs a program with its stdout captured and a wall-clock limit; stdin and stderr are `/dev/null`.
struct ChildRun {
  /// How the child ended.
  enum Ending: Hashable, Sendable {
    case exited(Int32)
    case signaled(Int32)
    /// Killed by us: no exit within the wall-clock limit.
    case timedOut
    /// Killed by us: it wrote more than the output limit.
    case outputTooLong
  }

  var ending: Ending
  var output: [UInt8]

  /// Starts `arguments[0]` (an absolute path) and waits for it.
  /// - Returns: `nil` if the program could not be started, with `errno`-style detail in `failure`.
  static func run(_ arguments: [String], wallSeconds: Double, maxOutput: Int) -> Result<ChildRun, SpawnFailure> {
    var pipeFDs: [Int32] = [-1, -1]
    guard pipe(&pipeFDs) == 0 else { return .failure(SpawnFailure(step: "pipe", errno: errno)) }
    let (readEnd, writeEnd) = (pipeFDs[0], pipeFDs[1])
    _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addclose(&actions, writeEnd)

    // The child starts with default signal handling and nothing blocked, whatever this process set.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGPIPE, SIGXCPU, SIGINT, SIGTERM] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ)
    close(writeEnd)
    guard status == 0 else {
      close(readEnd)
      return .failure(SpawnFailure(step: "posix_spawn \(arguments[0])", errno: status))
    }
    defer { close(readEnd) }

    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: .milliseconds(Int64(wallSeconds * 1000)))
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var killedFor: Ending?
    reading: while true {
      let remaining = clock.now.duration(to: deadline)
      let milliseconds = max(0, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
      guard milliseconds > 0 else {
        killedFor = .timedOut
        break
      }
      var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, Int32(min(milliseconds, 60_000)))
      if ready < 0 && errno == EINTR { continue }
      if ready <= 0 { continue }
      let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break reading }
      output.append(contentsOf: buffer[0..<count])
      if output.count > maxOutput {
        killedFor = .outputTooLong
        break
      }
    }
    if killedFor != nil { kill(pid, SIGKILL) }

    // The child closed its stdout; it should be exiting. Give it what is left of the time.
    var waitStatus: Int32 = 0
    while true {
      let done = waitpid(pid, &waitStatus, killedFor == nil ? WNOHANG : 0)
      if done == pid { break }
      if done < 0 && errno != EINTR { return .failure(SpawnFailure(step: "waitpid", errno: errno)) }
      if done == 0 {
        if clock.now >= deadline {
          killedFor = .timedOut
          kill(pid, SIGKILL)
        } else {
          usleep(1000)
        }
      }
    }
    if let killedFor { return .success(ChildRun(ending: killedFor, output: output)) }
    let signal = waitStatus & 0x7F
    let ending: Ending = signal == 0 ? .exited((waitStatus >> 8) & 0xFF) : .signaled(signal)
    return .success(ChildRun(ending: ending, output: output))
  }
}

/// A child process that could not be started or waited for.
struct SpawnFailure: Error, Hashable, Sendable, CustomStringConvertible {
  var step: String
  var errno: Int32
  var description: String { "\(step): \(String(cString: strerror(errno)))" }
}
