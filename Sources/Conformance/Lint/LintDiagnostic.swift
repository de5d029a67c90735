/// One problem found while reading or checking a corpus file.
public struct LintDiagnostic: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// How bad it is.
  public enum Severity: String, Sendable, Hashable, Comparable {
    /// The file cannot be used as written.
    case error
    /// The file works but is probably not what its author meant (a stale xfail pattern, say).
    case warning

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .error && rhs == .warning }
  }

  public var location: SourceLocation
  public var severity: Severity
  /// What is wrong.
  public var message: String
  /// What would have been accepted, when that is a short list or rule.
  public var expected: String?

  public init(_ severity: Severity, at location: SourceLocation, _ message: String, expected: String? = nil) {
    self.location = location
    self.severity = severity
    self.message = message
    self.expected = expected
  }

  public var description: String {
    var text = "\(location): \(severity.rawValue): \(message)"
    if let expected { text += "; expected \(expected)" }
    return text
  }

  /// The same diagnostic with its file named from `root`'s parent folder (the working directory
  /// when `root` is the `--corpus` argument), so that `Corpus/cases/x.yaml:3:5` opens from there.
  public func relative(to root: String) -> LintDiagnostic {
    var copy = self
    copy.location.file = SourceLocation.join(root, location.file)
    return copy
  }

  public static func < (lhs: LintDiagnostic, rhs: LintDiagnostic) -> Bool {
    if lhs.location != rhs.location { return lhs.location < rhs.location }
    if lhs.severity != rhs.severity { return lhs.severity < rhs.severity }
    return lhs.message.utf8.lexicographicallyPrecedes(rhs.message.utf8)
  }
}

/// Collects diagnostics for one file while it is decoded.
struct LintSink {
  let file: String
  private(set) var diagnostics: [LintDiagnostic] = []

  init(file: String) { self.file = file }

  var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

  mutating func error(_ node: YAMLNode?, _ message: String, expected: String? = nil) {
    diagnostics.append(LintDiagnostic(.error, at: location(node), message, expected: expected))
  }

  mutating func warning(_ node: YAMLNode?, _ message: String, expected: String? = nil) {
    diagnostics.append(LintDiagnostic(.warning, at: location(node), message, expected: expected))
  }

  mutating func append(_ diagnostic: LintDiagnostic) { diagnostics.append(diagnostic) }

  func location(_ node: YAMLNode?) -> SourceLocation {
    SourceLocation(file: file, line: node?.line ?? 0, column: node?.column ?? 0)
  }
}
