import SystemSupport
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs external programs (reference Python, the built `adaptest`, xmllint, …) for tests, with
/// stdout and stderr captured apart. Outputs go through files, so a chatty child never blocks on
/// a full pipe.
public enum ExternalCommand {
  public struct Result: Sendable {
    /// The exit status, or 128 + the signal that ended the program.
    public var status: Int32
    public var output: String
    public var errors: String
    /// Peak resident set size of the child, in KiB.
    public var peakRSSKiB: Int
    /// Wall-clock seconds from start to exit.
    public var seconds: Double
  }

  /// Runs `arguments` (argv[0] resolved through `PATH` when it has no `/`) with `environment` added
  /// to this process's (or, with `inheritEnvironment: false`, as its whole environment).
  /// - Parameters:
  ///   - directory: the working directory (default: this process's).
  ///   - input: the child's standard input (none: `/dev/null`).
  ///   - mergeErrors: send stderr into `output` too.
  public static func run(
    _ arguments: [String], environment: [String: String] = [:], inheritEnvironment: Bool = true,
    in directory: String? = nil, input: [UInt8]? = nil, mergeErrors: Bool = false
  ) throws -> Result {
    let folder = TemporaryDirectory("command")
    let (out, err) = (folder.file("stdout"), folder.file("stderr"))
    let stdin: Subprocess.Stream = try input.map { .file(try folder.write("stdin", $0)) } ?? .null
    // posix_spawn's chdir action is not in every libc's Swift overlay: a shell changes directory.
    let command = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0] + arguments } ?? arguments
    let started = Monotonic.now
    let child = try Subprocess(
      command, environment: environment, inheritEnvironment: inheritEnvironment, stdin: stdin, stdout: .file(out),
      stderr: mergeErrors ? .standardOutput : .file(err))
    let termination = child.reap(blocking: true)
    func text(_ path: String) -> String { String(decoding: (try? FileSystem.read(path)) ?? [], as: UTF8.self) }
    return Result(
      status: termination?.shellStatus ?? -1, output: text(out), errors: mergeErrors ? "" : text(err),
      peakRSSKiB: child.peakRSSKiB, seconds: Monotonic.now - started)
  }

  /// The `adaptest` executable built next to the running test binary (`swift build` builds it
  /// before the tests), or nil when it is not there.
  public static let adaptest: String? = builtExecutable("adaptest")

  /// An executable of this package built next to the running test binary, or nil when it is not there.
  public static func builtExecutable(_ name: String) -> String? {
    guard let test = CommandLine.arguments.first, let slash = test.lastIndex(of: "/") else { return nil }
    var folder = String(test[..<slash])
    // On Linux the test binary is `.build/debug/AdaptestPackageTests.xctest`; elsewhere it may sit
    // inside a bundle folder.
    for _ in 0..<4 {
      let candidate = folder + "/" + name
      if access(candidate, X_OK) == 0, FileSystem.kind(of: candidate) == .file { return candidate }
      guard let up = folder.lastIndex(of: "/") else { break }
      folder = String(folder[..<up])
    }
    return nil
  }

  /// A variable of this process's environment, nil when unset or empty.
  public static func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    let text = String(cString: value)
    return text.isEmpty ? nil : text
  }
}

/// The Python interpreter named by `ADAPTEST_PYTHON` (the driver's venv: torch, transformers,
/// PEFT, safetensors, h5py). Tests that need it are skipped, saying so, when it is not set.
public enum ReferencePython {
  public static let path: String? = ExternalCommand.environment("ADAPTEST_PYTHON")

  public static let skipReason = "set ADAPTEST_PYTHON to the driver venv's python to run this test"

  /// Runs `script` with `arguments`, offline (no Hub access); returns its standard output.
  /// - Throws: ``Failure`` when the interpreter is not set or the script fails.
  public static func run(_ script: String, _ arguments: [String] = []) throws -> String {
    let result = try runAllowingFailure(script, arguments)
    guard result.status == 0 else { throw Failure(message: "\(script) exited with \(result.status): \(result.errors)") }
    return result.output
  }

  /// As ``run(_:_:)``, returning the status and both outputs whatever the status.
  public static func runAllowingFailure(_ script: String, _ arguments: [String] = []) throws -> ExternalCommand.Result {
    guard let path else { throw Failure(message: "ADAPTEST_PYTHON is not set") }
    return try ExternalCommand.run(
      [path, script] + arguments, environment: ["HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"])
  }

  /// Runs a table recorder of `scripts/recorders` with `--check` against the committed generated file
  /// `Sources/<table>`: status 0 when they are equal, else its report on standard error.
  public static func checkGeneratedTable(recorder: String, table: String) throws -> ExternalCommand.Result {
    try runAllowingFailure(
      "\(Repository.scripts)/recorders/\(recorder)", ["--check", "--out", "\(Repository.root)/Sources/\(table)"])
  }

  public struct Failure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
  }
}
