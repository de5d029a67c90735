/// `summary.md`: what a pull request reviewer needs — counts per loader and status, regressions
/// against the baseline, then every unexpected result with its reason.
public enum SummaryReport {
  /// The Markdown text.
  /// - Parameters:
  ///   - run: the run.
  ///   - diff: the comparison with the baseline, if there is one.
  ///   - limit: at most this many entries per list (the rest is counted).
  public static func render(_ run: RunResults, diff: ResultsDiff? = nil, limit: Int = 200) -> String {
    var out = ""
    let counts = run.counts()
    let unexpected = run.unexpected
    let headline =
      unexpected.isEmpty
      ? "all \(run.results.count) results as expected"
      : "\(unexpected.count) unexpected result(s) of \(run.results.count)"
    out += "# Adaptest conformance: \(headline)\n\n"
    out += "adaptest \(Escaping.markdown(run.info.toolVersion)) · corpus `\(run.info.corpusHash.prefix(12))`"
    out += " · \(Escaping.markdown(run.info.timestamp))"
    if let filter = run.info.filter { out += " · filter \(Escaping.markdownCode(filter))" }
    if !run.info.shards.isEmpty { out += " · shards \(Escaping.markdown(run.info.shards.joined(separator: ", ")))" }
    out += "\n\n"

    let statuses = CaseStatus.allCases
    out += "| loader | version | " + statuses.map(\.rawValue).joined(separator: " | ") + " | total |\n"
    out += "|---|---|" + statuses.map { _ in "---:|" }.joined() + "---:|\n"
    for loader in run.loaderIDs {
      let c = run.counts(loader: loader)
      let version = run.info.loaders.first { $0.id == loader }?.version ?? ""
      let total = c.values.reduce(0, +)
      out += "| \(Escaping.markdownCode(loader)) | \(Escaping.markdown(version)) | "
      out += statuses.map { String(c[$0] ?? 0) }.joined(separator: " | ") + " | \(total) |\n"
    }
    if run.loaderIDs.count > 1 {
      out += "| **all** | | " + statuses.map { String(counts[$0] ?? 0) }.joined(separator: " | ")
      out += " | \(run.results.count) |\n"
    }
    out += "\n"

    if let diff {
      out += "## Against the baseline\n\n"
      out += "\(diff.regressed.count) regressed, \(diff.improved.count) improved, \(diff.changed.count) changed, "
      out += "\(diff.added.count) added, \(diff.removed.count) removed, \(diff.unchanged) unchanged.\n\n"
      if !diff.regressed.isEmpty {
        out += "### Regressions\n\n"
        out += changes(diff.regressed, limit: limit)
      }
      if !diff.improved.isEmpty {
        out += "### Improvements\n\n"
        out += changes(diff.improved, limit: limit)
      }
    }

    if !unexpected.isEmpty {
      out += "## Unexpected results\n\n"
      for loader in run.loaderIDs {
        let mine = unexpected.filter { $0.loader == loader }
        guard !mine.isEmpty else { continue }
        out += "### \(Escaping.markdownCode(loader)) (\(mine.count))\n\n"
        for result in mine.prefix(limit) { out += item(result) }
        if mine.count > limit { out += "- … and \(mine.count - limit) more (see results.json)\n" }
        out += "\n"
      }
    }

    let xfails = run.results.filter { $0.status == .xfail }
    if !xfails.isEmpty {
      out += "<details><summary>\(xfails.count) expected failure(s)</summary>\n\n"
      for result in xfails.prefix(limit) {
        let reason = result.expectation.map { "\(Escaping.markdown($0.reason)) (\(Escaping.markdown($0.ref)))" } ?? ""
        out += "- \(Escaping.markdownCode(result.loader)) \(Escaping.markdownCode(result.displayName)): \(reason)\n"
      }
      if xfails.count > limit { out += "- … and \(xfails.count - limit) more\n" }
      out += "\n</details>\n"
    }
    return out
  }

  private static func item(_ result: CaseResult) -> String {
    var line = "- **\(result.status.rawValue)** \(Escaping.markdownCode(result.displayName))"
    if !result.message.isEmpty { line += " — \(Escaping.markdown(truncate(result.message)))" }
    return line + "\n"
  }

  private static func changes(_ list: [ResultsDiff.Change], limit: Int) -> String {
    var out = ""
    for change in list.prefix(limit) {
      let name = change.key.format.isEmpty ? change.key.id : "\(change.key.id) [\(change.key.format)]"
      out += "- \(Escaping.markdownCode(change.key.loader)) \(Escaping.markdownCode(name)): "
      out += "\(change.old.rawValue) → **\(change.new.rawValue)**"
      if !change.message.isEmpty { out += " — \(Escaping.markdown(truncate(change.message)))" }
      out += "\n"
    }
    if list.count > limit { out += "- … and \(list.count - limit) more\n" }
    return out + "\n"
  }

  static func truncate(_ text: String, to limit: Int = 400) -> String {
    text.count > limit ? String(text.prefix(limit)) + "…" : text
  }
}
