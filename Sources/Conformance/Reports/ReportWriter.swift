#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import Dispatch
import SystemSupport
import TensorIO

/// Writes the four report files of a run into a folder as one set: `results.json`, `summary.md`,
/// `junit.xml`, `index.html`.
///
/// The set is written into a fresh sibling folder and switched into place by renames (the old folder
/// aside, the new one in, then the old one removed), so a reader, a kill or a full disk never leaves
/// the new summary beside the previous run's results. Other entries of an existing folder are moved
/// into the new one before the switch.
public enum ReportWriter {
  /// The file names, in the order they are written.
  public static let fileNames = ["summary.md", "junit.xml", "index.html", "results.json"]

  /// Writes the reports.
  /// - Parameters:
  ///   - run: the run.
  ///   - baseline: an earlier run to compare with (regressions go into the summary and the page).
  ///   - folder: created if needed; its parent folders too.
  ///   - reportURL: where index.html will be published (summary.md links case ids to it).
  /// - Returns: the comparison with the baseline, if one was given.
  @discardableResult
  public static func write(
    _ run: RunResults, baseline: RunResults? = nil, to folder: String, reportURL: String? = nil
  ) throws(FileError) -> ResultsDiff? {
    // The comparison with the baseline is made by the first file that shows it, while others render: made
    // first, it was a tenth of the reports on one core.
    let comparison = Locked<ResultsDiff??>(nil)
    @Sendable func diff() -> ResultsDiff? {
      comparison.withLock { made in
        if let made { return made }
        let diff = baseline.map { ResultsDiff.compare(old: $0, new: run) }
        made = .some(diff)
        return diff
      }
    }
    let target = normalized(folder)
    try createParent(of: target)
    let staging = AtomicFile.temporaryPath(for: target)
    try FileSystem.createDirectory(staging)
    do throws(FileError) {
      // Each file written as soon as it is rendered, on the core that rendered it.
      let failures = Locked([FileError?](repeating: nil, count: fileNames.count))
      DispatchQueue.concurrentPerform(iterations: fileNames.count) { turn in
        let i = renderingOrder[turn]
        let text = render(file: i, run, diff: diff, reportURL: reportURL)
        do throws(FileError) {
          try AtomicFile.write(text: text, to: FileSystem.join(staging, fileNames[i]))
        } catch {
          failures.withLock { $0[i] = error }
        }
      }
      if let failure = failures.value.lazy.compactMap({ $0 }).first { throw failure }
      try publish(staging, to: target)
    } catch {
      removeFolder(staging)
      throw error
    }
    return diff()
  }

  /// Every file of ``fileNames`` in the order they are begun: the longest to render first, so that the last
  /// to begin is short. Begun in the order of the list, `index.html` (the longest) started last and
  /// rendered alone on one core for a third of the reports' time (`perf record` of a default run: the
  /// page 0.21 s of CPU, `results.json` 0.19 s, `junit.xml` 0.13 s, `summary.md` 0.04 s, the comparison
  /// with the baseline 0.04 s).
  private static let renderingOrder = fileNames.indices.sorted { renderingCost(file: $0) > renderingCost(file: $1) }

  /// File `i`'s rendering time, ranked (the measurements above; ``render(file:_:diff:reportURL:)``'s files).
  private static func renderingCost(file i: Int) -> Int {
    switch i {
    case 0: 1
    case 1: 2
    case 2: 4
    default: 3
    }
  }

  /// The text of file `i` of ``fileNames``. The four are independent renderings of the same results, so
  /// ``write(_:baseline:to:reportURL:)`` makes them at once on the machine's cores (each a pure function of
  /// the run: the files are the same as rendered one after the other).
  private static func render(file i: Int, _ run: RunResults, diff: () -> ResultsDiff?, reportURL: String?) -> String {
    switch i {
    case 0: SummaryReport.render(run, diff: diff(), reportURL: reportURL)
    case 1: JUnitReport.render(run)
    case 2: HTMLReport.render(run, diff: diff())
    default: ResultsFile.encode(run)
    }
  }

  /// Checks, before a run, that a report set can be written to `folder`: its parent can be created
  /// and holds a new folder, and `folder` is a folder if it exists. A read-only or full location is
  /// found before the run instead of after it.
  public static func checkWritable(_ folder: String) throws(FileError) {
    let target = normalized(folder)
    try createParent(of: target)
    switch FileSystem.kind(of: target, followLinks: false) {
    case .missing, .directory: break
    default: throw FileError(operation: "report folder", path: target, errno: ENOTDIR)
    }
    let probe = AtomicFile.temporaryPath(for: target)
    try FileSystem.createDirectory(probe)
    // A file, not only a folder: a full disk refuses data before it refuses a directory entry.
    do throws(FileError) {
      try AtomicFile.write(text: "probe\n", to: FileSystem.join(probe, "probe"))
    } catch {
      removeFolder(probe)
      throw error
    }
    removeFolder(probe)
  }

  private static func normalized(_ folder: String) -> String {
    var f = folder
    while f.count > 1 && f.hasSuffix("/") { f.removeLast() }
    return f
  }

  private static func createParent(of folder: String) throws(FileError) {
    guard let slash = folder.lastIndex(of: "/"), slash != folder.startIndex else { return }
    try FileSystem.createDirectory(String(folder[..<slash]))
  }

  private static func publish(_ staging: String, to folder: String) throws(FileError) {
    switch FileSystem.kind(of: folder, followLinks: false) {
    case .missing:
      guard rename(staging, folder) == 0 else { throw FileError(operation: "rename", path: folder, errno: errno) }
      return
    case .directory:
      break
    default:
      throw FileError(operation: "report folder", path: folder, errno: ENOTDIR)
    }
    // Entries that are not part of the report set move with the folder.
    var moved: [String] = []
    for name in try FileSystem.contents(ofDirectory: folder) where !fileNames.contains(name) {
      guard rename(FileSystem.join(folder, name), FileSystem.join(staging, name)) == 0 else {
        let code = errno
        for back in moved { _ = rename(FileSystem.join(staging, back), FileSystem.join(folder, back)) }
        throw FileError(operation: "rename", path: FileSystem.join(folder, name), errno: code)
      }
      moved.append(name)
    }
    let aside = AtomicFile.temporaryPath(for: folder)
    guard rename(folder, aside) == 0 else {
      let code = errno
      for back in moved { _ = rename(FileSystem.join(staging, back), FileSystem.join(folder, back)) }
      throw FileError(operation: "rename", path: folder, errno: code)
    }
    guard rename(staging, folder) == 0 else {
      let code = errno
      _ = rename(aside, folder)
      for back in moved { _ = rename(FileSystem.join(staging, back), FileSystem.join(folder, back)) }
      throw FileError(operation: "rename", path: folder, errno: code)
    }
    removeFolder(aside)
  }

  /// Removes a folder this writer created, with the report files in it (best effort).
  private static func removeFolder(_ path: String) {
    for name in (try? FileSystem.contents(ofDirectory: path)) ?? [] { _ = unlink(FileSystem.join(path, name)) }
    _ = rmdir(path)
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
  // A file error already names the path; it is not repeated.
  public var description: String { message.hasPrefix(path) ? message : "\(path): \(message)" }
}
