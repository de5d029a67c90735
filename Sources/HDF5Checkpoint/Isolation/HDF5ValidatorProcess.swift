import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The validator's side of ``HDF5Isolation/childProcess(_:)``: the entry point of the helper process.
///
/// A program becomes a validator by calling ``main(arguments:)`` from a (hidden) command and exiting
/// with its result; `adaptest` does so in `adaptest _hdf5-validate`.
public enum HDF5ValidatorProcess {
  /// Validates one file and writes the report to stdout.
  ///
  /// Arguments: `--cpu-seconds N --memory-bytes N PATH`. The limits are applied to this process
  /// before the file is opened; core dumps and file writes are disabled. The file is opened in
  /// process and every tensor's storage is checked (everything ``HDF5File/bytes(of:)`` asks libhdf5
  /// except reading the data itself).
  /// - Returns: the exit status: 0 when a report (contents or typed error) was written, 2 for bad
  ///   arguments.
  public static func main(arguments: [String]) -> Int32 {
    var cpuSeconds = 30
    var memoryBytes = 4 << 30
    var path: String?
    var rest = arguments[...]
    while let argument = rest.popFirst() {
      switch argument {
      case "--cpu-seconds": cpuSeconds = rest.popFirst().flatMap { Int($0) } ?? -1
      case "--memory-bytes": memoryBytes = rest.popFirst().flatMap { Int($0) } ?? -1
      case "--": path = rest.popFirst()
      default: path = argument
      }
    }
    guard let path, cpuSeconds > 0, memoryBytes > 0 else {
      writeStandardError("usage: --cpu-seconds N --memory-bytes N [--] PATH\n")
      return 2
    }
    limit(RLIMIT_CORE, 0)
    limit(RLIMIT_FSIZE, 0)
    limit(RLIMIT_CPU, UInt64(cpuSeconds))
    limit(RLIMIT_AS, UInt64(memoryBytes))

    let report: String
    do {
      let file = try HDF5File(path: path, isolation: .inProcess)
      for entry in file.tensors { try file.checkStorage(of: entry.name) }
      report = HDF5ValidationReport.encode(tensors: file.tensors, metadata: file.metadata, datasetPaths: file.datasetPaths)
    } catch {
      report = HDF5ValidationReport.encode(error)
    }
    writeStandardOutput(report + "\n")
    return 0
  }

  #if canImport(Glibc)
    private static func limit(_ resource: __rlimit_resource, _ value: UInt64) {
      var limits = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
      _ = setrlimit(__rlimit_resource_t(resource.rawValue), &limits)
    }
  #else
    private static func limit(_ resource: Int32, _ value: UInt64) {
      var limits = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
      _ = setrlimit(resource, &limits)
    }
  #endif

  private static func writeStandardOutput(_ text: String) { writeAll(1, text) }
  private static func writeStandardError(_ text: String) { writeAll(2, text) }

  private static func writeAll(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { buffer in
      var offset = 0
      while offset < buffer.count {
        guard let base = buffer.baseAddress else { return }
        let written = write(fd, base + offset, buffer.count - offset)
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        offset += written
      }
    }
  }
}
