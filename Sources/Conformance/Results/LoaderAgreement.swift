import TensorIO

/// How often two loaders of one run report the same thing: the differential between the `peft`
/// profile and real PEFT. Two results agree when their missing keys and unexpected keys are the same
/// lists in the same order and their errors have the same kind (or neither failed).
public struct LoaderAgreement: Sendable, Hashable {
  /// A case the two loaders answered differently.
  public struct Disagreement: Sendable, Hashable {
    public var id: String
    public var format: String
    /// Each loader's answer, in the comparison's terms.
    public var left: Answer
    public var right: Answer
  }

  /// What the comparison looks at.
  public struct Answer: Sendable, Hashable, CustomStringConvertible {
    public var missingKeys: [String]
    public var unexpectedKeys: [String]
    /// The error kind (`size-mismatch`, `other`), `nil` when the load succeeded.
    public var errorKind: String?

    public var description: String {
      "missing \(missingKeys), unexpected \(unexpectedKeys), error \(errorKind ?? "none")"
    }
  }

  public var left: String
  public var right: String
  /// Cases both loaders ran (neither skipped) and both recorded an answer for.
  public var compared = 0
  public var disagreements: [Disagreement] = []
  /// Cases both ran where a result carries no answer: the run kept details only for results that
  /// need attention (run it with `--full-details`), so agreement cannot be judged.
  public var withoutDetails: [String] = []

  public var agreed: Int { compared - disagreements.count }

  /// The agreement rate in tenths of a percent, rounded down so that `100.0%` means every case
  /// (`97.8%`); `nil` when nothing was compared.
  public var rate: String? {
    guard compared > 0 else { return nil }
    let tenths = agreed * 1000 / compared
    return "\(tenths / 10).\(tenths % 10)%"
  }

  /// Compares loader `left` with loader `right` over `run`.
  public static func compare(_ run: RunResults, left: String, right: String) -> LoaderAgreement {
    var agreement = LoaderAgreement(left: left, right: right)
    var rightByCase: [String: CaseResult] = [:]
    for result in run.results where result.loader == right { rightByCase[caseKey(result)] = result }
    for result in run.results where result.loader == left {
      guard let other = rightByCase[caseKey(result)], result.status != .skip, other.status != .skip else { continue }
      guard let a = answer(result), let b = answer(other) else {
        agreement.withoutDetails.append(result.displayName)
        continue
      }
      agreement.compared += 1
      if a != b {
        agreement.disagreements.append(
          Disagreement(id: result.id, format: result.format?.rawValue ?? "", left: a, right: b))
      }
    }
    return agreement
  }

  private static func caseKey(_ result: CaseResult) -> String { result.id + "\u{0}" + (result.format?.rawValue ?? "") }

  /// The answer a result recorded, `nil` when it recorded none.
  static func answer(_ result: CaseResult) -> Answer? {
    guard let actual = result.actual?.objectValue else { return nil }
    let keys = { (field: String) in actual[field]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    let errorKind = actual["error"]?.objectValue?["kind"]?.stringValue
    return Answer(missingKeys: keys("missing_keys"), unexpectedKeys: keys("unexpected_keys"), errorKind: errorKind)
  }
}
