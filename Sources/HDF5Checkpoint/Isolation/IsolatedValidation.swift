import SystemSupport
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The caller's side of ``HDF5Isolation/childProcess(_:)``: runs the validator on one file and turns
/// how it ended into contents or a typed error.
enum IsolatedValidation {
  struct Validated {
    var contents: HDF5ValidationReport.Contents
    /// The file as it was validated; a later in-process open checks it is still the same.
    var identity: FileIdentity
  }

  static func validate(_ path: String, with validator: HDF5Validator) throws(HDF5CheckpointError) -> Validated {
    let before = try identity(of: path)
    let limits = validator.limits
    let kept = validator.keptReports.flatMap { KeptValidationReports(folder: $0).entry(for: path, identity: before, limits: limits) }
    // A kept report that does not decode (a damaged cache) is made again.
    if let kept, let report = KeptValidationReports.report(at: kept, limit: limits.maxReportBytes),
      let result = try? HDF5ValidationReport.decode(report, path: path)
    {
      switch result {
      case .success(let contents): return Validated(contents: contents, identity: before)
      case .failure(let error): throw error
      }
    }
    let arguments =
      [validator.executable] + validator.arguments + [
        "--cpu-seconds", String(limits.cpuSeconds), "--memory-bytes", String(limits.memoryBytes), "--", path,
      ]
    let run: BoundedRun
    do {
      run = try BoundedRun.run(arguments, wallSeconds: limits.wallSeconds, maxOutput: limits.maxReportBytes)
    } catch {
      throw .isolationFailed(file: path, reason: "cannot run the validator: \(error)")
    }
    switch run.ending {
    case .exited(0):
      let result = try HDF5ValidationReport.decode(run.output, path: path)
      guard try identity(of: path) == before else {
        throw .isolationFailed(file: path, reason: "the file changed while it was being validated")
      }
      if let kept { KeptValidationReports.keep(run.output, of: result, path: path, at: kept) }
      switch result {
      case .success(let contents): return Validated(contents: contents, identity: before)
      case .failure(let error): throw error
      }
    case .exited(let status):
      throw .isolationFailed(file: path, reason: "the validator exited with status \(status) without a report")
    case .signaled(let signal) where signal == SIGXCPU:
      throw .corruptFile(
        file: path,
        message: "libhdf5 did not finish reading the file within \(limits.cpuSeconds) CPU seconds (stopped in an isolated process)")
    case .signaled(let signal):
      let name = strsignal(signal).map { String(cString: $0) } ?? "signal"
      throw .corruptFile(
        file: path, message: "libhdf5 crashed reading the file (\(name), signal \(signal); contained in an isolated process)")
    case .timedOut:
      throw .corruptFile(
        file: path,
        message: "libhdf5 did not finish reading the file within \(limits.wallSeconds) s (killed in an isolated process)")
    case .outputTooLong:
      throw .isolationFailed(file: path, reason: "the validator's report is longer than \(limits.maxReportBytes) bytes")
    }
  }

  private static func identity(of path: String) throws(HDF5CheckpointError) -> FileIdentity {
    do {
      return try FileIdentity(path: path)
    } catch {
      throw .file(error)
    }
  }
}
