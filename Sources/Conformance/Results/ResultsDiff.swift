/// What changed between two runs (wpt.fyi's diff): results keyed by loader, case id and format.
public struct ResultsDiff: Sendable, Hashable {
  /// One result whose status changed.
  public struct Change: Sendable, Hashable {
    public var key: ResultKey
    public var old: CaseStatus
    public var new: CaseStatus
    /// The new result's message (why it fails now).
    public var message: String
  }

  /// Behaviour got better: an error became an answer, a wrong answer became right.
  public var improved: [Change] = []
  /// Behaviour got worse: a passing case stopped passing (or is no longer run), or an answer became a crash.
  public var regressed: [Change] = []
  /// Same quality, different status (FAIL → XFAIL after an expectation entry was added, say).
  public var changed: [Change] = []
  /// Results only in the new run.
  public var added: [CaseResult] = []
  /// Results only in the old run.
  public var removed: [CaseResult] = []
  /// Results with the same status in both.
  public var unchanged = 0

  public init() {}

  /// Compares `old` with `new`.
  public static func compare(old: RunResults, new: RunResults) -> ResultsDiff {
    var diff = ResultsDiff()
    var oldByKey: [ResultKey: CaseResult] = [:]
    for result in old.results { oldByKey[result.key] = result }
    var seen: Set<ResultKey> = []
    for result in new.results {
      seen.insert(result.key)
      guard let before = oldByKey[result.key] else {
        diff.added.append(result)
        continue
      }
      if before.status == result.status {
        diff.unchanged += 1
        continue
      }
      let change = Change(key: result.key, old: before.status, new: result.status, message: result.message)
      let (was, now) = (quality(before.status), quality(result.status))
      if before.status.isPassing && result.status == .skip {
        diff.regressed.append(change)
      } else if let was, let now, now < was {
        diff.regressed.append(change)
      } else if let was, let now, now > was {
        diff.improved.append(change)
      } else {
        diff.changed.append(change)
      }
    }
    diff.removed = old.results.filter { !seen.contains($0.key) }
    return diff
  }

  /// 2 = correct answer, 1 = wrong answer, 0 = no answer; `nil` for SKIP.
  private static func quality(_ status: CaseStatus) -> Int? {
    switch status {
    case .pass, .xpass: 2
    case .fail, .xfail: 1
    case .error, .timeout: 0
    case .skip: nil
    }
  }

  /// Whether anything regressed.
  public var hasRegressions: Bool { !regressed.isEmpty }
}
