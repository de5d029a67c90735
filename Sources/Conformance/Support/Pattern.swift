/// A compiled regular expression over case ids, kept with its source text.
///
/// Matching is a *search* (as onnx's backend runner and `grep` do): anchor with `^…$` for a whole id.
public struct Pattern: @unchecked Sendable, Hashable, CustomStringConvertible {
  // Regex values are immutable once built; the box only hides the non-Sendable output type.
  private let regex: Regex<AnyRegexOutput>
  /// The pattern as written.
  public let source: String

  /// Compiles `source`.
  /// - Throws: ``PatternError`` naming the pattern.
  public init(_ source: String) throws(PatternError) {
    do {
      regex = try Regex(source)
    } catch {
      throw PatternError(pattern: source, message: "\(error)")
    }
    self.source = source
  }

  /// Whether the pattern occurs anywhere in `text`.
  public func matches(_ text: String) -> Bool {
    (try? regex.firstMatch(in: text)) != nil
  }

  public var description: String { source }

  public static func == (lhs: Pattern, rhs: Pattern) -> Bool { lhs.source == rhs.source }
  public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

/// A pattern that does not compile.
public struct PatternError: Error, Sendable, Hashable, CustomStringConvertible {
  public var pattern: String
  public var message: String

  public var description: String { "invalid regular expression '\(pattern)': \(message)" }
}
