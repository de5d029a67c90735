import SystemSupport
import TensorIO

/// One of transformers 5's `WeightRenaming`s, applied to a checkpoint key exactly as
/// `WeightTransform.rename_source_key` does: search the compiled alternation in the key (below the
/// transform's scope), replace the first occurrence of the match by the replacement, with `\1` standing
/// for the group right after the branch that matched.
///
/// Keys are first checked for a literal every branch requires, so the regex runs only on keys that can
/// match (checkpoints have tens of thousands of keys; few are renamed).
struct KeyRenaming: Sendable, Hashable {
  var regex: String
  var replacement: String
  /// Group number of each branch (`g0` → 1), in branch order.
  var branchGroups: [Int]
  /// `scope_prefix` of a sub-model's transform (`""` for the root model's).
  var scope: String
  /// Literals one of which every match contains (`nil`: no cheap test, always run the regex).
  var requiredLiterals: [String]?

  init?(_ transform: WeightTransform) {
    guard transform.operation == "WeightRenaming" || transform.operation == "PrefixChange",
      let regex = transform.regex, let replacement = transform.replacement
    else { return nil }
    self.regex = regex
    self.replacement = replacement
    branchGroups = transform.groups.sorted { $0.key < $1.key }.map(\.value)
    scope = transform.scope ?? ""
    let literals = transform.sourcePatterns.map(Self.requiredLiteral)
    requiredLiterals = literals.allSatisfy { $0 != nil } ? literals.compactMap { $0 } : nil
    literalBytes = requiredLiterals?.map { Array($0.utf8) }
  }

  /// `requiredLiterals` as UTF-8, searched in every key.
  private var literalBytes: [[UInt8]]?

  /// Whether some key in `keys` may match: `false` only when no key holds any of the literals every match
  /// contains. transformers' legacy renamings apply to almost no checkpoint, and one search through all the
  /// keys at once costs a fraction of trying each of 19,000 keys in turn.
  func mayMatchAny(of keys: inout JoinedKeys) -> Bool {
    guard let literalBytes else { return true }
    return literalBytes.contains { literal in
      // A literal holding the separator could match across two keys' boundary: searched key by key then.
      literal.contains(JoinedKeys.separator) || keys.holds(literal)
    }
  }

  /// The renaming applied to `key`, or `nil` when it does not match.
  func apply(to key: String) -> String? {
    if let literalBytes, !ByteSearch.contains(key, anyOf: literalBytes) { return nil }
    var prefix = ""
    var rest = key
    if !scope.isEmpty {
      guard key.hasPrefix(scope + ".") else { return nil }
      prefix = scope + "."
      rest = String(key.dropFirst(prefix.count))
    }
    guard let compiled = KeyRenaming.compiled(regex),
      let match = (try? compiled.firstMatch(in: rest)) ?? nil
    else { return nil }
    var replacement = self.replacement
    if replacement.contains("\\1"),
      let branch = branchGroups.first(where: { match.output.count > $0 && match.output[$0].substring != nil }),
      match.output.count > branch + 1, let inner = match.output[branch + 1].substring
    {
      replacement = replacement.replacing("\\1", with: String(inner))
    }
    // Python replaces the first occurrence of the matched text, which may precede the match itself.
    let matched = String(rest[match.range])
    guard let first = rest.firstRange(of: matched) else { return nil }
    rest.replaceSubrange(first, with: replacement)
    return prefix + rest
  }

  /// A literal substring every match of `pattern` contains: the longest run of plain characters at the
  /// top level of the pattern (outside groups, not quantified); `nil` when the pattern has none or a
  /// top-level alternation.
  static func requiredLiteral(_ pattern: String) -> String? {
    let scalars = Array(pattern.unicodeScalars)
    var runs: [String] = []
    var current = ""
    var depth = 0
    var i = 0
    func flush() {
      if !current.isEmpty { runs.append(current) }
      current = ""
    }
    while i < scalars.count {
      let c = scalars[i]
      let next = i + 1 < scalars.count ? scalars[i + 1] : nil
      let quantified: (UnicodeScalar?) -> Bool = { ["*", "+", "?", "{"].contains($0 ?? " ") }
      switch c {
      case "\\":
        guard let escaped = next else { return nil }
        // Escapes that spell a character by its code (`\x41`, `\u0041`, `\N{…}`, octal) are not
        // followed here: no literal is claimed for such a pattern.
        if ["x", "u", "U", "N", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"].contains(escaped) { return nil }
        let after = i + 2 < scalars.count ? scalars[i + 2] : nil
        let isClass = escaped.properties.isAlphabetic || ("0"..."9").contains(escaped)
        if depth == 0, !isClass, !quantified(after) {
          current.unicodeScalars.append(escaped)
        } else {
          flush()
        }
        i += 2
        continue
      case "(":
        // Inline flags (`(?i)`) change what matches: no literal is claimed.
        if next == "?", i + 2 < scalars.count, scalars[i + 2].properties.isAlphabetic { return nil }
        flush()
        depth += 1
      case ")":
        flush()
        depth -= 1
      case "|":
        if depth == 0 { return nil }
        flush()
      case "^", "$":
        flush()
      case "[", "{":
        // A class or a repetition count is opaque: skip to its end.
        flush()
        let close: UnicodeScalar = c == "[" ? "]" : "}"
        i += 1
        while i < scalars.count, scalars[i] != close {
          if scalars[i] == "\\" { i += 1 }
          i += 1
        }
      case ".", "]", "*", "+", "?", "}":
        flush()
      default:
        if depth == 0 && !quantified(next) {
          current.unicodeScalars.append(c)
        } else {
          flush()
        }
      }
      i += 1
    }
    flush()
    return runs.max { $0.count < $1.count }
  }

  /// Compiled regexes, shared by every architecture (a handful of distinct patterns).
  private static func compiled(_ pattern: String) -> Regex<AnyRegexOutput>? {
    if let hit = cache.withLock({ $0[pattern] }) { return hit.regex }
    let regex = try? Regex(pattern).matchingSemantics(.unicodeScalar)
    cache.withLock { $0[pattern] = CompiledRegex(regex: regex) }
    return regex
  }

  private struct CompiledRegex: @unchecked Sendable {
    // `Regex` is not `Sendable`; a compiled regex is immutable and only read.
    var regex: Regex<AnyRegexOutput>?
  }
  private static let cache = Locked<[String: CompiledRegex]>([:])

  /// transformers' legacy renamings, applied to every model (`LayerNorm.gamma` → `LayerNorm.weight`, …).
  static let legacy: [KeyRenaming] = ModelStructureTable.legacy.compactMap(KeyRenaming.init)
}

/// Checkpoint keys in one buffer, each followed by a NUL byte, searched at once by
/// ``KeyRenaming/mayMatchAny(of:)`` (a literal without that byte cannot match across two keys).
struct JoinedKeys {
  static let separator: UInt8 = 0
  let bytes: [UInt8]
  /// Literals searched so far: renamings share theirs (transformers' two legacy `LayerNorm` renamings), and
  /// each search reads the megabyte of a MoE base's keys.
  private var searched: [[UInt8]: Bool] = [:]

  init(_ keys: [(key: String, info: TensorInfo)]) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(keys.reduce(0) { $0 + $1.key.utf8.count + 1 })
    // Each name copied whole, in place (a generic copy of its `UTF8View` and the tuple's retains were most of
    // joining a 19k-key MoE base's names, itself nearly half of renaming them when no renaming applies).
    for i in keys.indices {
      keys[i].key.withUTF8Bytes { bytes.append(contentsOf: $0) }
      bytes.append(Self.separator)
    }
    self.bytes = bytes
  }

  /// Whether `literal` occurs in the joined keys.
  mutating func holds(_ literal: [UInt8]) -> Bool {
    if let known = searched[literal] { return known }
    let found = bytes.withUnsafeBufferPointer { ByteSearch.contains($0, literal) }
    searched[literal] = found
    return found
  }
}
