/// `junit.xml` for CI systems: one `<testsuite>` per loader, one `<testcase>` per case and format.
/// FAIL and XPASS are failures, ERROR and TIMEOUT errors, SKIP and XFAIL skipped (as pytest
/// reports xfail).
public enum JUnitReport {
  /// The XML text.
  public static func render(_ run: RunResults) -> String {
    let all = run.counts()
    let total = run.results.reduce(0) { $0 + ($1.seconds ?? 0) }
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    // The Jenkins schema allows only name, time, tests, failures and errors on <testsuites>.
    out += "<testsuites name=\"adaptest conformance\" tests=\"\(run.results.count)\""
    out += " failures=\"\((all[.fail] ?? 0) + (all[.xpass] ?? 0))\" errors=\"\((all[.error] ?? 0) + (all[.timeout] ?? 0))\""
    out += " time=\"\(secondsText(total))\">\n"
    // Each loader's results by position, in one pass: filtering copied every result once per loader.
    var positions: [String: [Int]] = [:]
    for (i, result) in run.results.enumerated() { positions[result.loader, default: []].append(i) }
    for loader in run.loaderIDs {
      let results = positions[loader] ?? []
      let c = run.counts(loader: loader)
      let time = results.reduce(0) { $0 + (run.results[$1].seconds ?? 0) }
      out += "  <testsuite name=\"\(Escaping.xml(loader, attribute: true))\" tests=\"\(results.count)\""
      out += " failures=\"\((c[.fail] ?? 0) + (c[.xpass] ?? 0))\" errors=\"\((c[.error] ?? 0) + (c[.timeout] ?? 0))\""
      out += " skipped=\"\((c[.skip] ?? 0) + (c[.xfail] ?? 0))\" time=\"\(secondsText(time))\""
      out += " timestamp=\"\(Escaping.xml(run.info.timestamp, attribute: true))\">\n"
      out += "    <properties>\n"
      out += property("corpus_hash", run.info.corpusHash)
      out += property("tool_version", run.info.toolVersion)
      if let info = run.info.loaders.first(where: { $0.id == loader }) {
        out += property("loader_version", info.version)
        for (name, version) in info.versions.sorted(by: { $0.key < $1.key }) { out += property("version." + name, version) }
      }
      out += "    </properties>\n"
      for i in results { testcase(run.results[i], into: &out) }
      out += "  </testsuite>\n"
    }
    out += "</testsuites>\n"
    return out
  }

  /// Seconds with three decimals (`0.042`), as junit.xml and results.json write them.
  static func secondsText(_ seconds: Double) -> String {
    let milliseconds = Int((max(0, seconds) * 1000).rounded())
    let fraction = String(milliseconds % 1000)
    return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
  }

  private static func property(_ name: String, _ value: String) -> String {
    "      <property name=\"\(Escaping.xml(name, attribute: true))\" value=\"\(Escaping.xml(value, attribute: true))\"/>\n"
  }

  private static func testcase(_ result: CaseResult, into out: inout String) {
    out += "    <testcase classname=\"\(Escaping.xml(classname(result), attribute: true))\""
    out += " name=\"\(Escaping.xml(result.displayName, attribute: true))\" time=\"\(secondsText(result.seconds ?? 0))\""
    if result.status == .pass {
      out += "/>\n"
      return
    }
    // The long texts only for the results that print them (most pass).
    let message = SummaryReport.truncate(result.message, to: 1000)
    func details() -> String {
      [
        result.message, result.description.isEmpty ? "" : "case: \(result.description)",
        result.expectation.map { "expectation: \($0.status.rawValue): \($0.summary)" } ?? "",
      ].filter { !$0.isEmpty }.joined(separator: "\n")
        + (result.status.isUnexpected ? Reproducer.commands(for: result).map { "\nreproduce: \($0)" }.joined() : "")
    }
    switch result.status {
    case .fail, .xpass:
      let text = result.status == .xpass ? "unexpected pass: the expectation file says this case fails" : message
      out += ">\n      <failure type=\"\(result.status.rawValue)\" message=\"\(Escaping.xml(text, attribute: true))\">"
      out += Escaping.xml(details()) + "</failure>\n"
    case .error, .timeout:
      out += ">\n      <error type=\"\(result.status.rawValue)\" message=\"\(Escaping.xml(message, attribute: true))\">"
      out += Escaping.xml(details()) + "</error>\n"
    case .skip, .xfail, .pass:
      let text = result.status == .xfail ? "xfail: \(result.expectation?.summary ?? message)" : message
      out += ">\n      <skipped message=\"\(Escaping.xml(text, attribute: true))\"/>\n"
    }
    out += "    </testcase>\n"
  }

  /// The loader, then the case id's family (its non-empty parts but the last, joined by dots):
  /// `recommended.matrix.llama`.
  static func classname(_ result: CaseResult) -> String {
    let family: String
    if result.id.utf8.allSatisfy({ $0 < 0x80 }) {
      // ASCII (every corpus id): split at bytes; splitting every id by Characters was a twentieth of the reports.
      family = result.id.utf8.split(separator: UInt8(ascii: "/")).dropLast()
        .map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".")
    } else {
      family = result.id.split(separator: "/").dropLast().joined(separator: ".")
    }
    return family.isEmpty ? result.loader : "\(result.loader).\(family)"
  }
}
