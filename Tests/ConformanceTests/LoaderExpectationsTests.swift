import TensorIO
import TestSupport
import Testing

@testable import Conformance

@Suite("Loader expectation files")
struct LoaderExpectationsTests {
  static let text = """
    loader: peft
    entries:
      - match: '^names/def-after-default$'
        status: xfail
        reason: PEFT's missing-key filter is a substring test
        ref: peft-semantics§6.19
      - match: 'hdf5-only'
        status: skip
        reason: PEFT cannot read HDF5
        ref: peft-semantics§0
        formats: [hdf5]
      - match: '^names/'
        status: skip
        reason: later entries lose to earlier ones
        ref: docs/corpus.md
    """

  /// Issue 15: a `match` on which a backtracking engine is exponential hung `corpus lint` and `run`;
  /// it is now a lint error at the entry, and `--filter` gets the same check. An id without the
  /// literal every match needs (`b!` here) is rejected without running the regex, so the error comes
  /// from an id that has it and sends the engine backtracking.
  @Test func exponentialMatchIsALintError() throws {
    let hostileID = String(repeating: "a", count: 40) + "c/b!"
    let text = """
      loader: peft
      entries:
        - match: '(a+)+b!'
          status: skip
          reason: hostile
          ref: docs/corpus.md
      """
    let clock = ContinuousClock()
    var result: (LoaderExpectations?, [LintDiagnostic])?
    let elapsed = clock.measure {
      result = LoaderExpectationsDecoder.decode(
        text, file: "expectations/peft.yaml", loader: "peft", caseIDs: ["names/def-after-default-and-more", hostileID])
    }
    let (decoded, diagnostics) = try #require(result)
    #expect(decoded == nil)
    let error = try #require(diagnostics.first { $0.severity == .error })
    #expect(error.description.contains("exceeds the matching budget"), "\(error)")
    #expect(error.description.contains("expectations/peft.yaml:3"), "\(error)")
    #expect(elapsed < .seconds(30))
    let filter = try Pattern("(a+)+b!")
    #expect(throws: PatternError.self) { try filter.check(["matrix/llama/same/lora/intact", hostileID]) }
    // Without the literal, no id is matched and nothing can backtrack.
    #expect(try !Pattern("(.*)*X").check(["matrix/llama/same/lora/intact", hostileID]))
    #expect(try Pattern("^(?!matrix/)").check(["names/a", "matrix/b"]))
  }

  /// The anchored-prefix shortcut never changes an answer, and an expectation file of many anchored
  /// entries (issue 15: 7 MB took minutes) costs entries × log(cases).
  @Test func anchoredPrefixShortcut() throws {
    #expect(try literalPrefix(#"^names/def\.x$"#) == "names/def.x")
    #expect(try literalPrefix("^ab*c") == "a")
    #expect(try literalPrefix("^ab+c") == "ab")
    #expect(try literalPrefix(#"^a\dx"#) == "a")
    #expect(try literalPrefix("^(?!matrix/)") == "")
    #expect(try literalPrefix("^a|b") == nil)
    #expect(try literalPrefix("names/") == nil)
    // An alternation inside a group comes after the prefix; one outside every group does not.
    #expect(try literalPrefix("^vocab-resized/(vera|oft)$") == "vocab-resized/")
    #expect(try literalPrefix("^a(b|c)|d") == nil)
    #expect(try literalPrefix("^a[|]b") == "a")
    #expect(try literalPrefix("^a[]|]b") == "a")
    #expect(try literalPrefix("^a[^]|]b") == "a")
    #expect(try literalPrefix("^a[]]|b") == nil)
    #expect(try literalPrefix(#"^a\|b"#) == "a|b")
    #expect(try literalPrefix(#"^a[\]|]b"#) == "a")
    #expect(try literalPrefix(#"\Anames/(a|b)"#) == "names/")
    #expect(try literalPrefix("(^names/)") == nil)
    // A pattern that is `^` and literal characters only is answered without the regex.
    #expect(try BoundedRegex("^matrix/").anchoredPrefix == .init(text: "matrix/", isWholePattern: true))
    #expect(try BoundedRegex(#"^a\.b"#).anchoredPrefix == .init(text: "a.b", isWholePattern: true))
    #expect(try BoundedRegex("^").anchoredPrefix == .init(text: "", isWholePattern: true))
    #expect(try BoundedRegex("^matrix/.").anchoredPrefix == .init(text: "matrix/", isWholePattern: false))
    #expect(try BoundedRegex("^ab*").anchoredPrefix == .init(text: "a", isWholePattern: false))
    #expect(try BoundedRegex(#"^a\d"#).anchoredPrefix == .init(text: "a", isWholePattern: false))
    let ids = [
      "names/a", "names/ab", "names/abc", "names/ac", "matrix/x/y", "nam", "names.b", "a", "", "n|a", "names|a", "b", "]b",
      "e\u{301}x", "\u{e9}x", "names/e\u{301}",
    ]
    let sources = [
      "^names/a", "^names/ab*c", "^names.b", #"^names\.b"#, "^nam(es)?", "^a$", "^(?!matrix/)", "^$", "^names/a??b",
      "^names/(a|ab)c", "^(names|matrix)/", "^names/a|^matrix", "^n[|]a", #"^names\|a"#, "^n[]|]a", "^names/(?:b|a)(b|c)?$",
      "^x(y|z)|b", "^a[]]|b", #"^names/[\]|]a|^b"#, "^e", "^e\u{301}", "^\u{e9}", "^names/e", "^", "^names/",
      #"\Anames/a"#, "(^names/)b", "^(?:names)/a",
    ]
    for source in sources {
      let pattern = try Pattern(source)
      let regex = try BoundedRegex(source)
      for id in ids {
        #expect(pattern.matches(id) == (try regex.firstMatch(id) != nil), "\(source) on \(id)")
      }
      #expect(try pattern.check(CaseIDIndex(ids)) == ids.contains { (try? regex.firstMatch($0)) != nil })
    }
    var lines = ["loader: peft", "entries:"]
    for i in 0..<3_000 { lines.append("  - {match: '^nothing/case-\(i)$', status: skip, reason: r, ref: f}") }
    let caseIDs = (0..<3_000).map { "family-\($0 % 7)/case-\($0)" }
    let clock = ContinuousClock()
    let elapsed = clock.measure {
      _ = LoaderExpectationsDecoder.decode(lines.joined(separator: "\n"), file: "expectations/peft.yaml", loader: "peft", caseIDs: caseIDs)
    }
    #expect(elapsed < .seconds(20), "\(elapsed)")
  }

  @Test func decodesAndMatchesFirstEntry() throws {
    let (decoded, diagnostics) = LoaderExpectationsDecoder.decode(
      Self.text, file: "expectations/peft.yaml", loader: "peft",
      caseIDs: ["names/def-after-default", "x/hdf5-only", "names/other"])
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    let file = try #require(decoded)
    #expect(file.entries.count == 3)
    #expect(file.entry(for: "names/def-after-default", format: .safetensors)?.status == .xfail)
    #expect(file.entry(for: "names/other", format: .safetensors)?.status == .skip)
    #expect(file.entry(for: "x/hdf5-only", format: .hdf5)?.status == .skip)
    #expect(file.entry(for: "x/hdf5-only", format: .safetensors) == nil, "restricted to hdf5")
    #expect(file.entry(for: "unrelated", format: nil) == nil)
    #expect(file.entries[0].location == SourceLocation(file: "expectations/peft.yaml", line: 3, column: 5))
  }

  private func literalPrefix(_ source: String) throws -> String? { try BoundedRegex(source).anchoredPrefix?.text }

  struct Problem: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var message: String
    var line: Int
    var severity: LintDiagnostic.Severity = .error
    var testDescription: String { name }
  }

  static let problems: [Problem] = [
    Problem(name: "wrong loader", text: "loader: pft\nentries: []\n", message: "does not match the file name", line: 1),
    Problem(
      name: "bad regex", text: "loader: peft\nentries:\n  - {match: '(', status: xfail, reason: r, ref: f}\n",
      message: "invalid regular expression", line: 3),
    Problem(
      name: "bad status", text: "loader: peft\nentries:\n  - {match: a, status: xfial, reason: r, ref: f}\n",
      message: "unknown status 'xfial'", line: 3),
    Problem(
      name: "missing reason", text: "loader: peft\nentries:\n  - {match: a, status: xfail, ref: f}\n",
      message: "missing the required field 'reason'", line: 3),
    Problem(
      name: "empty ref", text: "loader: peft\nentries:\n  - {match: a, status: xfail, reason: r, ref: ' '}\n",
      message: "ref is empty", line: 3),
    Problem(
      name: "unknown field", text: "loader: peft\nentries:\n  - {match: a, status: xfail, reason: r, ref: f, bug: 1}\n",
      message: "unknown field 'bug'", line: 3),
    Problem(
      name: "duplicate pattern",
      text: "loader: peft\nentries:\n  - {match: a, status: xfail, reason: r, ref: f}\n  - {match: a, status: skip, reason: r, ref: f}\n",
      message: "listed twice", line: 4),
    Problem(
      name: "stale pattern", text: "loader: peft\nentries:\n  - {match: zzz, status: xfail, reason: r, ref: f}\n",
      message: "matches no case", line: 3, severity: .warning),
  ]

  @Test(arguments: problems) func lints(_ problem: Problem) {
    let (_, diagnostics) = LoaderExpectationsDecoder.decode(
      problem.text, file: "expectations/peft.yaml", loader: "peft", caseIDs: ["a"])
    let match = diagnostics.first { $0.message.contains(problem.message) }
    #expect(match?.severity == problem.severity, "\(diagnostics)")
    #expect(match?.location.line == problem.line)
  }

  @Test func candidateFileNames() {
    #expect(LoaderExpectations.candidateNames(for: "peft@0.21.2") == ["peft@0.21.2", "peft@0.21", "peft-0.21", "peft"])
    #expect(LoaderExpectations.candidateNames(for: "peft-0.13") == ["peft-0.13"])
  }

  @Test func corpusFallsBackToTheLoaderName() throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/a.yaml", CorpusTests.validCase("a"))
    try dir.write("expectations/peft.yaml", "loader: peft\nentries:\n  - {match: '^a$', status: xfail, reason: r, ref: f}\n")
    let corpus = try Corpus.load(root: dir.path)
    #expect(corpus.diagnostics.isEmpty, "\(corpus.diagnostics)")
    #expect(corpus.expectations(forLoader: "peft@0.21.2").entries.count == 1)
    #expect(corpus.expectations(forLoader: "recommended").entries.isEmpty)
  }

  @Test func aVersionFileLayersOverItsProfileAndTheLoaderFile() throws {
    let dir = TemporaryDirectory()
    try dir.write("cases/a.yaml", CorpusTests.validCase("a"))
    try dir.write("expectations/peft.yaml", "loader: peft\nentries:\n  - {match: '^a$', status: xfail, reason: general, ref: f}\n")
    try dir.write("expectations/peft-0.13.yaml", "loader: peft-0.13\nentries:\n  - {match: '^a$', status: xfail, reason: profile, ref: f}\n")
    try dir.write("expectations/peft@0.13.yaml", "loader: peft@0.13\nentries:\n  - {match: '^a$', status: skip, reason: version, ref: f}\n")
    let corpus = try Corpus.load(root: dir.path)
    #expect(corpus.diagnostics.isEmpty, "\(corpus.diagnostics)")
    // Most specific first: the version's own entry, then the profile that reproduces it, then the loader's.
    #expect(corpus.expectations(forLoader: "peft@0.13.2").entries.map(\.reason) == ["version", "profile", "general"])
    #expect(corpus.expectations(forLoader: "peft@0.21.2").entries.map(\.reason) == ["general"])
  }
}
