import AdapterLoading

/// Compares what a loader reported with what a case expects. Only written expectations are
/// checked, and only for fields the loader reports.
public enum OutcomeCheck {
  /// Every way `observed` differs from `expected`; empty when the loader passes. Expected keys are
  /// compared in the loader's `keyNaming`.
  public static func discrepancies(
    expected: ExpectedOutcome, observed: ObservedOutcome, reports: Set<OutcomeField>, keyNaming: KeyNaming = .peftModel
  ) -> [String] {
    let expected = keyNaming == .peftModel ? expected : expected.keys(named: keyNaming)
    var problems: [String] = []
    if reports.contains(.error) {
      switch expected.error {
      case .none?:
        if let error = observed.error { problems.append("expected the load to succeed, but it failed: \(describe(error))") }
      case .error(let want)?:
        if let got = observed.error {
          if got.kind != want.kind {
            problems.append("expected error \(want.kind), got \(describe(got))")
          } else {
            if let type = want.type, reports.contains(.errorType), got.type != type {
              problems.append("expected error type \(type), got \(got.type ?? "none")")
            }
            if let format = want.formatError, !FormatErrorName.same(got.formatError, format) {
              problems.append("expected format error \(format), got \(got.formatError ?? "an unclassified one"): \(got.message)")
            }
          }
        } else {
          problems.append("expected error \(want.kind), but the load succeeded")
        }
      case nil:
        if let error = observed.error, expected.assertsKeys {
          problems.append("the load failed, so no keys can be compared: \(describe(error))")
        }
      }
    }
    if observed.error == nil {
      check("missing_keys", expected.missingKeys, observed.missingKeys, .missingKeys, reports, &problems)
      check("unexpected_keys", expected.unexpectedKeys, observed.unexpectedKeys, .unexpectedKeys, reports, &problems)
      check(
        "mismatched_keys", expected.mismatchedKeys, observed.mismatched.map(\.key), .mismatchedKeys, reports, &problems)
    }
    check("diagnostics", expected.diagnostics, observed.diagnostics.map(\.code), .diagnostics, reports, &problems)
    check("warnings", expected.warnings, observed.warnings.map(\.category), .warnings, reports, &problems)
    return problems
  }

  private static func check(
    _ name: String, _ expectation: SetExpectation?, _ observed: [String], _ field: OutcomeField,
    _ reports: Set<OutcomeField>, _ problems: inout [String]
  ) {
    guard let expectation, reports.contains(field) else { return }
    let (absent, unwanted) = expectation.check(observed)
    if case .exactly(let all) = expectation, all.isEmpty, !unwanted.isEmpty {
      problems.append("\(name): expected none, got \(unwanted.count): \(list(unwanted))")
      return
    }
    if !absent.isEmpty { problems.append("\(name): expected but not reported: \(list(absent))") }
    if !unwanted.isEmpty {
      let what = if case .exactly = expectation { "reported but not expected" } else { "reported but excluded" }
      problems.append("\(name): \(what): \(list(unwanted))")
    }
  }

  static func describe(_ error: LoadError) -> String {
    var text = error.kind.rawValue
    if let type = error.type { text += " (\(type))" }
    if let format = error.formatError { text += " [\(format)]" }
    let message = error.message.count > 300 ? String(error.message.prefix(300)) + "…" : error.message
    return message.isEmpty ? text : "\(text): \(message)"
  }

  /// Up to five items, then a count.
  static func list(_ items: [String], limit: Int = 5) -> String {
    let shown = items.prefix(limit).joined(separator: ", ")
    return items.count > limit ? "\(shown) (+\(items.count - limit) more)" : shown
  }
}
