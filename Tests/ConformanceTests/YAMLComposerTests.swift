import TensorIO
import TestSupport
import Testing

@testable import Conformance

/// `YAMLComposer` reads corpus and expectation files with libyaml directly; Yams, which read them before (and
/// whose resolver defines what a plain scalar is), is the reference, run as `yaml-reference` (a process of its
/// own, so that the composer here uses the libyaml `adaptest` ships): the same tree — kinds, texts, scalar
/// types, lines and columns — or the same error, message and place, for every committed YAML file, for
/// hand-written documents aimed at each rule, and for seeded mutations of the committed files.
@Suite("YAML composer against Yams")
struct YAMLComposerTests {
  @Test("every committed YAML file composes as Yams composes it", arguments: Self.committedFiles())
  func committedFile(_ path: String) throws {
    let text = String(decoding: try FileSystem.read(path), as: UTF8.self)
    let ours = Self.ours(text)
    #expect(ours == (try Self.reference([text]))[0])
    #expect(!ours.hasPrefix("error"), "\(ours)")
  }

  @Test("documents aimed at each rule compose as Yams composes them")
  func documents() throws {
    let expected = try Self.reference(Self.documents)
    for (text, reference) in zip(Self.documents, expected) {
      #expect(Self.ours(text) == reference, "\(text.debugDescription)")
    }
  }

  @Test("plain scalars resolve to Yams's tags (seeded strings over the resolvers' alphabet)")
  func resolver() throws {
    var generator = SeededGenerator(seed: 0x59A3_1_2026)
    let alphabet = Array("0123456789_+-.:eEbBoOxXaAfFtTzZ nN~lLuUiIsSyY<=\t")
    var literals = Self.scalarEdges
    for _ in 0..<20_000 {
      let length = Int(generator.next() % 12)
      literals.append(String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }))
    }
    let folder = TemporaryDirectory("yaml-resolver")
    let file = try folder.write("literals", literals.map { $0 + "\n" }.joined())
    let result = try ExternalCommand.run([try #require(Self.referenceTool), "--resolve", file])
    let tags = result.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    try #require(tags.count == literals.count, "\(result.errors)")
    let failures = zip(literals, tags).filter { YAMLScalarResolver.tag(of: $0.0) != $0.1 }
    #expect(failures.isEmpty, "\(failures.prefix(20).map { "'\($0.0)' ours \(YAMLScalarResolver.tag(of: $0.0)), Yams \($0.1)" })")
  }

  @Test("seeded mutations of the committed files compose, or fail, as with Yams")
  func mutations() throws {
    var generator = SeededGenerator(seed: 0xC0_4505E)
    let texts = try Self.committedFiles().map { String(decoding: try FileSystem.read($0), as: UTF8.self) }
    let inserts = Array(":-[]{},#&*!|>'\"?% \n\t\u{0}é")
    var errors = 0
    var mutants: [String] = []
    for round in 0..<1_500 {
      var text = Array(texts[round % texts.count])
      for _ in 0..<(1 + Int(generator.next() % 3)) where !text.isEmpty {
        let at = Int(generator.next() % UInt64(text.count))
        switch generator.next() % 3 {
        case 0: text.remove(at: at)
        case 1: text.insert(inserts[Int(generator.next() % UInt64(inserts.count))], at: at)
        default: text.insert(text[at], at: at)
        }
      }
      mutants.append(String(text))
    }
    let expected = try Self.reference(mutants)
    for (document, reference) in zip(mutants, expected) {
      let ours = Self.ours(document)
      #expect(ours == reference, "\(document.debugDescription)")
      if ours.hasPrefix("error") { errors += 1 }
    }
    // Both paths are exercised: most mutants still compose, a good share fail.
    #expect(errors > 100 && errors < 1_400, "\(errors) errors")
  }

  @Test("an alias that gets past the scan is refused, never expanded")
  func aliasPastTheScan() {
    #expect(throws: YAMLSyntaxError.self) { try YAMLComposer.compose("a: &x [1, 2]\nb: *x\n") }
    #expect(Self.ours("a: &x [1, 2]\nb: *x\n").hasPrefix("error 1:4 YAML anchors and aliases"))
  }

  @Test("block nesting is refused at the depth Yams refuses it", arguments: [998, 999, 1_000, 1_001])
  func blockNestingLimit(_ depth: Int) throws {
    let mappings = (0..<depth).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n") + " 1\n"
    let lists = (0..<depth).map { String(repeating: " ", count: $0 * 2) + "-" }.joined(separator: "\n") + " 1\n"
    for (text, reference) in zip([mappings, lists], try Self.reference([mappings, lists])) {
      let ours = Self.ours(text)
      #expect(ours.hasPrefix("error") == reference.hasPrefix("error"), "\(ours.prefix(120))")
      #expect(ours.hasPrefix("error") == (depth > YAMLComposer.nestingLimit), "\(ours.prefix(120))")
    }
  }

  @Test("flow nesting is refused past the same depth; Yams's look-ahead lets it go a dozen levels further")
  func flowNestingLimit() throws {
    func flow(_ depth: Int) -> String { "k: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n" }
    // One block mapping and `depth` lists.
    #expect(!Self.ours(flow(YAMLComposer.nestingLimit - 1)).hasPrefix("error"))
    #expect(Self.ours(flow(YAMLComposer.nestingLimit)).contains("maximum nesting level"))
    let depths = [990, 998, 1_013, 1_100, 100_000]
    for (depth, reference) in zip(depths, try Self.reference(depths.map(flow))) {
      #expect(Self.ours(flow(depth)).hasPrefix("error") == reference.hasPrefix("error"), "\(depth)")
    }
  }

  // MARK: Inputs

  /// The corpus's YAML files (cases, matrix, expectations), listed as the corpus loader lists them.
  static func committedFiles() -> [String] {
    let relative = (try? Corpus.files(under: Repository.corpus)) ?? []
    return relative.filter(RecipeFiles.isYAML).map { FileSystem.join(Repository.corpus, $0) }
  }

  static let scalarEdges = [
    "", "~", "null", "Null", "NULL", "nULL", "yes", "Yes", "YES", "yEs", "y", "n", "on", "OFF", "True", "tRUE",
    "0", "00", "0_", "0o", "0o7", "0o8", "08", "09", "0b", "0b10", "0b12", "0x", "0x1F", "0xg", "-0", "+0", "+-1",
    "1_000", "_1", "1:30", "1:60", "1:5:3", "190:20:30", "0:30", "1:123", "-1:59", "1:", ":1",
    "1.5", "1.", ".5", "-.5", "1e5", "1e", "1e+5", "1E-05", ".5e5", ".5e+5", "1_0.0_1", "1:30.5", "1:30.", "-1:30.5",
    ".inf", "-.inf", "+.Inf", ".INF", ".nan", "-.nan", ".NaN", "1.2.3", "1__", "-", "+", ".", "._", "._1",
    "<<", "=", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2001-1-1 1:00:00",
    "2001-12-14 21:59:43.10Z", "2001-12-14T21:59:43", "2001-12-14 21:59:43 ", "2001-12-1", "20011-12-14",
  ]

  static let documents = [
    "", "# only a comment\n", "---\n", "--- \n...\n", "%YAML 1.1\n---\na: 1\n", "a: 1\n---\nb: 2\n", "a: 1\n...\n",
    "key: value\nlist:\n  - 1\n  - two\n  - 3.0\n  - true\n  - ~\n", "flow: {a: [1, 2], b: {c: d}}\n",
    "quoted: ['1', \"true\", 'null', \"\"]\n", "block: |\n  line\n   more\nfolded: >\n  a\n  b\n\n  c\n",
    "tags: [!!str 1, !!int 1, !!int \"1\", ! 12, !custom x, !!float 3, !!bool yes, !!null '']\n",
    "a: 1\na: 2\n", "a: 1\n'a': 2\n", "a b: 1\na: 2\na b: 3\na: 4\n", "ab: 1\n'a''': 2\nab: 3\n'a''': 4\n", "1: x\n'1': y\n", "b: 1\na: 2\nb: 3\na: 4\nc: 5\n", "x:\n  k: 1\n  k: 2\n",
    "? [a, b]\n: 1\n? [a, b]\n: 2\n", "? {a: 1}\n: x\n", "a: b: c\n", "a:\n\t- 1\n", "a: 'unclosed\n",
    "a: \"bad \\q escape\"\n", "- a\nb: c\n", "a: [1, 2\n", "a: {b\n", "a: 1\n  b: 2\n", "\u{FEFF}a: 1\n", "a: \u{FEFF}4\nb: \u{FEFF}\nc: \u{FEFF}\u{FEFF}x\nd: '\u{FEFF}q'\n", "a: 1\n\"\u{FEFF}a\": 2\n",
    "a: 1\r\nb: [x,\r\n y]\r\n", "ключ: значение\n名前: 値\n", "a: \"\\0 and \\u00e9\"\n", "a: x\u{0}y\n",
    "a: \u{7}\n", "- - - deep\n    - x\n", "plain: multi\n  line\n\n  text\n", "k: @reserved\n", "k: `tick\n",
    "a: &anchor 1\nb: *anchor\n", "a: *undefined\n", "- !!map {a: 1}\n- !!seq [1]\n- !!str [1]\n",
    "empty: \nnull-key:\n  ~: 1\n", "? \n: v\n", "[a, b]: c\n", "{a: 1}\n", "[1, 2]\n", "scalar only\n",
    "k: 'it''s'\n", "k: \"a\\\n  b\"\n", "k: >-\n  x\n\nk2: |+\n  y\n\n", "- 0x1F\n- 0o17\n- 1:30\n- .5\n- 2001-12-14\n",
  ]

  // MARK: Both readers, as one comparable text

  /// The corpus reader's path: anchors and aliases refused by ``YAMLAliasScan``, then the composer.
  static func ours(_ text: String) -> String {
    do {
      guard let node = try YAMLDocument.parse(text) else { return "empty" }
      return dump(node)
    } catch {
      return "error \(error.line):\(error.column) \(error.message)".replacing("\n", with: "\\n")
    }
  }

  static let referenceTool = ExternalCommand.builtExecutable("yaml-reference")

  /// `yaml-reference` on each text, in order. A text the anchor scan refuses never reaches a YAML parser, on either
  /// path: its answer is the scan's own.
  static func reference(_ texts: [String]) throws -> [String] {
    let folder = TemporaryDirectory("yaml-reference")
    let scanned = texts.map { YAMLAliasScan.firstAnchorOrAlias(in: $0) == nil }
    var files: [String] = []
    for (index, text) in texts.enumerated() where scanned[index] {
      files.append(try folder.write("\(index).yaml", text))
    }
    let result = try ExternalCommand.run([try #require(referenceTool)] + files)
    var lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)[...]
    try #require(lines.count == files.count, "\(result.errors)")
    return texts.indices.map { scanned[$0] ? lines.removeFirst() : ours(texts[$0]) }
  }

  /// The tree as `yaml-reference` prints it (errors on one line).
  static func dump(_ node: YAMLNode) -> String {
    switch node.kind {
    case .scalar(let text, let type): "\(node.line):\(node.column) \(type) \(text.debugDescription)"
    case .sequence(let items): "\(node.line):\(node.column) [" + items.map(dump).joined(separator: ", ") + "]"
    case .mapping(let pairs):
      "\(node.line):\(node.column) {" + pairs.map { dump($0.key) + ": " + dump($0.value) }.joined(separator: ", ") + "}"
    }
  }
}
