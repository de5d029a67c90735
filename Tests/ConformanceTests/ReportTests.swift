import Foundation
import FoundationXML
import TensorIO
import TestSupport
import Testing

@testable import Conformance

@Suite("Results and reports")
struct ReportTests {
  @Test func resultsAreSortedByLoaderIDAndFormat() {
    let keys = ReportFixtures.run().results.map(\.key.description)
    #expect(keys == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } || keys == ReportFixtures.run().results.map(\.key).sorted().map(\.description))
    #expect(ReportFixtures.run().results.map(\.key) == ReportFixtures.run().results.map(\.key).sorted())
  }

  @Test func resultsJSONRoundTrips() throws {
    let run = ReportFixtures.run()
    let text = ResultsFile.encode(run)
    let decoded = try ResultsFile.decode(Array(text.utf8))
    #expect(decoded.results == run.results)
    #expect(decoded.info.corpusHash == run.info.corpusHash)
    #expect(decoded.info.loaders.map(\.id) == ["recommended", "peft@0.21.2"])
    #expect(decoded.info.loaders[1].capabilities.tuners == ["LORA", "LOHA"])
    #expect(decoded.info.loaders[1].versions == ["torch": "2.13.0", "peft": "0.21.2"])
    #expect(ResultsFile.encode(decoded) == text, "decode then encode gives the same bytes")
  }

  @Test func onlyTheTimestampVaries() {
    let a = ResultsFile.encode(ReportFixtures.run(timestamp: "2026-01-01T00:00:00Z"))
    let b = ResultsFile.encode(ReportFixtures.run(timestamp: "2027-12-31T23:59:59Z"))
    let differing = zip(a.split(separator: "\n"), b.split(separator: "\n")).filter { $0 != $1 }
    #expect(differing.count == 1)
    #expect(differing.first?.0.contains("\"timestamp\"") == true)
    // Building the same run twice from shuffled input gives identical bytes.
    var shuffled = ReportFixtures.run().results
    shuffled.reverse()
    #expect(ResultsFile.encode(RunResults(info: ReportFixtures.info(), results: shuffled)) == ResultsFile.encode(ReportFixtures.run()))
  }

  @Test func totalsCountEveryStatus() throws {
    let json = try JSONValue.parse(ResultsFile.encode(ReportFixtures.run()))
    #expect(json["totals"]?["peft@0.21.2"]?["XFAIL"]?.intValue == 1)
    #expect(json["totals"]?["peft@0.21.2"]?["ERROR"]?.intValue == 1)
    #expect(json["totals"]?["recommended"]?["PASS"]?.intValue == 1)
    #expect(json["totals"]?["recommended"]?["XPASS"]?.intValue == 0)
  }

  @Test(arguments: [
    ("{}", "format: missing"),
    ("[]", "expected an object"),
    ("{\"format\":\"x\"}", "not an adaptest results file"),
    ("not json", "not valid JSON"),
  ])
  func rejectsOtherDocuments(_ text: String, _ message: String) {
    #expect {
      _ = try ResultsFile.decode(Array(text.utf8))
    } throws: { error in
      (error as? JSONShapeError)?.description.contains(message) == true
    }
  }

  @Test func rejectsUnknownStatus() {
    let text = ResultsFile.encode(ReportFixtures.run()).replacingOccurrences("\"XPASS\"", "\"MAYBE\"")
    #expect(throws: JSONShapeError.self) { try ResultsFile.decode(Array(text.utf8)) }
  }

  @Test func junitIsWellFormedAndCounts() throws {
    let xml = JUnitReport.render(ReportFixtures.run())
    let parser = XMLParser(data: Data(xml.utf8))
    let collector = XMLCollector()
    parser.delegate = collector
    #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    #expect(collector.elements.filter { $0.name == "testcase" }.count == 7)
    let suites = collector.elements.filter { $0.name == "testsuite" }
    #expect(suites.map { $0.attributes["name"] } == ["recommended", "peft@0.21.2"])
    #expect(suites[1].attributes["failures"] == "1", "XPASS is a failure")
    #expect(suites[1].attributes["errors"] == "1")
    #expect(suites[1].attributes["skipped"] == "2", "SKIP and XFAIL")
    #expect(suites[0].attributes["errors"] == "1", "TIMEOUT is an error")
    let nastyCase = collector.elements.first { $0.name == "testcase" && $0.attributes["name"]?.contains("alert") == true }
    #expect(nastyCase?.attributes["name"]?.contains("</script>") == true, "the name survives escaping")
  }

  /// The classname rule: the loader, then the id's non-empty `/`-parts but the last, joined by dots —
  /// split at bytes for ASCII ids, at Characters otherwise (where a "/" may carry a combining mark).
  @Test(arguments: [
    ("matrix/llama/vocab-grow", "recommended.matrix.llama"), ("solo", "recommended"), ("a//b/c", "recommended.a.b"),
    ("/x", "recommended"), ("x/", "recommended"), ("/", "recommended"), ("x//", "recommended"),
    ("é/ü/z", "recommended.é.ü"), ("a/\u{301}/b", "recommended.a/\u{301}"),
  ])
  func junitClassnames(id: String, classname: String) {
    let result = CaseResult(loader: "recommended", id: id, format: nil, status: .pass)
    #expect(JUnitReport.classname(result) == classname)
  }

  /// Results in key order whatever order they come in: as a run delivers them (case run by case run, each
  /// with every loader's), reversed, shuffled, and with one case run out of place — against a sort by the
  /// key's definition.
  @Test(arguments: ["as run", "reversed", "shuffled", "one out of place"])
  func resultsInKeyOrder(_ arrangement: String) {
    let loaders = ["recommended", "peft@0.21.2", "peft", "peft-0.13"]
    var asRun: [CaseResult] = []
    for id in ["a/x", "a/y", "b", "b/é", "c/z"] {
      for format in [CheckpointFormat.hdf5, .safetensors] {
        asRun += loaders.map { CaseResult(loader: $0, id: id, format: format, status: .pass) }
      }
    }
    asRun += loaders.map { CaseResult(loader: $0, id: "d", format: nil, status: .fail) }
    var given = asRun
    switch arrangement {
    case "reversed": given.reverse()
    case "shuffled":
      var generator = SeededGenerator(seed: 7)
      given.shuffle(using: &generator)
    case "one out of place": given.swapAt(0, 8)
    default: break
    }
    let sorted = given.sortedByKey()
    #expect(sorted == asRun.sorted { $0.key < $1.key })
    #expect(RunResults(info: ReportFixtures.run().info, results: given).results == sorted)
  }

  @Test func htmlEmbedsDataThatCannotCloseTheScript() {
    let html = HTMLReport.render(ReportFixtures.run())
    #expect(html.components("</script>").count - 1 == 2, "only the two real script elements close")
    #expect(!html.contains("<!--"))
    #expect(html.contains("alert(1)"), "the data is there, escaped")
    #expect(!html.contains("http://") && !html.contains("https://"), "no network")
    #expect(html == HTMLReport.render(ReportFixtures.run()))
  }

  @Test func summaryListsUnexpectedResultsEscaped() {
    let md = SummaryReport.render(ReportFixtures.run())
    #expect(md.hasPrefix("# Adaptest conformance: 4 unexpected result(s) of 7\n"))
    #expect(md.contains("| `peft@0.21.2` | 0.21.2 | 0 | 0 | 1 | 0 | 1 | 1 | 1 | 4 |"))
    #expect(md.contains("- **FAIL** `a/one [safetensors]` — missing\\_keys: expected none, got 1: k"))
    #expect(!md.contains("\n# h"), "a message cannot start a heading")
    #expect(md.contains("— &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp;"), "HTML in messages is defused")
    #expect(!md.contains("\u{1B}"))
  }

  @Test func escapingPerFormat() {
    #expect(Escaping.html("<a href='x'>&</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;")
    #expect(Escaping.xml("a\"b\n\u{1}", attribute: true) == "a&quot;b&#10;\u{FFFD}")
    #expect(Escaping.markdown("*x* [y](z) | a\nb") == "\\*x\\* \\[y\\](z) \\| a b")
    #expect(Escaping.markdownCode("a`b") == "`` a`b ``")
    #expect(Escaping.markdownCode("plain") == "`plain`")
    #expect(Escaping.scriptJSON("\"</script>\u{2028}\"") == "\"\\u003c/script\\u003e\\u2028\"")
  }

  /// The escapes on UTF-8 bytes give what escaping scalar by scalar by the same rules gives (written
  /// out here as the rules read), for every ASCII character, the non-characters and their neighbours,
  /// and text around them.
  @Test func escapingBytesAsScalarByScalar() {
    func byScalar(_ text: String, _ rule: (Unicode.Scalar) -> String?) -> String {
      var out = ""
      for scalar in text.unicodeScalars {
        if let replaced = rule(scalar) {
          out += replaced
        } else if Escaping.isForbiddenInMarkup(scalar) {
          out += "\u{FFFD}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
      return out
    }
    let html: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"]
    let xmlText: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"]
    let xmlAttribute = xmlText.merging(["\"": "&quot;", "'": "&apos;", "\n": "&#10;", "\t": "&#9;"]) { a, _ in a }
    var markdown: [Unicode.Scalar: String] = ["<": "&lt;", ">": "&gt;", "&": "&amp;", "\n": " ", "\r": " ", "\t": " "]
    for c in "\\`*_[]|~".unicodeScalars { markdown[c] = "\\" + String(c) }
    var samples = (0..<128).map { String(Unicode.Scalar(UInt8($0))) }
    samples += ["\u{FFFE}", "\u{FFFF}", "\u{FFFD}", "\u{FFFC}", "\u{F000}", "\u{EFFF}", "\u{10FFFF}", "é", "e\u{301}", "🙂"]
    samples.append("a\r\nb<c>&\"d'\u{1}\u{7F}\u{FFFE}x\u{FFFF}y\u{FFFD}\tz 🙂 [k]|~`_*\\")
    for text in samples + [samples.joined()] {
      #expect(Escaping.html(text) == byScalar(text) { html[$0] }, "\(text.unicodeScalars.map(\.value))")
      #expect(Escaping.xml(text) == byScalar(text) { xmlText[$0] }, "\(text.unicodeScalars.map(\.value))")
      #expect(Escaping.xml(text, attribute: true) == byScalar(text) { xmlAttribute[$0] }, "\(text.unicodeScalars.map(\.value))")
      #expect(Escaping.markdown(text) == byScalar(text) { markdown[$0] }, "\(text.unicodeScalars.map(\.value))")
    }
  }

  /// The byte-level fast paths agree with the character rules at their edges: the text as it is
  /// when nothing needs escaping, U+2027/U+2030 and U+FFFD (the same lead bytes as the replaced
  /// U+2028/U+2029 and U+FFFE/U+FFFF) left alone, DEL and the non-characters replaced.
  @Test(arguments: [
    ("plain.text-0_9/ok", false, "plain.text-0_9/ok"),
    ("é 日本 🙂", true, "é 日本 🙂"),
    ("a'b\"c", false, "a'b\"c"),
    ("a'b\"c", true, "a&apos;b&quot;c"),
    ("x\u{FFFD}y\u{FFFE}z\u{FFFF}", false, "x\u{FFFD}y\u{FFFD}z\u{FFFD}"),
    ("del\u{7F}", false, "del\u{FFFD}"),
    ("tab\tnl\n", false, "tab\tnl\n"),
  ])
  func xmlEscapingAtTheFastPathsEdges(text: String, attribute: Bool, expected: String) {
    #expect(Escaping.xml(text, attribute: attribute) == expected)
  }

  @Test(arguments: [
    ("{\"a\":\"plain\"}", "{\"a\":\"plain\"}"),
    ("\u{2027}\u{2028}\u{2029}\u{2030}", "\u{2027}\\u2028\\u2029\u{2030}"),
    ("a&b<c>d é", "a\\u0026b\\u003cc\\u003ed é"),
    ("end\u{2028}", "end\\u2028"),
  ])
  func scriptJSONEscapingByteByByte(json: String, expected: String) {
    #expect(Escaping.scriptJSON(json) == expected)
  }

  @Test(arguments: [
    ("plain key", false, "\"plain key\""),
    ("é\u{7F}", false, "\"é\u{7F}\""),
    ("é\u{7F}", true, "\"\\u00e9\\u007f\""),
    ("q\"b\\s/", false, "\"q\\\"b\\\\s/\""),
    ("\u{1F642}", true, "\"\\ud83d\\ude42\""),
  ])
  func jsonStringsWithAndWithoutEscapes(text: String, asciiOnly: Bool, expected: String) {
    var out = ""
    JSONWriter.writeString(text, asciiOnly: asciiOnly, into: &out)
    #expect(out == expected)
  }

  @Test func writesTheFourFiles() throws {
    let dir = TemporaryDirectory()
    let out = dir.file("reports/latest")
    let diff = try ReportWriter.write(ReportFixtures.run(), baseline: ReportFixtures.run(), to: out)
    #expect(diff?.hasRegressions == false)
    for name in ReportWriter.fileNames { #expect(FileSystem.isFile(FileSystem.join(out, name)), "\(name)") }
    let reread = try ReportWriter.read(FileSystem.join(out, "results.json"))
    #expect(reread == ReportFixtures.run())
    #expect(try FileSystem.contents(ofDirectory: out).count == 4, "no temporary files left behind")
  }

  /// Issue 15: the four files were renamed into the folder one at a time, so a kill or a full disk
  /// midway left the new summary beside the previous run's results. Now the set is switched in as a
  /// folder: a second write replaces all four, keeps what else the folder held, and leaves nothing
  /// beside it.
  @Test func secondWriteReplacesTheWholeSet() throws {
    let dir = TemporaryDirectory()
    let out = dir.file("reports/latest")
    var first = ReportFixtures.run()
    first.info.timestamp = "2020-01-01T00:00:00Z"
    try ReportWriter.write(first, to: out)
    try AtomicFile.write(text: "mine", to: FileSystem.join(out, "notes.txt"))
    let second = ReportFixtures.run()
    try ReportWriter.write(second, to: out + "/")
    #expect(try ReportWriter.read(FileSystem.join(out, "results.json")) == second)
    for name in ["summary.md", "index.html", "junit.xml"] {
      let text = String(decoding: try FileSystem.read(FileSystem.join(out, name)), as: UTF8.self)
      #expect(!text.contains("2020-01-01"), "\(name) is from the first run")
    }
    #expect(try FileSystem.read(FileSystem.join(out, "notes.txt")) == Array("mine".utf8))
    #expect(try FileSystem.contents(ofDirectory: dir.file("reports")) == ["latest"], "nothing left beside the folder")
  }

  /// Issue 15: an unusable `--out` was found only after the whole run.
  @Test func unwritableFolderIsFoundBeforeTheRun() throws {
    let dir = TemporaryDirectory()
    try AtomicFile.write(text: "x", to: dir.file("file"))
    #expect(throws: FileError.self) { try ReportWriter.checkWritable(dir.file("file/reports")) }
    #expect(throws: FileError.self) { try ReportWriter.checkWritable(dir.file("file")) }
    try ReportWriter.checkWritable(dir.file("new/reports"))
    #expect(try FileSystem.contents(ofDirectory: dir.file("new")).isEmpty, "the probe is removed")
  }
}

/// Collects element names and attributes from an XML document.
final class XMLCollector: NSObject, XMLParserDelegate {
  struct Element {
    var name: String
    var attributes: [String: String]
  }
  var elements: [Element] = []

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    elements.append(Element(name: elementName, attributes: attributes))
  }
}

extension String {
  func components(_ separator: String) -> [String] { components(separatedBy: separator) }

  func replacingOccurrences(_ target: String, _ replacement: String) -> String {
    replacingOccurrences(of: target, with: replacement)
  }
}
