import TensorIO

/// A regular expression from an adapter config, in Python's `re` syntax, matched by ``BoundedRegex``
/// on Unicode scalars as Python does.
///
/// Every match has a step budget: a pattern such as `(.*)*X` makes `re` (so PEFT) backtrack
/// exponentially, and the simulated load then fails with a `RegexBudgetExceeded` error naming the
/// config field instead of hanging.
struct PythonRegex {
  let pattern: String
  /// The config field the pattern comes from (`target_modules`, `rank_pattern`), for messages.
  let field: String
  private let regex: BoundedRegex

  /// - Throws: ``InvalidPattern`` when the pattern does not compile (Python raises `re.error`).
  init(_ pattern: String, field: String) throws(InvalidPattern) {
    self.pattern = pattern
    self.field = field
    do {
      regex = try BoundedRegex(pattern)
    } catch {
      throw InvalidPattern(pattern: pattern, detail: error.detail)
    }
  }

  /// `re.fullmatch(pattern, text) is not None`.
  func fullMatch(_ text: String) throws(PythonError) -> Bool {
    do { return try regex.fullMatch(text) } catch { throw budgetError(text, function: "fullmatch") }
  }

  /// `re.match(pattern, text)`: a match anchored at the start.
  func prefixMatch(_ text: String) throws(PythonError) -> BoundedRegex.Match? {
    do { return try regex.prefixMatch(text) } catch { throw budgetError(text, function: "match") }
  }

  /// `re.search(pattern, text) is not None`.
  func search(_ text: String) throws(PythonError) -> Bool {
    do { return try regex.firstMatch(text) != nil } catch { throw budgetError(text, function: "search") }
  }

  private func budgetError(_ text: String, function: String) -> PythonError {
    PythonError(
      kind: Self.budgetErrorKind,
      message: "\(field) regex exceeds the matching budget (\(regex.budget) steps on '\(text)', pattern "
        + "\(pythonRepr(pattern))); PEFT's re.\(function) would backtrack the same way")
  }

  /// The error kind of a match that ran out of its budget. Not a Python exception: PEFT would not
  /// raise, it would hang.
  static let budgetErrorKind = "RegexBudgetExceeded"

  /// Escapes `text` so that it matches literally (Python's `re.escape`).
  static func escape(_ text: String) -> String {
    var out = ""
    for c in text.unicodeScalars {
      let isWord = (c.properties.isAlphabetic || c.properties.numericType != nil || c == "_") && c.isASCII
      if !isWord && c.isASCII { out.append("\\") }
      out.unicodeScalars.append(c)
    }
    return out
  }

  /// Whether `text` is a plain name (letters, digits, `_`, `-`) that means itself in a regex.
  static func isLiteral(_ text: String) -> Bool {
    !text.isEmpty && text.utf8.allSatisfy { b in
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }
  }
}

/// A pattern in an adapter config that is not a valid regular expression.
public struct InvalidPattern: Error, Hashable, Sendable, CustomStringConvertible {
  public var pattern: String
  public var detail: String
  public var description: String { "invalid regular expression '\(pattern)': \(detail)" }
}
