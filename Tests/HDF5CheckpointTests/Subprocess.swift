import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs external programs for interop tests (no Foundation).
enum Subprocess {
  struct Result {
    var status: Int32
    var output: String
    /// Peak resident set size of the child, in KiB (`wait4`'s resource usage).
    var maxRSS: Int
  }

  /// Runs `arguments` (argv[0] resolved through PATH) with stdout and stderr captured together.
  static func run(_ arguments: [String]) throws -> Result {
    let dir = TemporaryDirectory()
    let outputPath = dir.file("output.txt")
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)

    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid = pid_t()
    let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ)
    guard spawned == 0 else { throw FileError(operation: "posix_spawn", path: arguments[0], errno: spawned) }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let output = String(decoding: (try? FileSystem.read(outputPath)) ?? [], as: UTF8.self)
    // WIFEXITED / WEXITSTATUS are macros; decode the wait status by hand.
    let exited = status & 0x7F == 0
    return Result(
      status: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), output: output, maxRSS: Int(usage.ru_maxrss))
  }

  /// The interpreter named by ADAPTEST_PYTHON, if set and able to import h5py.
  static let pythonWithH5py: String? = {
    guard let value = getenv("ADAPTEST_PYTHON"), case let python = String(cString: value), !python.isEmpty else {
      return nil
    }
    guard let result = try? run([python, "-c", "import h5py, numpy"]), result.status == 0 else { return nil }
    return python
  }()
}
