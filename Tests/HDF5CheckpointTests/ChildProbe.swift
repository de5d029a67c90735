import TensorIO
import TestSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs ``HDF5MutationProbe/probeFiles()`` in a child copy of this test binary, so that a crash or
/// endless loop inside libhdf5 ends only the child. Restarts after each crash until every file is done.
enum ChildProbe {
  /// How one input ended.
  enum Outcome: Hashable, CustomStringConvertible {
    /// The probe finished it: `ok`, `open:<error code>` or `read:<error code>`.
    case finished(String)
    /// The child died of this signal while on it.
    case signal(Int32)
    /// The child made no progress on it for the stall timeout and was killed.
    case hang

    var description: String {
      switch self {
      case .finished(let text): text
      case .signal(let number): "signal \(number)"
      case .hang: "hang"
      }
    }
  }

  /// This test binary, when it can be run directly (a `swift test` build on Linux).
  static let testBinary: String? = {
    guard let path = CommandLine.arguments.first, path.hasSuffix(".xctest"), access(path, X_OK) == 0,
      FileSystem.kind(of: path) == .file
    else { return nil }
    return path
  }()

  /// Probes every path; returns each one's outcome.
  static func probe(_ paths: [String], stallSeconds: Double = 3) throws -> [String: Outcome] {
    let binary = try requireBinary()
    let dir = TemporaryDirectory()
    var outcomes: [String: Outcome] = [:]
    var pending = paths[...]
    while !pending.isEmpty {
      let listPath = dir.file("list.txt")
      let logPath = dir.file("log.txt")
      try AtomicFile.write(text: pending.joined(separator: "\n") + "\n", to: listPath)
      unlink(logPath)
      let ending = try runChild(binary, list: listPath, log: logPath, stallSeconds: stallSeconds)
      var unfinished: String?
      let log = String(decoding: (try? FileSystem.read(logPath)) ?? [], as: UTF8.self)
      for line in log.split(separator: "\n") {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        if fields.count == 2 && fields[0] == "start" { unfinished = fields[1] }
        if fields.count == 3 && fields[0] == "end" {
          outcomes[fields[1]] = .finished(fields[2])
          unfinished = nil
        }
      }
      guard let unfinished, let position = pending.firstIndex(of: unfinished) else {
        // Finished everything, or died before starting: do not loop forever.
        for path in pending where outcomes[path] == nil { outcomes[path] = ending ?? .finished("not run") }
        break
      }
      outcomes[unfinished] = ending ?? .finished("not run")
      pending = pending[(position + 1)...]
    }
    return outcomes
  }

  private static func requireBinary() throws -> String {
    guard let binary = testBinary else { throw FileError(operation: "find test binary", path: "", errno: ENOENT) }
    return binary
  }

  /// Runs one child; returns how it ended if it did not exit normally.
  private static func runChild(_ binary: String, list: String, log: String, stallSeconds: Double) throws -> Outcome? {
    let arguments = [binary, "--testing-library", "swift-testing", "--filter", "HDF5MutationProbe/probeFiles"]
    var environment = [String]()
    var index = 0
    while let entry = environ[index] {
      let text = String(cString: entry)
      if !text.hasPrefix("ADAPTEST_HDF5_PROBE_") && !text.hasPrefix("SWIFT_BACKTRACE=") { environment.append(text) }
      index += 1
    }
    // No backtracer: a crash should end the child at once.
    environment += ["ADAPTEST_HDF5_PROBE_LIST=\(list)", "ADAPTEST_HDF5_PROBE_LOG=\(log)", "SWIFT_BACKTRACE=enable=no"]

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
    defer {
      for pointer in argv { free(pointer) }
      for pointer in envp { free(pointer) }
    }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, binary, &actions, nil, &argv, &envp)
    guard spawned == 0 else { throw FileError(operation: "posix_spawn", path: binary, errno: spawned) }

    var lastSize = -1
    var lastProgress = monotonicSeconds()
    var status: Int32 = 0
    while true {
      let done = waitpid(pid, &status, WNOHANG)
      if done == pid { break }
      if done < 0 && errno != EINTR { throw FileError(operation: "waitpid", path: binary, errno: errno) }
      var info = stat()
      let size = stat(log, &info) == 0 ? Int(info.st_size) : 0
      if size != lastSize {
        lastSize = size
        lastProgress = monotonicSeconds()
      } else if monotonicSeconds() - lastProgress > stallSeconds {
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return .hang
      }
      usleep(10_000)
    }
    let signal = status & 0x7F
    return signal != 0 ? .signal(signal) : nil
  }

  private static func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
  }
}
