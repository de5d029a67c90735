import SystemSupport

/// Where libhdf5 reads a checkpoint that this process did not write itself.
///
/// libhdf5 1.10 can crash or loop forever on crafted files (`Corpus/malformed/hdf5/crashers/`), and
/// nothing in-process can recover from that. With ``childProcess(_:)``, ``HDF5File/init(path:)``
/// validates such a file in a separate process with CPU, memory and time limits first, so that the
/// worst a hostile file can do is fail its own open with ``HDF5CheckpointError/corruptFile(file:message:)``.
/// Files written by this process's ``HDF5Writer`` are read in-process either way (docs/security.md).
public enum HDF5Isolation: Sendable, Hashable {
  /// Read every file in this process (the library's default: it needs no helper executable).
  case inProcess
  /// Validate files this process did not write in a child process before reading them.
  case childProcess(HDF5Validator)

  /// The policy ``HDF5File/init(path:)`` follows; the `adaptest` tool sets ``childProcess(_:)``
  /// at start-up. Thread-safe.
  public static var processDefault: HDF5Isolation {
    get { defaultPolicy.value }
    set { defaultPolicy.value = newValue }
  }

  private static let defaultPolicy = Locked<HDF5Isolation>(.inProcess)

  /// The same policy, its validator keeping its reports in `folder` (``HDF5Validator/keptReports``).
  public func keepingReports(in folder: String) -> HDF5Isolation {
    guard case .childProcess(var validator) = self else { return self }
    validator.keptReports = folder
    return .childProcess(validator)
  }
}

/// The helper process that validates an HDF5 file: an executable that ends up calling
/// ``HDF5ValidatorProcess/main(arguments:)`` with the arguments after ``arguments``.
public struct HDF5Validator: Sendable, Hashable {
  /// The program to start (an absolute path).
  public var executable: String
  /// Arguments that select the validator (a hidden subcommand, say), before the validator's own.
  public var arguments: [String]
  public var limits: Limits
  /// A folder, private to this user and to this validator's build, where the reports of small files are
  /// kept by the SHA-256 of their bytes, so that bytes validated once are not validated again; nil keeps
  /// none. Only this validator's own reports may be written there (a report is trusted as its answer).
  public var keptReports: String?

  public init(executable: String, arguments: [String], limits: Limits = Limits(), keptReports: String? = nil) {
    self.executable = executable
    self.arguments = arguments
    self.limits = limits
    self.keptReports = keptReports
  }

  /// What one validation may use.
  public struct Limits: Sendable, Hashable {
    /// Wall-clock time before the child is killed (catches sleeping as well as spinning).
    public var wallSeconds: Double
    /// CPU seconds (`RLIMIT_CPU`, set by the child on itself before it opens the file).
    public var cpuSeconds: Int
    /// Address space (`RLIMIT_AS`).
    public var memoryBytes: Int
    /// The most report bytes read back (a table of every tensor: about 100 bytes per tensor).
    public var maxReportBytes: Int

    public init(wallSeconds: Double = 60, cpuSeconds: Int = 30, memoryBytes: Int = 4 << 30, maxReportBytes: Int = 256 << 20) {
      self.wallSeconds = wallSeconds
      self.cpuSeconds = cpuSeconds
      self.memoryBytes = memoryBytes
      self.maxReportBytes = maxReportBytes
    }
  }
}
