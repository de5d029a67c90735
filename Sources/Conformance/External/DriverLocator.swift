#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import AdapterLoading
import TensorIO

/// Turns a `--loader` value that names a driver into an ``ExternalLoader``:
/// `peft@0.21.2` runs `Drivers/peft/driver.py` with the Python of a PEFT 0.21.2 environment;
/// `transformers@5.24.0` runs the same driver with `--api transformers` (transformers' own `load_adapter`) in
/// the environment of the PEFT release pinned to that transformers (``PEFTRelease/transformersVersion``);
/// `cmd:PROGRAM ARGS…` runs any driver.
public struct DriverLocator: Sendable {
  /// The repository folder holding `Drivers/`.
  public var root: String
  /// The environment to look interpreters up in.
  public var environment: [String: String]

  public init(root: String = ".", environment: [String: String] = DriverLocator.processEnvironment()) {
    self.root = root
    self.environment = environment
  }

  /// Why a driver cannot be found.
  public struct LocatorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
  }

  /// Whether a `--loader` value names a driver rather than a built-in profile.
  public static func isDriver(_ spec: String) -> Bool { spec.hasPrefix("cmd:") || spec.contains("@") }

  /// The loader for `spec`.
  public func loader(
    for spec: String, caseTimeout: Double, processes: Int
  ) throws(LocatorError) -> ExternalLoader {
    if spec.hasPrefix("cmd:") {
      let command = spec.dropFirst(4).split(separator: " ").map(String.init)
      guard !command.isEmpty else { throw LocatorError(message: "'\(spec)': no command after cmd:") }
      return ExternalLoader(id: spec, command: command, caseTimeout: caseTimeout, processes: processes)
    }
    let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
      throw LocatorError(message: "'\(spec)': expected NAME@VERSION (peft@0.21.2) or cmd:COMMAND")
    }
    let requiredVersion = parts[1]
    let (name, version, arguments) = try Self.environment(name: parts[0], version: parts[1])
    let script = FileSystem.join(root, "Drivers", name, "driver.py")
    guard FileSystem.isFile(script) else {
      throw LocatorError(message: "no driver for '\(name)': \(script) does not exist")
    }
    let candidates = pythonCandidates(name: name, version: version)
    guard let python = candidates.first(where: { FileSystem.isFile($0.path) }) else {
      let tried = candidates.map { "\($0.path) (\($0.source))" }.joined(separator: ", ")
      throw LocatorError(
        message: "no Python for \(name) \(version); tried \(tried.isEmpty ? "nothing" : tried). "
          + "Create one with Drivers/\(name)/setup-venv.sh \(version), or set \(variableName(name: name, version: version))")
    }
    return ExternalLoader(
      id: spec, command: [python.path, script] + arguments, requiredVersion: requiredVersion, caseTimeout: caseTimeout,
      processes: processes)
  }

  /// The transformers releases a driver environment exists for (those the PEFT lines are pinned to), oldest first.
  public static var transformersReleases: [String] {
    var seen: [String] = []
    for line in PEFTRelease.lines where !seen.contains(line.transformersVersion) { seen.append(line.transformersVersion) }
    return seen
  }

  /// The driver, the version of its environment and its arguments for `NAME@VERSION`: itself for a driver of its
  /// own (`peft@0.21.2`); for `transformers@5.24.0`, the PEFT driver's transformers API in the environment of the
  /// PEFT release pinned to that transformers (`peft`, `0.21.2`, `--api transformers`).
  public static func environment(name: String, version: String) throws(LocatorError) -> (
    driver: String, version: String, arguments: [String]
  ) {
    guard name == "transformers" else { return (name, version, []) }
    guard let release = peftRelease(forTransformers: version) else {
      let known = transformersReleases.map { "transformers@\($0)" }.joined(separator: ", ")
      throw LocatorError(message: "'transformers@\(version)': no PEFT environment is pinned to transformers \(version); known: \(known)")
    }
    return ("peft", release.recordedVersion, ["--api", "transformers"])
  }

  /// The newest PEFT line whose environment holds exactly this transformers release.
  static func peftRelease(forTransformers version: String) -> PEFTRelease? {
    PEFTRelease.lines.last { $0.transformersVersion == version }
  }

  /// Where the interpreter for `name@version` may be, in order.
  func pythonCandidates(name: String, version: String) -> [(path: String, source: String)] {
    var candidates: [(String, String)] = []
    let variable = variableName(name: name, version: version)
    if let path = environment[variable], !path.isEmpty { candidates.append((path, variable)) }
    if let venvs = environment["ADAPTEST_VENVS"], !venvs.isEmpty {
      candidates.append((FileSystem.join(venvs, "\(name)-\(version)", "bin", "python"), "ADAPTEST_VENVS"))
    }
    let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? environment["HOME"].map { FileSystem.join($0, ".cache") }
    if let cache {
      candidates.append((FileSystem.join(cache, "adaptest", "venvs", "\(name)-\(version)", "bin", "python"), "setup-venv.sh's default"))
    }
    if let path = environment["ADAPTEST_PYTHON"], !path.isEmpty { candidates.append((path, "ADAPTEST_PYTHON")) }
    return candidates
  }

  /// `ADAPTEST_PYTHON_PEFT_0_21_2`.
  func variableName(name: String, version: String) -> String {
    let cleaned = (name + "_" + version).uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
    return "ADAPTEST_PYTHON_" + String(cleaned)
  }

  /// The current process's environment.
  public static func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var index = 0
    while let entry = environ[index] {
      let text = String(cString: entry)
      if let eq = text.firstIndex(of: "=") { result[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
      index += 1
    }
    return result
  }
}
