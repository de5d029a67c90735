#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import SystemSupport
import TensorIO

/// A compiled regular expression over case ids (`--filter`, an expectation file's `match`), kept with
/// its source text, in Python's `re` syntax and matched by ``BoundedRegex`` with a step budget.
///
/// Matching is a *search* (as onnx's backend runner and `grep` do): anchor with `^…$` for a whole id.
/// A pattern is checked against the ids it will meet with ``check(_:)`` before a run or a lint relies
/// on it, so a pattern that backtracks exponentially is reported there instead of hanging the run.
public struct Pattern: Sendable, Hashable, CustomStringConvertible {
  private let regex: BoundedRegex
  /// The pattern as written.
  public let source: String
  /// The literal text every match starts with when the pattern is anchored (``BoundedRegex/anchoredPrefix``:
  /// `names/def-` for `^names/def-after`): ids without it are rejected without running the regex, so an
  /// expectation file of many anchored entries costs entries × log(cases), not entries × cases.
  var anchoredPrefix: String? { regex.anchoredPrefix?.text }
  /// The pattern is `^` and that prefix alone (`^matrix/`): a text matches exactly when it starts with it,
  /// and the regex is not run (such entries matched thousands of matrix ids when a file was linted).
  private var isAnchoredLiteral: Bool { regex.anchoredPrefix?.isWholePattern ?? false }
  /// UTF-8 literals one of which every match contains (``BoundedRegex/requiredLiterals``): an id with
  /// none of them is rejected without running the regex. Most of the thousands of matrix ids lack the
  /// tuner or architecture an expectation entry names, and running every entry on every id was most
  /// of a filtered run's time. (Case ids are not PEFT's input: no need to backtrack as `re` would.)
  private let requiredLiterals: [[UInt8]]?

  /// Compiles `source`.
  /// - Throws: ``PatternError`` naming the pattern.
  public init(_ source: String) throws(PatternError) {
    do {
      regex = try BoundedRegex(source)
    } catch {
      throw PatternError(pattern: source, message: error.detail)
    }
    self.source = source
    requiredLiterals = regex.requiredLiterals?.map { Array($0.utf8) }
  }

  /// Whether `text` could match at all: it has the anchored prefix and one of the required literals.
  private func admits(_ text: String) -> Bool {
    // By bytes, as the regex compares code points (`hasPrefix` compares characters: "e" is no prefix of "é"
    // written as e and a combining accent, which `^e` matches).
    if let anchoredPrefix, !text.utf8.starts(with: anchoredPrefix.utf8) { return false }
    guard let requiredLiterals else { return true }
    return ByteSearch.contains(text, anyOf: requiredLiterals)
  }

  /// Whether some text starting with `prefix` could match: false only when the pattern is anchored
  /// to a literal start that rules every such text out (`^aux/` and `matrix/`). Lets a run skip
  /// expanding the generated matrix when its filter cannot select a matrix case.
  public func canMatch(prefix: String) -> Bool {
    guard let anchoredPrefix else { return true }
    return anchoredPrefix.utf8.starts(with: prefix.utf8) || prefix.utf8.starts(with: anchoredPrefix.utf8)
  }

  /// Whether the pattern occurs anywhere in `text`; a match that runs out of its budget counts as no
  /// match (callers ran ``check(_:)`` on the same ids first).
  public func matches(_ text: String) -> Bool {
    guard admits(text) else { return false }
    if isAnchoredLiteral { return true }
    return ((try? regex.firstMatch(text)) ?? nil) != nil
  }

  /// Whether the pattern occurs in `text`.
  /// - Throws: ``PatternError`` when the match needs more than the budget.
  public func search(_ text: String) throws(PatternError) -> Bool {
    guard admits(text) else { return false }
    if isAnchoredLiteral { return true }
    do {
      return try regex.firstMatch(text) != nil
    } catch {
      throw PatternError(
        pattern: source,
        message: "exceeds the matching budget (\(error.budget) steps on '\(text)'); it backtracks exponentially",
        exceededBudget: true)
    }
  }

  /// Matches every id once, so that a pattern exceeding the budget is an error before anything
  /// depends on it. Returns whether any id matched.
  @discardableResult
  public func check(_ ids: [String]) throws(PatternError) -> Bool {
    try check(CaseIDIndex(ids))
  }

  /// ``check(_:)`` over an index built once for many patterns: an anchored pattern looks only at
  /// the ids that start with its literal prefix.
  @discardableResult
  public func check(_ index: CaseIDIndex) throws(PatternError) -> Bool {
    try index.checked(source) { () throws(PatternError) in
      var any = false
      for id in index.ids(withPrefix: anchoredPrefix ?? "") where try search(id) { any = true }
      return any
    }
  }

  public var description: String { source }

  public static func == (lhs: Pattern, rhs: Pattern) -> Bool { lhs.source == rhs.source }
  public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

/// A pattern that does not compile, or one that exceeds the matching budget.
public struct PatternError: Error, Sendable, Hashable, CustomStringConvertible {
  public var pattern: String
  public var message: String
  /// The pattern compiled, but a match needed more steps than the budget.
  public var exceededBudget = false

  public var description: String {
    exceededBudget
      ? "regular expression '\(pattern)' \(message)" : "invalid regular expression '\(pattern)': \(message)"
  }
}

/// Case ids sorted by their UTF-8 bytes, to find those with a given prefix by binary search.
public struct CaseIDIndex: Sendable {
  let sorted: [String]
  /// Each pattern's ``Pattern/check(_:)`` over these ids, by its source: the loaders' expectation files
  /// repeat many entries (96 entries, 64 patterns), and checking one runs it over up to every id (checking
  /// them was 7–9 % of planning's CPU, at its end, when nothing else is left to run).
  private let checks = Memo<String, Result<Bool, PatternError>>(capacity: 1 << 16)

  public init(_ ids: [String]) {
    sorted = ids.sorted(by: ByteSearch.precedes)
  }

  /// The check of the pattern `source` over these ids, made by `check` the first time (a failure is kept too).
  func checked(_ source: String, _ check: () throws(PatternError) -> Bool) throws(PatternError) -> Bool {
    try checks.value(for: source) { Result { () throws(PatternError) in try check() } }.get()
  }

  /// The ids that start with `prefix`, in sorted order.
  public func ids(withPrefix prefix: String) -> ArraySlice<String> {
    guard !prefix.isEmpty else { return sorted[...] }
    var low = 0
    var high = sorted.count
    while low < high {
      let mid = (low + high) / 2
      if ByteSearch.precedes(sorted[mid], prefix) { low = mid + 1 } else { high = mid }
    }
    var end = low
    while end < sorted.count && sorted[end].utf8.starts(with: prefix.utf8) { end += 1 }
    return sorted[low..<end]
  }
}
