import Foundation
import FoundationXML
import TensorIO
import Testing

@testable import Conformance

/// Case ids, loader names, keys and messages are attacker-controlled (a contributed case, a driver's
/// output, someone else's results.json). Each report format is rendered twice, once with hostile
/// strings in every field and once with a harmless twin of the same run; the structure of the two
/// outputs must be the same, and the hostile text must come through intact where the format can
/// hold it.
@Suite("Hostile names in reports")
struct HostileNameReportTests {
  static let hostile = [
    "\u{1B}[31mred\u{1B}[0m\u{1B}]0;title\u{7}", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
    "a|b`c*d_e[f](javascript:alert(1))~g", "line1\nline2\r\n# heading\n| row |", "../../etc/passwd", "tab\there",
    "\u{0}nul\u{7}bell\u{8}", "&amp; &lt; &#60;", "]]><!-- -->", "\u{202E}evil\u{2066}", "\\back\\slash", "'single'",
    "\u{FFFE}\u{FFFF}", "\u{85}next-line\u{2028}\u{2029}", "x\\|y", "`code` | ``",
  ]

  /// A run whose every free-text field holds `text` (in a form each field accepts).
  static func run(_ text: (Int) -> String) -> RunResults {
    let loader = "drv-\(text(0))"
    let info = RunInfo(
      toolVersion: "0.1.0", corpusHash: String(repeating: "ab", count: 32), timestamp: "2026-01-02T03:04:05Z",
      loaders: [LoaderInfo(id: loader, name: text(1), version: text(2), versions: [text(3): text(4)])],
      filter: text(5), shards: [text(6)])
    let statuses: [CaseStatus] = [.pass, .fail, .error, .timeout, .skip, .xfail, .xpass]
    let results = statuses.enumerated().map { i, status in
      CaseResult(
        loader: loader, id: "family-\(i)/\(text(7 + i))", format: .safetensors, status: status,
        expected: OutcomeJSON.encode(ExpectedOutcome(missingKeys: .exactly([text(20)]), error: ErrorExpectation.none)),
        actual: OutcomeJSON.encode(ObservedOutcome(missingKeys: [text(21)], unexpectedKeys: [text(22)]), reports: [.missingKeys, .unexpectedKeys, .error]),
        message: text(23 + i),
        expectation: status == .xfail || status == .xpass ? ExpectationNote(status: .xfail, reason: text(31), ref: text(32)) : nil,
        coordinates: CaseCoordinates(architecture: text(33), mutation: text(34), tuner: text(35)),
        description: text(36 + i))
    }
    return RunResults(info: info, results: results)
  }

  /// The hostile run for one string, and its twin with a harmless string of letters in the same fields.
  static func pair(_ hostile: String) -> (hostile: RunResults, benign: RunResults) {
    (run { _ in hostile }, run { i in "benign\(i)" })
  }

  static func count(_ text: String, _ character: Character) -> Int { text.reduce(0) { $0 + ($1 == character ? 1 : 0) } }

  @Test("summary.md: same lines, same table cells, no control characters, no live HTML", arguments: hostile)
  func markdown(_ text: String) {
    let (bad, good) = Self.pair(text)
    let diff = ResultsDiff.compare(old: good, new: bad)
    let md = SummaryReport.render(bad, diff: diff)
    let twin = SummaryReport.render(good, diff: ResultsDiff.compare(old: good, new: good))
    let lines = md.split(separator: "\n", omittingEmptySubsequences: false)
    // Same number of lines as the twin, except for the baseline section, whose length depends on
    // how the two runs compare: checked without the diff too.
    let plain = SummaryReport.render(bad).split(separator: "\n", omittingEmptySubsequences: false)
    let plainTwin = SummaryReport.render(good).split(separator: "\n", omittingEmptySubsequences: false)
    #expect(plain.count == plainTwin.count, "a name cannot add lines")
    #expect(plain.map { $0.first } == plainTwin.map { $0.first }, "a name cannot start a heading, list item or row")
    for (line, twinLine) in zip(plain, plainTwin) where line.hasPrefix("|") {
      #expect(Self.unescapedPipes(line) == Self.unescapedPipes(twinLine), "\(line)")
    }
    #expect(!md.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7F })
    // Markup outside code spans (inside them, CommonMark shows text as it is) is the report's own.
    let live = lines.map { Self.outsideCodeSpans($0) }.joined(separator: "\n")
    let twinLive = twin.split(separator: "\n", omittingEmptySubsequences: false).map { Self.outsideCodeSpans($0) }
      .joined(separator: "\n")
    #expect(Self.count(live, "<") == Self.count(twinLive, "<"), "no HTML from the data")
    #expect(!live.contains("<script") && !live.contains("<img") && !live.contains("<!--"))
    #expect(lines.count > 10)
  }

  /// A Markdown line without its code spans (a run of n backticks up to the next run of exactly n)
  /// and without the report's own `<code>…</code>` elements, whose content is HTML-escaped.
  static func outsideCodeSpans(_ line: Substring) -> String {
    var out = ""
    var rest = line[...]
    while let tick = rest.firstIndex(of: "`") {
      out += rest[..<tick]
      let fence = rest[tick...].prefix { $0 == "`" }
      let after = rest[fence.endIndex...]
      // The closing fence: a run of exactly the same length.
      var search = after.startIndex
      var close: Range<Substring.Index>?
      while let found = after[search...].range(of: String(fence)) {
        let before = found.lowerBound == after.startIndex || after[after.index(before: found.lowerBound)] != "`"
        let end = found.upperBound == after.endIndex || after[found.upperBound] != "`"
        if before && end {
          close = found
          break
        }
        search = after.index(after: found.lowerBound)
      }
      guard let close else {
        out += fence
        rest = after
        continue
      }
      rest = after[close.upperBound...]
    }
    out += rest
    return out.replacingOccurrences(of: "<code>", with: "").replacingOccurrences(of: "</code>", with: "")
  }

  /// `|` characters not escaped with a backslash: the cells of a Markdown table row.
  static func unescapedPipes(_ line: Substring) -> Int {
    var count = 0
    var escaped = false
    for c in line {
      if c == "|" && !escaped { count += 1 }
      escaped = c == "\\" && !escaped
    }
    return count
  }

  @Test("junit.xml: well-formed, same elements as the twin, names come back exactly (where XML can hold them)", arguments: hostile)
  func junit(_ text: String) throws {
    let (bad, good) = Self.pair(text)
    let parsed = try Self.parse(JUnitReport.render(bad))
    let twin = try Self.parse(JUnitReport.render(good))
    #expect(parsed.map(\.name) == twin.map(\.name))
    let expected = Self.xmlVisible(text)
    let names = parsed.filter { $0.name == "testcase" }.compactMap { $0.attributes["name"] }
    #expect(names.count == 7)
    #expect(names.allSatisfy { $0.contains(expected) }, "\(names)")
    #expect(parsed.first { $0.name == "testsuite" }?.attributes["name"] == "drv-" + expected)
  }

  /// What a string looks like after XML escaping and parsing: characters XML 1.0 cannot hold become U+FFFD.
  static func xmlVisible(_ text: String) -> String {
    String(String.UnicodeScalarView(text.unicodeScalars.map { Escaping.isForbiddenInMarkup($0) ? "\u{FFFD}" : $0 }))
  }

  static func parse(_ xml: String) throws -> [XMLCollector.Element] {
    let parser = XMLParser(data: Data(xml.utf8))
    let collector = XMLCollector()
    parser.delegate = collector
    guard parser.parse() else { throw ParseFailure(detail: "\(parser.parserError.map { "\($0)" } ?? "?")") }
    return collector.elements
  }

  struct ParseFailure: Error { var detail: String }

  @Test("index.html: same markup as the twin; the embedded data gives back every string exactly", arguments: hostile)
  func html(_ text: String) throws {
    let (bad, good) = Self.pair(text)
    let page = HTMLReport.render(bad, diff: ResultsDiff.compare(old: good, new: bad))
    let twin = HTMLReport.render(good, diff: ResultsDiff.compare(old: good, new: good))
    #expect(Self.count(page, "<") == Self.count(twin, "<"), "no markup from the data")
    #expect(Self.count(page, ">") == Self.count(twin, ">"))
    #expect(page.components(separatedBy: "</script").count == 3, "only the two real script elements close")
    // The data element's JSON parses, and holds the hostile strings unchanged.
    let open = "<script id=\"data\" type=\"application/json\">"
    let start = try #require(page.range(of: open)).upperBound
    let end = try #require(page.range(of: "</script>", range: start..<page.endIndex)).lowerBound
    let data = try JSONValue.parse(String(page[start..<end]))
    #expect(Self.strings(in: data).contains { $0.contains(text) }, "the page shows the name as it is")
  }

  static func strings(in value: JSONValue) -> [String] {
    switch value {
    case .string(let s): [s]
    case .array(let items): items.flatMap(strings(in:))
    case .object(let object): object.flatMap { [$0.key] + strings(in: $0.value) }
    default: []
    }
  }

  @Test("results.json: hostile strings round-trip exactly", arguments: hostile)
  func resultsFile(_ text: String) throws {
    let run = Self.run { _ in text }
    #expect(try ResultsFile.decode(Array(ResultsFile.encode(run).utf8)) == run)
  }

  @Test("terminal: no control, escape or direction-changing character survives", arguments: hostile)
  func terminal(_ text: String) {
    let shown = DisplayText.terminalSafe(text)
    #expect(!shown.unicodeScalars.contains { s in
      s.value < 0x20 || (0x7F..<0xA0).contains(s.value) || (0x202A...0x202E).contains(s.value)
        || (0x2066...0x2069).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
    }, "\(shown.debugDescription)")
  }
}
