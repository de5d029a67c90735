/// A regular expression in Python's `re` syntax, matched by a backtracking engine that counts its steps
/// and stops at a budget.
///
/// Patterns come from files (adapter configs, corpus cases, expectation files) and the command line,
/// and a backtracking engine is exponential on patterns such as `(.*)*X`: Python's `re` (so PEFT)
/// hangs on them, and so did Swift's `Regex`, which cannot be interrupted. This engine backtracks the
/// way `re` does — leftmost alternative first, greedy or lazy repetition, captures — so a pattern that
/// runs out of its budget here is one that makes `re` backtrack the same way, and the caller can say
/// so instead of hanging.
///
/// Supported: literals and escapes (`\.`, `\n`, `\xhh`, `\uhhhh`), `.`, classes (`[a-z_]`, `[^.]`,
/// `\d \w \s` and their negations, Unicode-aware as `re` is for `str`), groups (`(…)`, `(?:…)`,
/// `(?P<name>…)`), backreferences (`\1`, `(?P=name)`), alternation, `* + ? {m} {m,} {,n} {m,n}` and
/// their lazy forms, anchors `^ $ \A \Z \b \B`, look-ahead `(?=…)` `(?!…)` and fixed-width
/// look-behind `(?<=…)` `(?<!…)`. Inline flags (`(?i)`) and conditionals are refused with a
/// ``BoundedRegex/SyntaxError``.
///
/// Cost: compiling is linear in the pattern (counted repetition is expanded, at most
/// ``maxProgramSize`` instructions); a match runs at most `budget` steps, each O(1) except
/// backreferences and look-arounds (which count their own steps into the same budget).
public struct BoundedRegex: Sendable, Hashable, CustomStringConvertible {
  /// The default step budget of one match call (a search counts every start position into it).
  public static let defaultBudget = 1_000_000
  /// The largest compiled program (instructions) a pattern may expand to.
  public static let maxProgramSize = 100_000

  /// The pattern as written.
  public let pattern: String
  /// The step budget of one match call.
  public let budget: Int
  private let program: Program
  private let groupNames: [String: Int]
  private let groupCount: Int
  /// Literals one of which every match contains (`nil` when none is known), not counting a run of
  /// characters right after a leading `^`. A caller that does not model `re` (which runs the pattern on
  /// such texts, however long it backtracks) may reject a text holding none of them without matching.
  public let requiredLiterals: [String]?
  /// The literal text every match starts with when the pattern begins with `^` or `\A` outside any
  /// alternation (`names/def-` for `^names/def-(a|b)`): a caller may reject a text without it unmatched.
  public let anchoredPrefix: AnchoredPrefix?

  /// The literal start of an anchored pattern (``anchoredPrefix``).
  public struct AnchoredPrefix: Hashable, Sendable {
    /// The characters right after the anchor, up to the first part that is not a plain character (one
    /// with a quantifier is not: it may occur zero times).
    public var text: String
    /// Whether the anchor and `text` are the whole pattern: a text matches exactly when it starts with `text`.
    public var isWholePattern: Bool

    public init(text: String, isWholePattern: Bool) {
      self.text = text
      self.isWholePattern = isWholePattern
    }
  }

  /// A pattern this engine cannot compile (bad syntax, or syntax it does not support).
  public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    public var pattern: String
    public var detail: String
    public var description: String { "invalid regular expression '\(pattern)': \(detail)" }
  }

  /// A match that needed more steps than the budget.
  public struct BudgetExceeded: Error, Hashable, Sendable, CustomStringConvertible {
    public var pattern: String
    public var budget: Int
    /// How many characters the text being matched had.
    public var textLength: Int
    public var description: String {
      "regular expression '\(pattern)' exceeds the matching budget (\(budget) steps on a \(textLength)-character text)"
    }
  }

  /// A successful match: where it ends and what its groups captured.
  public struct Match: Sendable {
    fileprivate let scalars: [Unicode.Scalar]
    fileprivate let slots: [Int]
    fileprivate let names: [String: Int]
    /// The number of capturing groups in the pattern.
    public let groupCount: Int

    /// Group `index` (0 is the whole match), or `nil` if it did not take part.
    public func group(_ index: Int) -> String? {
      guard 2 * index + 1 < slots.count else { return nil }
      let start = slots[2 * index], end = slots[2 * index + 1]
      guard start >= 0, end >= start else { return nil }
      var s = ""
      s.unicodeScalars.append(contentsOf: scalars[start..<end])
      return s
    }

    /// The named group `(?P<name>…)`.
    public func group(_ name: String) -> String? { names[name].flatMap { group($0) } }
  }

  /// Compiles `pattern`.
  /// - Throws: ``SyntaxError`` naming the pattern.
  public init(_ pattern: String, budget: Int = BoundedRegex.defaultBudget) throws(SyntaxError) {
    self.pattern = pattern
    self.budget = budget
    var parser = Parser(Array(pattern.unicodeScalars))
    let node: Node
    do {
      node = try parser.parseAll()
    } catch {
      throw SyntaxError(pattern: pattern, detail: error.detail)
    }
    var compiler = Compiler(groupCount: parser.groupCount)
    do {
      program = try compiler.compileMain(node)
    } catch {
      throw SyntaxError(pattern: pattern, detail: error.detail)
    }
    groupNames = parser.names
    groupCount = parser.groupCount
    requiredLiterals = node.requiredLiterals(skippingAnchoredStart: true)?.map { scalars in
      var text = ""
      text.unicodeScalars.append(contentsOf: scalars)
      return text
    }
    anchoredPrefix = node.anchoredPrefix.map { scalars, isWhole in
      var text = ""
      text.unicodeScalars.append(contentsOf: scalars)
      return AnchoredPrefix(text: text, isWholePattern: isWhole)
    }
  }

  /// `re.fullmatch(pattern, text) is not None`.
  public func fullMatch(_ text: String) throws(BudgetExceeded) -> Bool {
    try run(text, anchored: true, wholeText: true) != nil
  }

  /// `re.match(pattern, text)`: a match anchored at the start.
  public func prefixMatch(_ text: String) throws(BudgetExceeded) -> Match? {
    try run(text, anchored: true, wholeText: false)
  }

  /// `re.search(pattern, text)`: the leftmost match anywhere.
  public func firstMatch(_ text: String) throws(BudgetExceeded) -> Match? {
    try run(text, anchored: false, wholeText: false)
  }

  public var description: String { pattern }
  public static func == (lhs: BoundedRegex, rhs: BoundedRegex) -> Bool {
    lhs.pattern == rhs.pattern && lhs.budget == rhs.budget
  }
  public func hash(into hasher: inout Hasher) {
    hasher.combine(pattern)
    hasher.combine(budget)
  }

  private func run(_ text: String, anchored: Bool, wholeText: Bool) throws(BudgetExceeded) -> Match? {
    let scalars = Array(text.unicodeScalars)
    var machine = Machine(text: scalars, budget: budget, program: program)
    // A pattern that starts at the text's start, or with a literal, can only match where that holds:
    // other start positions are not tried (a search over case ids used to try them all).
    let last = anchored || program.startsAnchored ? 0 : scalars.count
    var slots = [Int](repeating: -1, count: program.slotCount)
    for start in 0...last {
      if let first = program.firstCharacter, start == scalars.count || scalars[start] != first { continue }
      for i in slots.indices { slots[i] = -1 }
      let end: Int?
      do {
        end = try machine.run(program.main, from: start, slots: &slots, endAt: wholeText ? scalars.count : nil)
      } catch {
        throw BudgetExceeded(pattern: pattern, budget: budget, textLength: scalars.count)
      }
      if let end {
        slots[0] = start
        slots[1] = end
        return Match(scalars: scalars, slots: slots, names: groupNames, groupCount: groupCount)
      }
    }
    return nil
  }
}

// MARK: - Syntax tree

private indirect enum Node {
  case empty
  case char(Unicode.Scalar)
  case any
  case set(CharSet)
  case lineStart, lineEnd, textStart, textEnd
  case wordBoundary(negated: Bool)
  case group(Node, index: Int?)
  case concat([Node])
  case alternation([Node])
  case repeated(Node, min: Int, max: Int?, greedy: Bool)
  case backreference(Int)
  case look(Node, ahead: Bool, negated: Bool)

  /// The plain characters right after a leading `^` or `\A`, and whether nothing else follows; `nil` when
  /// the pattern does not start so (an alternation at the top is no concatenation: any branch may match).
  var anchoredPrefix: (scalars: [Unicode.Scalar], isWhole: Bool)? {
    let nodes: ArraySlice<Node>
    switch self {
    case .concat(let items): nodes = items[...]
    case .lineStart, .textStart: nodes = [self]
    default: return nil
    }
    guard let anchor = nodes.first, anchor.isStartAnchor else { return nil }
    var run: [Unicode.Scalar] = []
    var rest = nodes.dropFirst()
    while case .char(let c)? = rest.first {
      run.append(c)
      rest = rest.dropFirst()
    }
    // A character repeated at least once starts with it (`^ab+c`: `ab`), and ends the prefix.
    if case .repeated(.char(let c), let min, _, _)? = rest.first, min >= 1 {
      run.append(c)
      return (run, false)
    }
    return (run, rest.isEmpty)
  }

  private var isStartAnchor: Bool {
    switch self {
    case .lineStart, .textStart: true
    default: false
    }
  }

  /// Literals one of which every match contains (`nil`: no such set is known). A concatenation's runs
  /// of plain characters and its parts' sets are candidates; the one whose shortest literal is longest
  /// is kept. With `skippingAnchoredStart`, a run right after `^` is not a candidate: the caller already
  /// rejects texts without it.
  func requiredLiterals(skippingAnchoredStart: Bool = false) -> [[Unicode.Scalar]]? {
    switch self {
    case .char(let c): return [[c]]
    case .group(let inner, _): return inner.requiredLiterals(skippingAnchoredStart: skippingAnchoredStart)
    case .repeated(let inner, let min, _, _): return min >= 1 ? inner.requiredLiterals() : nil
    case .alternation(let branches):
      var union: [[Unicode.Scalar]] = []
      for branch in branches {
        guard let literals = branch.requiredLiterals() else { return nil }
        union += literals
      }
      return union.isEmpty ? nil : union
    case .concat(let nodes):
      var best: [[Unicode.Scalar]]?
      func consider(_ candidate: [[Unicode.Scalar]]?) {
        guard let candidate, !candidate.isEmpty else { return }
        let length = candidate.map(\.count).min() ?? 0
        if length > (best.map { $0.map(\.count).min() ?? 0 } ?? 0) { best = candidate }
      }
      var run: [Unicode.Scalar] = []
      var anchoredRun = false
      for (i, node) in nodes.enumerated() {
        if case .char(let c) = node {
          if run.isEmpty {
            if case .lineStart? = i > 0 ? nodes[i - 1] : nil { anchoredRun = skippingAnchoredStart }
            if case .textStart? = i > 0 ? nodes[i - 1] : nil { anchoredRun = skippingAnchoredStart }
          }
          run.append(c)
          continue
        }
        if !anchoredRun { consider(run.isEmpty ? nil : [run]) }
        run = []
        anchoredRun = false
        consider(node.requiredLiterals())
      }
      if !anchoredRun { consider(run.isEmpty ? nil : [run]) }
      return best
    case .empty, .any, .set, .lineStart, .lineEnd, .textStart, .textEnd, .wordBoundary, .backreference, .look:
      return nil
    }
  }

  /// The number of characters every match consumes, if fixed (look-behind needs it).
  var fixedWidth: Int? {
    switch self {
    case .empty, .lineStart, .lineEnd, .textStart, .textEnd, .wordBoundary, .look: return 0
    case .char, .any, .set: return 1
    case .group(let n, _): return n.fixedWidth
    case .concat(let nodes):
      var total = 0
      for n in nodes {
        guard let w = n.fixedWidth else { return nil }
        total += w
      }
      return total
    case .alternation(let nodes):
      let widths = nodes.map(\.fixedWidth)
      guard let first = widths.first, let w = first, widths.allSatisfy({ $0 == w }) else { return nil }
      return w
    case .repeated(let n, let min, let max, _):
      guard max == min, let w = n.fixedWidth else { return nil }
      let (p, o) = w.multipliedReportingOverflow(by: min)
      return o ? nil : p
    case .backreference: return nil
    }
  }
}

private struct CharSet: Sendable {
  enum Category: Sendable { case digit, word, space }
  var ranges: [(Unicode.Scalar, Unicode.Scalar)] = []
  var categories: [(Category, negated: Bool)] = []
  var negated = false

  func contains(_ c: Unicode.Scalar) -> Bool {
    var hit = ranges.contains { $0.0 <= c && c <= $0.1 }
    if !hit { hit = categories.contains { Self.isIn($0.0, c) != $0.negated } }
    return hit != negated
  }

  static func isIn(_ category: Category, _ c: Unicode.Scalar) -> Bool {
    switch category {
    case .digit: return c.properties.numericType == .decimal
    case .word:
      return c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
    case .space:
      switch c.value {
      case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0: return true
      default: return c.value > 0x7F && c.properties.isWhitespace
      }
    }
  }
}

// MARK: - Parser

private struct ParseError: Error {
  var detail: String
}

private struct Parser {
  let s: [Unicode.Scalar]
  var i = 0
  var groupCount = 0
  var names: [String: Int] = [:]
  var depth = 0

  init(_ scalars: [Unicode.Scalar]) { s = scalars }

  mutating func parseAll() throws(ParseError) -> Node {
    let node = try parseAlternation()
    if i < s.count { throw ParseError(detail: "unbalanced parenthesis at position \(i)") }
    return node
  }

  func peek(_ offset: Int = 0) -> Unicode.Scalar? { i + offset < s.count ? s[i + offset] : nil }

  mutating func parseAlternation() throws(ParseError) -> Node {
    depth += 1
    // Nesting is recursion here and in the compiler: bounded so that a pattern cannot exhaust the stack.
    if depth > 200 { throw ParseError(detail: "groups nested more than 200 deep") }
    defer { depth -= 1 }
    var branches = [try parseConcat()]
    while peek() == "|" {
      i += 1
      branches.append(try parseConcat())
    }
    return branches.count == 1 ? branches[0] : .alternation(branches)
  }

  mutating func parseConcat() throws(ParseError) -> Node {
    var items: [Node] = []
    while let c = peek(), c != "|", c != ")" {
      var atom = try parseAtom()
      while let q = try parseQuantifier() {
        if case .repeated = atom, q.possessiveLike { throw ParseError(detail: "multiple repeat at position \(i)") }
        switch atom {
        case .lineStart, .lineEnd, .textStart, .textEnd, .wordBoundary, .empty:
          throw ParseError(detail: "nothing to repeat at position \(i)")
        default: break
        }
        atom = .repeated(atom, min: q.min, max: q.max, greedy: q.greedy)
      }
      items.append(atom)
    }
    return items.count == 1 ? items[0] : (items.isEmpty ? .empty : .concat(items))
  }

  struct Quantifier {
    var min: Int
    var max: Int?
    var greedy: Bool
    var possessiveLike: Bool
  }

  mutating func parseQuantifier() throws(ParseError) -> Quantifier? {
    guard let c = peek() else { return nil }
    var q: Quantifier
    switch c {
    case "*": q = Quantifier(min: 0, max: nil, greedy: true, possessiveLike: true); i += 1
    case "+": q = Quantifier(min: 1, max: nil, greedy: true, possessiveLike: true); i += 1
    case "?": q = Quantifier(min: 0, max: 1, greedy: true, possessiveLike: true); i += 1
    case "{":
      // `{m,n}`; anything else after `{` is a literal brace, as in Python.
      var j = i + 1
      func number(_ j: inout Int) -> Int?? {
        var digits = ""
        while j < s.count, ("0"..."9").contains(s[j]) {
          digits.unicodeScalars.append(s[j])
          j += 1
        }
        if digits.isEmpty { return .some(nil) }
        guard let v = Int(digits) else { return nil }
        return .some(v)
      }
      guard let lo = number(&j) else { throw ParseError(detail: "repeat count too large at position \(i)") }
      var hi: Int?? = lo
      if j < s.count, s[j] == "," {
        j += 1
        guard let h = number(&j) else { throw ParseError(detail: "repeat count too large at position \(i)") }
        hi = h == nil ? .some(nil) : h
      } else if lo == nil {
        return nil
      }
      guard j < s.count, s[j] == "}" else { return nil }
      let min = lo ?? 0
      let max: Int? = hi ?? nil
      if let max, max < min { throw ParseError(detail: "min repeat greater than max repeat at position \(i)") }
      i = j + 1
      q = Quantifier(min: min, max: max, greedy: true, possessiveLike: true)
    default: return nil
    }
    if peek() == "?" {
      q.greedy = false
      i += 1
    } else if peek() == "+" {
      throw ParseError(detail: "possessive quantifiers are not supported (position \(i))")
    }
    return q
  }

  mutating func parseAtom() throws(ParseError) -> Node {
    let c = s[i]
    i += 1
    switch c {
    case ".": return .any
    case "^": return .lineStart
    case "$": return .lineEnd
    case "*", "+", "?": throw ParseError(detail: "nothing to repeat at position \(i - 1)")
    case "[": return .set(try parseSet())
    case "\\": return try parseEscape()
    case "(": return try parseGroup()
    case "{":
      // A literal `{` unless it starts a valid quantifier, which has nothing to repeat here.
      i -= 1
      if (try? parseQuantifierProbe()) == true { throw ParseError(detail: "nothing to repeat at position \(i)") }
      i += 1
      return .char("{")
    default: return .char(c)
    }
  }

  mutating func parseQuantifierProbe() throws(ParseError) -> Bool {
    let saved = i
    defer { i = saved }
    return try parseQuantifier() != nil
  }

  mutating func parseGroup() throws(ParseError) -> Node {
    if peek() == "?" {
      i += 1
      guard let k = peek() else { throw ParseError(detail: "unexpected end of pattern") }
      i += 1
      switch k {
      case ":":
        return try closeGroup(.group(try parseAlternation(), index: nil))
      case "=", "!":
        return try closeGroup(.look(try parseAlternation(), ahead: true, negated: k == "!"))
      case "<" where peek() == "=" || peek() == "!":
        let negated = peek() == "!"
        i += 1
        let inner = try parseAlternation()
        guard inner.fixedWidth != nil else { throw ParseError(detail: "look-behind requires fixed-width pattern") }
        return try closeGroup(.look(inner, ahead: false, negated: negated))
      case "P":
        if peek() == "<" {
          i += 1
          let name = try readName(until: ">")
          if names[name] != nil { throw ParseError(detail: "redefinition of group name '\(name)'") }
          groupCount += 1
          let index = groupCount
          names[name] = index
          return try closeGroup(.group(try parseAlternation(), index: index))
        }
        if peek() == "=" {
          i += 1
          let name = try readName(until: ")")
          guard let index = names[name] else { throw ParseError(detail: "unknown group name '\(name)'") }
          return .backreference(index)
        }
        throw ParseError(detail: "unknown extension ?P at position \(i)")
      default:
        throw ParseError(detail: "unsupported group syntax (?\(k) at position \(i - 2)")
      }
    }
    groupCount += 1
    let index = groupCount
    return try closeGroup(.group(try parseAlternation(), index: index))
  }

  mutating func closeGroup(_ node: Node) throws(ParseError) -> Node {
    guard peek() == ")" else { throw ParseError(detail: "missing ), unterminated subpattern") }
    i += 1
    return node
  }

  mutating func readName(until end: Unicode.Scalar) throws(ParseError) -> String {
    var name = ""
    while let c = peek(), c != end {
      name.unicodeScalars.append(c)
      i += 1
    }
    guard peek() == end, !name.isEmpty,
      name.unicodeScalars.allSatisfy({ CharSet.isIn(.word, $0) }),
      !CharSet.isIn(.digit, name.unicodeScalars.first!)
    else { throw ParseError(detail: "bad group name '\(name)'") }
    i += 1
    return name
  }

  /// An escape outside a set: a class, an anchor, a backreference or a literal.
  mutating func parseEscape() throws(ParseError) -> Node {
    guard let c = peek() else { throw ParseError(detail: "bad escape (end of pattern)") }
    switch c {
    case "A": i += 1; return .textStart
    case "Z": i += 1; return .textEnd
    case "b": i += 1; return .wordBoundary(negated: false)
    case "B": i += 1; return .wordBoundary(negated: true)
    case "d", "D", "w", "W", "s", "S":
      i += 1
      var set = CharSet()
      set.categories = [Self.category(c)]
      return .set(set)
    case "1"..."9":
      var digits = ""
      while let d = peek(), ("0"..."9").contains(d), digits.count < 2 {
        digits.unicodeScalars.append(d)
        i += 1
      }
      let index = Int(digits)!
      guard index <= groupCount else { throw ParseError(detail: "invalid group reference \(index)") }
      return .backreference(index)
    default:
      return .char(try parseLiteralEscape())
    }
  }

  static func category(_ c: Unicode.Scalar) -> (CharSet.Category, negated: Bool) {
    switch c {
    case "d": (.digit, false)
    case "D": (.digit, true)
    case "w": (.word, false)
    case "W": (.word, true)
    case "s": (.space, false)
    default: (.space, true)
    }
  }

  /// `\n`, `\t`, `\xhh`, `\uhhhh`, `\Uhhhhhhhh`, `\0`, or an escaped non-alphanumeric character.
  mutating func parseLiteralEscape() throws(ParseError) -> Unicode.Scalar {
    let c = s[i]
    i += 1
    switch c {
    case "n": return "\n"
    case "t": return "\t"
    case "r": return "\r"
    case "f": return "\u{0C}"
    case "v": return "\u{0B}"
    case "a": return "\u{07}"
    case "0": return "\0"
    case "x": return try hex(2)
    case "u": return try hex(4)
    case "U": return try hex(8)
    default:
      if c.isASCII && (CharSet.isIn(.word, c)) { throw ParseError(detail: "bad escape \\\(c) at position \(i - 2)") }
      return c
    }
  }

  mutating func hex(_ count: Int) throws(ParseError) -> Unicode.Scalar {
    guard i + count <= s.count else { throw ParseError(detail: "incomplete escape at position \(i)") }
    var text = ""
    text.unicodeScalars.append(contentsOf: s[i..<(i + count)])
    i += count
    guard let v = UInt32(text, radix: 16), let scalar = Unicode.Scalar(v) else {
      throw ParseError(detail: "bad escape \\\(text)")
    }
    return scalar
  }

  mutating func parseSet() throws(ParseError) -> CharSet {
    var set = CharSet()
    if peek() == "^" {
      set.negated = true
      i += 1
    }
    var first = true
    while true {
      guard let c = peek() else { throw ParseError(detail: "unterminated character set") }
      if c == "]" && !first {
        i += 1
        return set
      }
      first = false
      let low: Unicode.Scalar
      if c == "\\" {
        i += 1
        guard let e = peek() else { throw ParseError(detail: "unterminated character set") }
        if "dDwWsS".unicodeScalars.contains(e) {
          i += 1
          set.categories.append(Self.category(e))
          continue
        }
        if e == "b" {
          i += 1
          low = "\u{08}"
        } else {
          low = try parseLiteralEscape()
        }
      } else {
        i += 1
        low = c
      }
      if peek() == "-", let next = peek(1), next != "]" {
        i += 1
        let high: Unicode.Scalar
        if next == "\\" {
          i += 1
          guard i < s.count else { throw ParseError(detail: "unterminated character set") }
          high = try parseLiteralEscape()
        } else {
          i += 1
          high = next
        }
        guard low <= high else { throw ParseError(detail: "bad character range \(low)-\(high)") }
        set.ranges.append((low, high))
      } else {
        set.ranges.append((low, low))
      }
    }
  }
}

// MARK: - Program

private enum Instruction: Sendable {
  case char(Unicode.Scalar)
  case any
  /// A character set by its index in ``Program/sets``: read there in place (a set carried in the instruction
  /// retained and released its arrays at every step, and `[^/]+` steps once per character).
  case set(Int)
  case split(Int, Int)  // try the first, backtrack to the second
  case jump(Int)
  case save(Int)
  case lineStart, lineEnd, textStart, textEnd
  case wordBoundary(negated: Bool)
  case backreference(Int)
  case mark(Int)  // loop register := position
  case loopEnd(register: Int, loop: Int, exit: Int)  // an empty iteration leaves the loop, as `re` does
  case look(Int, ahead: Bool, negated: Bool, width: Int)
  case match
}

private struct Program: Sendable {
  var main: [Instruction]
  var looks: [[Instruction]]
  var sets: [CharSet]
  var slotCount: Int

  /// Whether every match starts at position 0 (`^…`, `\A…`).
  var startsAnchored: Bool {
    switch main.first {
    case .lineStart, .textStart: true
    default: false
    }
  }

  /// The character every match starts with, when the program begins with one.
  var firstCharacter: Unicode.Scalar? {
    if case .char(let c) = main.first { return c }
    return nil
  }
}

private struct Compiler {
  var looks: [[Instruction]] = []
  var sets: [CharSet] = []
  var nextSlot: Int
  var size = 0

  init(groupCount: Int) { nextSlot = 2 * (groupCount + 1) }

  mutating func compileMain(_ node: Node) throws(ParseError) -> Program {
    var code: [Instruction] = []
    try emit(node, into: &code)
    code.append(.match)
    return Program(main: code, looks: looks, sets: sets, slotCount: nextSlot)
  }

  mutating func emit(_ node: Node, into code: inout [Instruction]) throws(ParseError) {
    size += 1
    if code.count > BoundedRegex.maxProgramSize || size > BoundedRegex.maxProgramSize {
      throw ParseError(detail: "pattern expands to more than \(BoundedRegex.maxProgramSize) instructions")
    }
    switch node {
    case .empty: break
    case .char(let c): code.append(.char(c))
    case .any: code.append(.any)
    case .set(let s):
      sets.append(s)
      code.append(.set(sets.count - 1))
    case .lineStart: code.append(.lineStart)
    case .lineEnd: code.append(.lineEnd)
    case .textStart: code.append(.textStart)
    case .textEnd: code.append(.textEnd)
    case .wordBoundary(let n): code.append(.wordBoundary(negated: n))
    case .backreference(let g): code.append(.backreference(g))
    case .group(let inner, let index):
      if let index { code.append(.save(2 * index)) }
      try emit(inner, into: &code)
      if let index { code.append(.save(2 * index + 1)) }
    case .concat(let nodes):
      for n in nodes { try emit(n, into: &code) }
    case .alternation(let branches):
      var jumps: [Int] = []
      for (k, branch) in branches.enumerated() {
        if k < branches.count - 1 {
          let split = code.count
          code.append(.split(split + 1, -1))
          try emit(branch, into: &code)
          jumps.append(code.count)
          code.append(.jump(-1))
          code[split] = .split(split + 1, code.count)
        } else {
          try emit(branch, into: &code)
        }
      }
      for j in jumps { code[j] = .jump(code.count) }
    case .repeated(let inner, let min, let max, let greedy):
      for _ in 0..<min { try emit(inner, into: &code) }
      if let max {
        var exits: [Int] = []
        for _ in min..<max {
          let split = code.count
          code.append(.split(-1, -1))
          exits.append(split)
          try emit(inner, into: &code)
        }
        for s in exits { code[s] = greedy ? .split(s + 1, code.count) : .split(code.count, s + 1) }
      } else {
        let register = nextSlot
        nextSlot += 1
        let loop = code.count
        code.append(.split(-1, -1))
        code.append(.mark(register))
        try emit(inner, into: &code)
        let end = code.count
        code.append(.loopEnd(register: register, loop: loop, exit: end + 1))
        code[loop] = greedy ? .split(loop + 1, end + 1) : .split(end + 1, loop + 1)
      }
    case .look(let inner, let ahead, let negated):
      var sub: [Instruction] = []
      try emit(inner, into: &sub)
      sub.append(.match)
      looks.append(sub)
      code.append(.look(looks.count - 1, ahead: ahead, negated: negated, width: inner.fixedWidth ?? 0))
    }
  }
}

// MARK: - Machine

private struct BudgetError: Error {}

private struct Machine {
  let text: [Unicode.Scalar]
  let budget: Int
  let program: Program
  var steps = 0

  init(text: [Unicode.Scalar], budget: Int, program: Program) {
    self.text = text
    self.budget = budget
    self.program = program
    // Sized once: grown from empty, a search over a case id reallocated it several times.
    stack.reserveCapacity(64)
  }

  enum Frame {
    case branch(pc: Int, sp: Int)
    case restore(slot: Int, value: Int)
  }

  func isWord(_ at: Int) -> Bool { at >= 0 && at < text.count && CharSet.isIn(.word, text[at]) }

  /// Backtracking frames of every `run` in progress (look-arounds nest), kept between calls so that
  /// trying each start position of a search does not allocate.
  private var stack: [Frame] = []

  /// Runs `code` from position `start`; the end position of the first match in `re`'s order, or `nil`.
  /// With `endAt`, only a match ending there counts (full matches and look-behind).
  mutating func run(_ code: [Instruction], from start: Int, slots: inout [Int], endAt: Int?) throws(BudgetError) -> Int? {
    // This call's frames sit above `base`; they are dropped whatever the outcome.
    let base = stack.count
    defer { stack.removeSubrange(base...) }
    var pc = 0
    var sp = start
    let n = text.count
    while true {
      steps += 1
      if steps > budget { throw BudgetError() }
      var ok = true
      switch code[pc] {
      case .char(let c):
        if sp < n && text[sp] == c { sp += 1; pc += 1 } else { ok = false }
      case .any:
        if sp < n && text[sp] != "\n" { sp += 1; pc += 1 } else { ok = false }
      case .set(let index):
        if sp < n && program.sets[index].contains(text[sp]) { sp += 1; pc += 1 } else { ok = false }
      case .split(let first, let second):
        stack.append(.branch(pc: second, sp: sp))
        pc = first
      case .jump(let target):
        pc = target
      case .save(let slot), .mark(let slot):
        stack.append(.restore(slot: slot, value: slots[slot]))
        slots[slot] = sp
        pc += 1
      case .lineStart, .textStart:
        if sp == 0 { pc += 1 } else { ok = false }
      case .lineEnd:
        if sp == n || (sp == n - 1 && text[sp] == "\n") { pc += 1 } else { ok = false }
      case .textEnd:
        if sp == n { pc += 1 } else { ok = false }
      case .wordBoundary(let negated):
        if (isWord(sp - 1) != isWord(sp)) != negated { pc += 1 } else { ok = false }
      case .backreference(let group):
        let s = slots[2 * group], e = slots[2 * group + 1]
        if s >= 0, e >= s, sp + (e - s) <= n, text[s..<e].elementsEqual(text[sp..<(sp + e - s)]) {
          steps += e - s
          sp += e - s
          pc += 1
        } else {
          ok = false
        }
      case .loopEnd(let register, let loop, let exit):
        pc = slots[register] == sp ? exit : loop
      case .look(let index, let ahead, let negated, let width):
        var inner = slots
        let matched: Bool
        if ahead {
          matched = try run(program.looks[index], from: sp, slots: &inner, endAt: nil) != nil
        } else {
          if sp >= width {
            matched = try run(program.looks[index], from: sp - width, slots: &inner, endAt: sp) != nil
          } else {
            matched = false
          }
        }
        if matched != negated { pc += 1 } else { ok = false }
      case .match:
        if endAt == nil || endAt == sp { return sp }
        ok = false
      }
      if ok { continue }
      var resumed = false
      while stack.count > base, let frame = stack.popLast() {
        switch frame {
        case .restore(let slot, let value):
          slots[slot] = value
        case .branch(let p, let s):
          pc = p
          sp = s
          resumed = true
        }
        if resumed { break }
      }
      if !resumed { return nil }
    }
  }
}
