/// "Did you mean …?" for misspelt field names, tuner names and the like.
enum Suggestions {
  /// The closest candidate within a small edit distance, compared case-insensitively.
  static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
    let target = Array(word.lowercased().unicodeScalars)
    var best: (String, Int)?
    for candidate in candidates {
      let distance = editDistance(target, Array(candidate.lowercased().unicodeScalars))
      let limit = max(1, min(3, (candidate.unicodeScalars.count + 1) / 4))
      if distance <= limit, best.map({ distance < $0.1 }) ?? true { best = (candidate, distance) }
    }
    return best?.0
  }

  /// `expected` text listing the allowed values, with a suggestion first when there is one.
  static func expected(_ word: String, among candidates: [String], noun: String = "one of") -> String {
    let sorted = candidates.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    let list = "\(noun) \(sorted.joined(separator: ", "))"
    if let guess = closest(to: word, in: candidates) { return "'\(guess)' (did you mean it?); \(list)" }
    return list
  }

  private static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var beforePrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
        current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        // An adjacent transposition ("LROA" for "LORA") counts as one edit.
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          current[j] = min(current[j], beforePrevious[j - 2] + 1)
        }
      }
      (beforePrevious, previous, current) = (previous, current, beforePrevious)
    }
    return previous[b.count]
  }
}
