/// transformers' `dot_natural_key` order for state-dict names: split on `.`; an all-digit part
/// sorts as a number and before any text part; a text part sorts by its text without trailing
/// digits, then by those digits as a number (`shard_2` before `shard_11`).
enum NaturalKey {
  /// -1, 0 or 1 as `a` sorts before, with or after `b`.
  static func compare(_ a: String, _ b: String) -> Int {
    let left = a.split(separator: ".", omittingEmptySubsequences: false)
    let right = b.split(separator: ".", omittingEmptySubsequences: false)
    for (l, r) in zip(left, right) {
      let order = compare(part: l, r)
      if order != 0 { return order }
    }
    return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
  }

  private static func compare(part a: Substring, _ b: Substring) -> Int {
    let (aText, aDigits) = split(a)
    let (bText, bDigits) = split(b)
    // An all-digit part is (0, n); any other part is (1, text) or (1, text, n).
    switch (aText.isEmpty && !aDigits.isEmpty, bText.isEmpty && !bDigits.isEmpty) {
    case (true, true): return compare(number: aDigits, bDigits)
    case (true, false): return -1
    case (false, true): return 1
    case (false, false): break
    }
    if aText != bText { return aText.unicodeScalars.lexicographicallyPrecedes(bText.unicodeScalars) ? -1 : 1 }
    switch (aDigits.isEmpty, bDigits.isEmpty) {
    case (true, true): return 0
    case (true, false): return -1
    case (false, true): return 1
    case (false, false): return compare(number: aDigits, bDigits)
    }
  }

  /// The part without its trailing ASCII digits, and those digits.
  private static func split(_ part: Substring) -> (Substring, Substring) {
    var end = part.endIndex
    while end > part.startIndex, let ascii = part[part.index(before: end)].asciiValue, (48...57).contains(ascii) {
      end = part.index(before: end)
    }
    return (part[..<end], part[end...])
  }

  /// Compares digit strings as numbers of any length.
  private static func compare(number a: Substring, _ b: Substring) -> Int {
    let x = a.drop { $0 == "0" }
    let y = b.drop { $0 == "0" }
    if x.count != y.count { return x.count < y.count ? -1 : 1 }
    if x == y { return 0 }
    return x.lexicographicallyPrecedes(y) ? -1 : 1
  }
}
