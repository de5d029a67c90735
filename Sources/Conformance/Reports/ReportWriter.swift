import TensorIO

/// Writes the four report files of a run into a folder, each atomically (a reader never sees a
/// half-written file): `results.json`, `summary.md`, `junit.xml`, `index.html`.
public enum ReportWriter {
  /// The file names, in the order they are written (`results.json` last, so its presence means
  /// the set is complete).
  public static let fileNames = ["summary.md", "junit.xml", "index.html", "results.json"]

  /// Writes the reports.
  /// - Parameters:
  ///   - run: the run.
  ///   - baseline: an earlier run to compare with (regressions go into the summary and the page).
  ///   - folder: created if needed.
  /// - Returns: the comparison with the baseline, if one was given.
  @discardableResult
  public static func write(_ run: RunResults, baseline: RunResults? = nil, to folder: String) throws(FileError) -> ResultsDiff? {
    let diff = baseline.map { ResultsDiff.compare(old: $0, new: run) }
    try FileSystem.createDirectory(folder)
    try AtomicFile.write(text: SummaryReport.render(run, diff: diff), to: FileSystem.join(folder, "summary.md"))
    try AtomicFile.write(text: JUnitReport.render(run), to: FileSystem.join(folder, "junit.xml"))
    try AtomicFile.write(text: HTMLReport.render(run, diff: diff), to: FileSystem.join(folder, "index.html"))
    try AtomicFile.write(text: ResultsFile.encode(run), to: FileSystem.join(folder, "results.json"))
    return diff
  }

  /// Reads a `results.json`.
  /// - Throws: ``ReportReadError``.
  public static func read(_ path: String) throws(ReportReadError) -> RunResults {
    let bytes: [UInt8]
    do {
      bytes = try FileSystem.read(path)
    } catch {
      throw ReportReadError(path: path, message: error.description)
    }
    do {
      return try ResultsFile.decode(bytes)
    } catch {
      throw ReportReadError(path: path, message: error.description)
    }
  }
}

/// A results file that cannot be read.
public struct ReportReadError: Error, Sendable, Hashable, CustomStringConvertible {
  public var path: String
  public var message: String
  public var description: String { "\(path): \(message)" }
}
