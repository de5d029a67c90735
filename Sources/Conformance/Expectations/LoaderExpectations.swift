import TensorIO

/// One loader's known deviations from the corpus (`Corpus/expectations/<loader>.yaml`), in the way
/// web-platform-tests keeps per-browser metadata apart from the tests: case-id patterns marked
/// `xfail` (runs; a failure is expected, a pass is reported as XPASS) or `skip` (not run).
public struct LoaderExpectations: Sendable, Hashable {
  /// The loader the file is for (its file name without `.yaml`).
  public var loader: String
  /// Entries in file order; the first that matches a case wins.
  public var entries: [Entry]
  /// The file, relative to the corpus root.
  public var source: String

  public init(loader: String, entries: [Entry] = [], source: String = "") {
    self.loader = loader
    self.entries = entries
    self.source = source
  }

  /// What the file says about one case.
  public struct Entry: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
      /// The loader is known to deviate from the spec here; the case still runs.
      case xfail
      /// The case is not run at all for this loader (it would hang, crash, or cannot apply).
      case skip
    }

    public var pattern: Pattern
    public var status: Status
    /// Why the loader deviates.
    public var reason: String
    /// An issue, pull request or spec section backing the reason.
    public var ref: String
    /// Restricts the entry to these formats; `nil` = every format.
    public var formats: [CheckpointFormat]?
    /// Restricts the entry to cases whose expected load succeeds (or fails); `nil` = any case.
    /// A deviation in the keys a loader reports concerns only loads that should succeed.
    public var expectedLoad: ExpectedLoad?

    /// Whether a case expects its load to succeed.
    public enum ExpectedLoad: String, Sendable, Hashable, CaseIterable {
      case succeeds
      case fails
    }
    /// Where the entry is written.
    public var location: SourceLocation

    public init(
      pattern: Pattern, status: Status, reason: String, ref: String, formats: [CheckpointFormat]? = nil,
      expectedLoad: ExpectedLoad? = nil, location: SourceLocation = SourceLocation(file: "")
    ) {
      self.expectedLoad = expectedLoad
      self.pattern = pattern
      self.status = status
      self.reason = reason
      self.ref = ref
      self.formats = formats
      self.location = location
    }

    /// Whether the entry applies to a case id (ignoring the other conditions).
    public func applies(to caseID: String, format: CheckpointFormat?) -> Bool {
      if let formats, let format, !formats.contains(format) { return false }
      return pattern.matches(caseID)
    }

    /// Whether the entry applies to a case run.
    public func applies(to spec: CaseSpec, format: CheckpointFormat?) -> Bool {
      if let expectedLoad {
        switch (expectedLoad, spec.expect.error) {
        case (.succeeds, .error?), (.fails, .none?), (_, nil): return false
        default: break
        }
      }
      return applies(to: spec.id, format: format)
    }
  }

  /// The first entry for a case id, if any (ignoring conditions on the case's expectation).
  public func entry(for caseID: String, format: CheckpointFormat?) -> Entry? {
    entries.first { $0.expectedLoad == nil && $0.applies(to: caseID, format: format) }
  }

  /// The first entry for a case run, if any.
  public func entry(for spec: CaseSpec, format: CheckpointFormat?) -> Entry? {
    entries.first { $0.applies(to: spec, format: format) }
  }

  /// File names tried for a loader id, most specific first: `peft@0.21.2` → `peft@0.21.2`,
  /// `peft@0.21`, `peft`.
  public static func candidateNames(for loaderID: String) -> [String] {
    guard let at = loaderID.firstIndex(of: "@") else { return [loaderID] }
    let name = String(loaderID[..<at])
    let version = loaderID[loaderID.index(after: at)...]
    var names = [loaderID]
    let parts = version.split(separator: ".")
    if parts.count > 2 { names.append("\(name)@\(parts[0]).\(parts[1])") }
    // The built-in profile that reproduces this release line (`peft-0.13` for peft@0.13.2).
    if parts.count >= 2 { names.append("\(name)-\(parts[0]).\(parts[1])") }
    names.append(name)
    return names
  }

  /// The expectations for a loader id from a set of files by loader name: the entries of every file that
  /// applies (``candidateNames(for:)``), the most specific first, so the first matching entry wins.
  public static func resolve(_ loaderID: String, in files: [String: LoaderExpectations]) -> LoaderExpectations {
    let applying = candidateNames(for: loaderID).compactMap { files[$0] }
    guard let first = applying.first else { return LoaderExpectations(loader: loaderID) }
    return LoaderExpectations(loader: loaderID, entries: applying.flatMap(\.entries), source: first.source)
  }
}
