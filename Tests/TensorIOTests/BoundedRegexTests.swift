import Foundation
import TestSupport
import Testing

@testable import TensorIO

/// `BoundedRegex` against Python's `re` (`scripts/recorders/record_regex_ground_truth.py`), and its budget on the
/// patterns that make a backtracking engine exponential.
@Suite("BoundedRegex")
struct BoundedRegexTests {
  static let python = ReferencePython.path

  static let patterns = [
    // PEFT configs and PEFT's own wrappers
    #".*\.(q|v)_proj"#, "q_proj", #"(?:^|.*?\.)layers\.(?P<idx>\d+)\."#, #"(.*\.)?(self_attn\.q_proj)$"#,
    #"(^|.*\.)lm_head($|\..*)"#, #"model\.layers\.[0-3]\.mlp\..*"#, #".*(?<!lm_)head"#, #"^(?!model\.).*"#,
    // syntax corners
    "a{2,3}", "a{,2}b", "a{2}?", "x{", "a{3,1}", "(a|ab)(c|bcd)(d*)", "(a*)*b", "(a|)*c", "(?:a|b)+?b",
    #"(\w+)\.\1"#, #"(?P<n>\w)(?P=n)"#, #"[\w.]+"#, "[^.]+$", "[]a]", "[a-]", #"\bproj\b"#, #"\Bproj"#,
    #"\d+\Z"#, "a$", #"\x41\u00e9"#, "[", "(", "a)", "*a", "a**", #"\q"#, "(?i)a", #"(?<=a+)b"#, "é.",
    #"[\d\s-]+"#, "(a)|b", "((a)|(b))+", #"\s+"#,
  ]
  static let texts = [
    "", "a", "aa", "aaa", "aab", "ab", "b", "abcd", "abbcd", "model.layers.12.self_attn.q_proj",
    "base_model.model.model.layers.3.mlp.up_proj", "lm_head", "model.lm_head", "model.head", "x{", "foo.foo",
    "proj", "my_proj", "12\n", "a\n", "Aé", "]a-", "c", "aac", "ééx", "1 2-3", "abab", "ba",
  ]

  @Test("agrees with Python's re on fullmatch, match and search, groups included")
  func againstPython() throws {
    guard let python = Self.python else { return }
    var pairs: [[String]] = []
    for p in Self.patterns { for t in Self.texts { pairs.append([p, t]) } }
    let run = try ExternalCommand.run(
      [python, Repository.scripts + "/recorders/record_regex_ground_truth.py"],
      input: Array(try JSONSerialization.data(withJSONObject: pairs)))
    try #require(run.status == 0, "\(run.errors)")
    let data = Data(run.output.utf8)
    let results = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    #expect(results.count == pairs.count)
    for (pair, expected) in zip(pairs, results) {
      let (pattern, text) = (pair[0], pair[1])
      guard let regex = try? BoundedRegex(pattern) else {
        // Python may accept what Adaptest refuses only for the documented unsupported syntax.
        if expected["error"] == nil {
          #expect(pattern == "(?i)a", "refused '\(pattern)', which Python compiles")
        }
        continue
      }
      #expect(expected["error"] == nil, "compiled '\(pattern)', which Python refuses: \(expected["error"] ?? "")")
      func groups(_ m: BoundedRegex.Match?) -> [String?]? {
        m.map { m in (0...m.groupCount).map { m.group($0) } }
      }
      func python(_ key: String) -> [String?]? {
        (expected[key] as? [Any]).map { $0.map { $0 as? String } }
      }
      let full = try regex.fullMatch(text)
      #expect(full == (python("fullmatch") != nil), "fullmatch('\(pattern)', '\(text)')")
      #expect(groups(try regex.prefixMatch(text)) == python("match"), "match('\(pattern)', '\(text)')")
      #expect(groups(try regex.firstMatch(text)) == python("search"), "search('\(pattern)', '\(text)')")
    }
  }

  @Test(
    "the literals every match must contain",
    arguments: [
      (#"^matrix/[^/]+/[^/]+/oft/"#, ["/oft/"]), (#"^matrix/[^/]+/[^/]+/(pvera|osf)/"#, ["pvera", "osf"]),
      ("^matrix/", nil), ("(a+)+b!", ["b!"]), (#".*\.(q|v)_proj"#, ["_proj"]), ("a{,2}b", ["b"]), ("(.*)*X", ["X"]),
      ("x*", nil), ("(ab|c)?d", ["d"]), (#"^(?!model\.).*"#, nil),
    ] as [(String, [String]?)])
  func requiredLiterals(pattern: String, literals: [String]?) throws {
    #expect(try BoundedRegex(pattern).requiredLiterals == literals)
  }

  @Test("every match holds one of its pattern's required literals")
  func requiredLiteralsAreRequired() throws {
    for pattern in Self.patterns + ["(a|bc)+d", "x(yz|w)?v", #"^layers\.\d+\.(q|k)_proj$"#] {
      guard let regex = try? BoundedRegex(pattern), let literals = regex.requiredLiterals else { continue }
      for text in Self.texts + ["bcd", "xv", "xyzv", "layers.3.k_proj"] {
        guard let matched = try? regex.firstMatch(text)?.group(0) else { continue }
        #expect(literals.contains { matched.contains($0) }, "'\(pattern)' matched '\(matched)' without any of \(literals)")
      }
    }
  }

  @Test(
    "exponential patterns stop at the budget",
    arguments: ["(.*)*X", "(a|a)*b", "(a+)+$", "(.*a){20}", "((a*)*)*c"])
  func budget(pattern: String) throws {
    let regex = try BoundedRegex(pattern)
    let text = String(repeating: "a", count: 40) + "!"
    let clock = ContinuousClock()
    let elapsed = clock.measure {
      #expect(throws: BoundedRegex.BudgetExceeded.self) { try regex.fullMatch(text) }
    }
    #expect(elapsed < .seconds(20))
  }

  @Test("linear patterns on long names stay far below the budget")
  func longNames() throws {
    let name = Array(repeating: "layers.7", count: 5_000).joined(separator: ".") + ".q_proj"
    let regex = try BoundedRegex(#".*\.(q|v)_proj"#)
    #expect(try regex.fullMatch(name))
    #expect(try BoundedRegex(#"(?:^|.*?\.)layers\.(?P<idx>\d+)\."#).prefixMatch(name)?.group("idx") == "7")
  }

  @Test("counted repetition that expands past the program limit is a syntax error")
  func hugeRepeat() {
    #expect(throws: BoundedRegex.SyntaxError.self) { try BoundedRegex("(a{1000}){1000}") }
    #expect(throws: BoundedRegex.SyntaxError.self) { try BoundedRegex("a{99999999999999999999}") }
    #expect(throws: BoundedRegex.SyntaxError.self) { try BoundedRegex(String(repeating: "(", count: 10_000)) }
  }
}
