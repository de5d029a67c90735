/// The result of one case for one loader, as in web-platform-tests' reports.
public enum CaseStatus: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
  /// The loader reported what the case expects.
  case pass = "PASS"
  /// It did not, and nothing said it would not.
  case fail = "FAIL"
  /// The loader crashed, answered garbage, or the case could not be prepared.
  case error = "ERROR"
  /// An external loader did not answer in time.
  case timeout = "TIMEOUT"
  /// Not run: outside the loader's capabilities, or skipped by its expectation file.
  case skip = "SKIP"
  /// Failed, as the loader's expectation file says it would.
  case xfail = "XFAIL"
  /// Passed, although the loader's expectation file says it would fail.
  case xpass = "XPASS"

  public var description: String { rawValue }

  /// Whether the loader behaved correctly on the case.
  public var isPassing: Bool { self == .pass || self == .xpass }

  /// Whether this status needs someone's attention (breaks CI).
  public var isUnexpected: Bool { self == .fail || self == .error || self == .timeout || self == .xpass }

  /// Display and sort order: worst first.
  public var severityRank: Int {
    switch self {
    case .error: 0
    case .timeout: 1
    case .fail: 2
    case .xpass: 3
    case .xfail: 4
    case .pass: 5
    case .skip: 6
    }
  }

  public static func < (lhs: CaseStatus, rhs: CaseStatus) -> Bool { lhs.severityRank < rhs.severityRank }

  /// Status for a run that completed, given its discrepancies and the loader's expectation entry.
  public static func judge(discrepancies: [String], expectation: LoaderExpectations.Entry.Status?) -> CaseStatus {
    switch (discrepancies.isEmpty, expectation == .xfail) {
    case (true, false): .pass
    case (true, true): .xpass
    case (false, false): .fail
    case (false, true): .xfail
    }
  }
}
