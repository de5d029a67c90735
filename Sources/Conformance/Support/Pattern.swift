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

  /// Compiles `source`.
  /// - Throws: ``PatternError`` naming the pattern.
  public init(_ source: String) throws(PatternError) {
    do {
      regex = try BoundedRegex(source)
    } catch {
      throw PatternError(pattern: source, message: error.detail)
    }
    self.source = source
  }

  /// Whether the pattern occurs anywhere in `text`; a match that runs out of its budget counts as no
  /// match (callers ran ``check(_:)`` on the same ids first).
  public func matches(_ text: String) -> Bool {
    ((try? regex.firstMatch(text)) ?? nil) != nil
  }

  /// Whether the pattern occurs in `text`.
  /// - Throws: ``PatternError`` when the match needs more than the budget.
  public func search(_ text: String) throws(PatternError) -> Bool {
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
    var any = false
    for id in ids where try search(id) { any = true }
    return any
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
