import TensorIO

/// A regular expression written for Python's `re` module, compiled with Swift's regex engine.
///
/// The patterns PEFT users write (`.*\.(q|v)_proj`, `layers`, `h`) use the common subset of both
/// dialects; matching is done on Unicode scalars, as Python does, not on grapheme clusters.
struct PythonRegex {
  let pattern: String
  private let regex: Regex<AnyRegexOutput>

  /// - Throws: ``InvalidPattern`` when the pattern does not compile (Python raises `re.error`).
  init(_ pattern: String) throws(InvalidPattern) {
    self.pattern = pattern
    do {
      regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
    } catch {
      throw InvalidPattern(pattern: pattern, detail: "\(error)")
    }
  }

  /// `re.fullmatch(pattern, text) is not None`.
  func fullMatch(_ text: String) -> Bool {
    (try? regex.wholeMatch(in: text)) != nil
  }

  /// `re.match(pattern, text)`: a match anchored at the start.
  func prefixMatch(_ text: String) -> Regex<AnyRegexOutput>.Match? {
    (try? regex.prefixMatch(in: text)) ?? nil
  }

  /// `re.search(pattern, text) is not None`.
  func search(_ text: String) -> Bool {
    (try? regex.firstMatch(in: text)) != nil
  }

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
