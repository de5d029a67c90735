/// `summary.md`: what a pull request reviewer needs — counts per loader and status, regressions
/// against the baseline, then every unexpected result with its reason — within the size GitHub
/// accepts for a job summary or a comment (65,536 characters). What does not fit is counted on an
/// explicit truncation line that points at the full report.
public enum SummaryReport {
  /// The default size limit in UTF-8 bytes (and so in characters): under GitHub's 65,536 with room
  /// for a comment's own framing.
  public static let defaultByteLimit = 60_000

  /// The Markdown text.
  /// - Parameters:
  ///   - run: the run.
  ///   - diff: the comparison with the baseline, if there is one.
  ///   - reportURL: where the HTML report of this run is published; case ids then link to their entry
  ///     (`URL#case=ID`) and the truncation line to the report.
  ///   - byteLimit: the text stays within this many UTF-8 bytes.
  ///   - limit: at most this many entries per list (the rest is counted).
  public static func render(
    _ run: RunResults, diff: ResultsDiff? = nil, reportURL: String? = nil, byteLimit: Int = defaultByteLimit,
    limit: Int = 200
  ) -> String {
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
    if let reportURL { out += " · [full report](\(linkTarget(reportURL)))" }
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
    }

    // The lists, most important first, each entry added only while it fits.
    var budget = Budget(text: out, limit: byteLimit)
    let link = reportURL.map(linkTarget)
    if let diff {
      budget.list("### Regressions\n\n", diff.regressed.map { change($0, link: link) }, limit: limit)
      budget.list("### Improvements\n\n", diff.improved.map { change($0, link: link) }, limit: limit)
    }
    if !unexpected.isEmpty {
      budget.add("## Unexpected results\n\n")
      for loader in run.loaderIDs {
        let mine = unexpected.filter { $0.loader == loader }
        guard !mine.isEmpty else { continue }
        budget.list("### \(Escaping.markdownCode(loader)) (\(mine.count))\n\n", mine.map { item($0, link: link) }, limit: limit)
      }
    }
    let xfails = run.results.filter { $0.status == .xfail }
    if !xfails.isEmpty {
      let entries = xfails.map { result in
        let reason = result.expectation.map { Escaping.markdown($0.summary) } ?? ""
        return "- \(Escaping.markdownCode(result.loader)) \(name(result.displayName, id: result.id, link: link)): \(reason)\n"
      }
      budget.list("<details><summary>\(xfails.count) expected failure(s)</summary>\n\n", entries, limit: limit, close: "\n</details>\n")
    }
    return budget.finish(reportURL: reportURL)
  }

  /// Appends text while it fits under the limit, keeping room for the truncation line.
  struct Budget {
    var text: String
    var limit: Int
    var bytes: Int
    /// Entries left out because they did not fit.
    var omitted = 0
    /// Room kept for the truncation line and a closing tag.
    static let reserve = 800

    init(text: String, limit: Int) {
      self.text = text
      self.limit = limit
      bytes = text.utf8.count
    }

    var full: Bool { omitted > 0 }

    /// Appends `piece` if it fits; returns whether it did.
    @discardableResult
    mutating func add(_ piece: String) -> Bool {
      let size = piece.utf8.count
      guard !full, bytes + size + Self.reserve <= limit else { return false }
      text += piece
      bytes += size
      return true
    }

    /// A headed list: its first `limit` entries while they fit, a count of the others.
    mutating func list(_ heading: String, _ entries: [String], limit: Int, close: String = "\n") {
      guard !entries.isEmpty else { return }
      guard add(heading) else {
        omitted += entries.count
        return
      }
      var shown = 0
      for entry in entries.prefix(limit) {
        guard add(entry) else { break }
        shown += 1
      }
      let rest = entries.count - shown
      if shown < min(limit, entries.count) {
        omitted += rest
      } else if rest > 0 {
        // Cut by the per-list limit, not by size: say so in place.
        text += "- … and \(rest) more\n"
        bytes += "- … and \(rest) more\n".utf8.count
      }
      text += close
      bytes += close.utf8.count
    }

    func finish(reportURL: String?) -> String {
      guard omitted > 0 else { return text }
      let target = reportURL.map { "[the full report](\(SummaryReport.linkTarget($0)))" } ?? "the full report (index.html and results.json beside this file)"
      return text
        + "\n---\n\n**Truncated:** \(omitted) more entr\(omitted == 1 ? "y is" : "ies are") not shown to keep this summary under "
        + "\(limit / 1000) KB; see \(target).\n"
    }
  }

  private static func item(_ result: CaseResult, link: String?) -> String {
    var line = "- **\(result.status.rawValue)** \(name(result.displayName, id: result.id, link: link))"
    if !result.message.isEmpty { line += " — \(Escaping.markdown(truncate(result.message)))" }
    line += "\n"
    for command in Reproducer.commands(for: result) { line += "  - reproduce: \(Escaping.markdownCode(command))\n" }
    return line
  }

  private static func change(_ change: ResultsDiff.Change, link: String?) -> String {
    let display = change.key.format.isEmpty ? change.key.id : "\(change.key.id) [\(change.key.format)]"
    var out = "- \(Escaping.markdownCode(change.key.loader)) \(name(display, id: change.key.id, link: link)): "
    out += "\(change.old.rawValue) → **\(change.new.rawValue)**"
    if !change.message.isEmpty { out += " — \(Escaping.markdown(truncate(change.message)))" }
    return out + "\n"
  }

  /// The case name as code, linked to its entry in the HTML report when the report's address is known.
  private static func name(_ display: String, id: String, link: String?) -> String {
    guard let link else { return Escaping.markdownCode(display) }
    return "[\(Escaping.markdownCode(display))](\(link)#case=\(percentEncoded(id)))"
  }

  /// A URL as a Markdown link target: the characters that would end or break the target are encoded.
  static func linkTarget(_ url: String) -> String {
    var out = ""
    for byte in url.utf8 {
      switch byte {
      case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: " "), UInt8(ascii: "\\"),
        0..<0x20, 0x7F...:
        out += percent(byte)
      default: out += String(UnicodeScalar(byte))
      }
    }
    return out
  }

  /// `text` with every byte but unreserved ASCII percent-encoded (a URL fragment parameter).
  static func percentEncoded(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
        UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
        out += String(UnicodeScalar(byte))
      default: out += percent(byte)
      }
    }
    return out
  }

  private static func percent(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
  }

  static func truncate(_ text: String, to limit: Int = 400) -> String {
    text.count > limit ? String(text.prefix(limit)) + "…" : text
  }
}
