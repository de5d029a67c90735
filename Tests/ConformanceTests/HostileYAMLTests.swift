import Synthesis
import TensorIO
import TestSupport
import Testing

@testable import Conformance

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Corpus and expectation files are contributed by others: YAML that expands, nests or hides
/// anchors must give a diagnostic quickly and in little memory, never a hang or a crash.
@Suite("Hostile YAML")
struct HostileYAMLTests {
  /// Nine lines of nested aliases ("billion laughs"): 9^10 scalars once expanded.
  static func laughs(prefix: String = "", suffix: String = "") -> String {
    var lines = [prefix + #"a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
    for level in 1..<10 {
      lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ",") + "]")
    }
    return lines.joined(separator: "\n") + "\n" + suffix
  }

  static func seconds(_ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let elapsed = clock.measure(body)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
  }

  @Test("a billion-laughs case file is refused at its first anchor, without expanding it")
  func billionLaughsCase() {
    var result: (CaseSpec?, [LintDiagnostic]) = (nil, [])
    let elapsed = Self.seconds { result = CaseDecoder().decode(Self.laughs(), file: "cases/x.yaml") }
    #expect(result.0 == nil)
    let diagnostic = result.1.first
    #expect(result.1.count == 1)
    #expect(diagnostic?.severity == .error)
    #expect(diagnostic?.message.contains("anchors and aliases") == true)
    // `a0: &a0 …`: the anchor is on line 1, column 5.
    #expect(diagnostic?.location.line == 1)
    #expect(diagnostic?.location.column == 5)
    #expect(elapsed < 1, "took \(elapsed) s")
  }

  @Test("an aliased mapping key (hashed by the YAML library's duplicate check) is refused too")
  func billionLaughsKey() {
    let text = Self.laughs(suffix: "? *a9\n: 1\n? *a9\n: 2\n")
    var result: (CaseSpec?, [LintDiagnostic]) = (nil, [])
    let elapsed = Self.seconds { result = CaseDecoder().decode(text, file: "cases/x.yaml") }
    #expect(result.0 == nil)
    #expect(result.1.map(\.message).contains { $0.contains("anchors and aliases") })
    #expect(elapsed < 1, "took \(elapsed) s")
  }

  @Test("a billion-laughs expectation file is refused")
  func billionLaughsExpectations() {
    let text = Self.laughs(prefix: "loader: peft\n", suffix: "entries: *a9\n")
    var result: (LoaderExpectations?, [LintDiagnostic]) = (nil, [])
    let elapsed = Self.seconds {
      result = LoaderExpectationsDecoder.decode(text, file: "expectations/peft.yaml", loader: "peft")
    }
    #expect(result.0 == nil)
    #expect(result.1.map(\.message).contains { $0.contains("anchors and aliases") })
    #expect(elapsed < 1, "took \(elapsed) s")
  }

  /// `&` and `*` where YAML reads them as text must not be mistaken for anchors.
  @Test(
    "text containing & and * is not mistaken for an anchor",
    arguments: [
      "description: weights & biases * 2\n",
      "description: \"*starred* & quoted\"\n",
      "description: '*single* & ''quoted'''\n",
      "description: >\n  * a bullet\n  & more\n\n  *after a blank line\n",
      "description: |-\n    *literal*\n",
      "description: plain # *a comment* &x\n",
      "# *leading comment*\ndescription: x\n",
      "description: x\nrefs: [\"*a\", '&b', c*d]\n",
      "description: \"multi\n  *line* quoted\"\n", "--- |\n  *literal document*\n",
    ])
  func notAnAnchor(_ text: String) {
    #expect(YAMLAliasScan.firstAnchorOrAlias(in: text) == nil)
  }

  @Test(
    "anchors and aliases are found wherever a node can start",
    arguments: [
      ("a: &x 1\n", 1, 4), ("a: *x\n", 1, 4), ("- &x 1\n", 1, 3), ("[1, *x]\n", 1, 5), ("{a: *x}\n", 1, 5),
      ("a: !!str &x 1\n", 1, 10), ("? *x\n: 1\n", 1, 3), ("<<: *base\n", 1, 5), ("a: |\n  text\nb: *x\n", 3, 4),
      ("a:\n  - b\n  - *x\n", 3, 5), ("--- &x [1]\n", 1, 5),
    ])
  func anchorFound(_ text: String, _ line: Int, _ column: Int) {
    let found = YAMLAliasScan.firstAnchorOrAlias(in: text)
    #expect(found?.line == line)
    #expect(found?.column == column)
  }

  @Test("a regular-expression target such as .*\\.q_proj stays a plain string")
  func regexTargetModules() throws {
    let text = """
      id: x/regex
      description: a regex target
      base: {architecture: llama}
      adapter:
        tuner: LORA
        config: {r: 4, target_modules: .*\\.(q|v)_proj}
      expect: {error: null}

      """
    let (spec, diagnostics) = CaseDecoder().decode(text, file: "cases/x/regex.yaml", expectedID: "x/regex")
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    #expect(try #require(spec?.recipe).adapter.fields["target_modules"] == .string(".*\\.(q|v)_proj"))
  }

  @Test("nesting deeper than the YAML parser's limit is a syntax error, not a stack overflow")
  func deepNesting() {
    let deep = "id: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
    let (spec, diagnostics) = CaseDecoder().decode(deep, file: "cases/x.yaml")
    #expect(spec == nil)
    #expect(diagnostics.first?.message.contains("nesting") == true, "\(diagnostics.first?.message ?? "")")
  }

  @Test("wide files cost their size: a list of 200,000 items and a mapping of 100,000 keys given twice")
  func wideFiles() throws {
    let list = "id: [" + (0..<200_000).map(String.init).joined(separator: ", ") + "]\n"
    let keys = (0..<100_000).map { "k\($0): 1\n" }.joined()
    var composed: YAMLNode?
    var refused: YAMLSyntaxError?
    // Appending each item to a copy of its list, or looking up each duplicate in a list of them, takes minutes here.
    let elapsed = Self.seconds {
      composed = try? YAMLDocument.parse(list)
      do throws(YAMLSyntaxError) { _ = try YAMLDocument.parse(keys + keys) } catch { refused = error }
    }
    #expect(try #require(composed?.mapping?.first?.value.sequence).count == 200_000)
    #expect(refused?.message.hasPrefix("field 'k0', 'k1', 'k10', ") == true)
    #expect(refused?.line == 1)
    #expect(elapsed < 10, "took \(elapsed) s")
  }

  @Test("the deepest nesting the parser accepts decodes on a small thread stack")
  func deepestAcceptedNesting() async {
    // Swift concurrency runs the corpus loader on pool threads; 990 levels is just under the limit.
    let deep = "id: " + String(repeating: "[", count: 990) + String(repeating: "]", count: 990) + "\n"
    let diagnostics = await Task.detached { CaseDecoder().decode(deep, file: "cases/x.yaml").1 }.value
    #expect(diagnostics.contains { $0.message.contains("id") })
  }

  @Test("every committed fuzz regression input gives diagnostics, quickly", arguments: FuzzRegressions.files("corpus-case"))
  func corpusCaseRegressions(_ path: String) throws {
    let text = String(decoding: try FileSystem.read(path), as: UTF8.self)
    var result: (CaseSpec?, [LintDiagnostic]) = (nil, [])
    let elapsed = Self.seconds { result = CaseDecoder().decode(text, file: "cases/fuzz/case.yaml") }
    #expect(result.0 == nil)
    #expect(result.1.contains { $0.severity == .error })
    #expect(elapsed < 2, "took \(elapsed) s")
  }

  @Test("every committed expectation-file regression input gives diagnostics", arguments: FuzzRegressions.files("expectations"))
  func expectationRegressions(_ path: String) throws {
    let text = String(decoding: try FileSystem.read(path), as: UTF8.self)
    let (expectations, diagnostics) = LoaderExpectationsDecoder.decode(text, file: "expectations/peft.yaml", loader: "peft")
    #expect(expectations == nil)
    #expect(diagnostics.contains { $0.severity == .error })
  }
}
