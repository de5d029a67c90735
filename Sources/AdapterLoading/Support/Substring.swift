extension String {
  /// Whether `needle` occurs in the string, compared as UTF-8 bytes — Python's `needle in text` for
  /// the ASCII keys Adaptest handles, and much faster than the generic collection search on hot paths
  /// (every key of a 19k-tensor model).
  @inline(__always)
  func hasSubstring(_ needle: String) -> Bool {
    let n = needle.utf8.count
    if n == 0 { return true }
    let h = utf8.count
    if n > h { return false }
    var haystack = self
    var pattern = needle
    return haystack.withUTF8 { hay in
      pattern.withUTF8 { pat in
        let first = pat[0]
        var i = 0
        let last = h - n
        while i <= last {
          if hay[i] == first {
            var j = 1
            while j < n && hay[i + j] == pat[j] { j += 1 }
            if j == n { return true }
          }
          i += 1
        }
        return false
      }
    }
  }
}
