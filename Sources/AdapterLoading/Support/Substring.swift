extension String {
  /// Whether `needle` occurs in the string, compared as UTF-8 bytes — Python's `needle in text`, which
  /// compares code points (Swift's `contains` compares characters: `"e\u{301}".contains("e")` is false), and
  /// much faster than the generic collection search on hot paths (every key of a 19k-tensor model).
  @inline(__always)
  package func hasSubstring(_ needle: String) -> Bool {
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

extension String {
  /// Whether every byte is printable ASCII (0x20–0x7E): one byte is one character, so searches by bytes
  /// and by characters agree. Read in place (the UTF-8 view's iterator was a tenth of the default remap).
  var isPrintableASCII: Bool {
    let printable = { (b: UInt8) in b >= 0x20 && b < 0x7F }
    return utf8.withContiguousStorageIfAvailable { $0.allSatisfy(printable) } ?? utf8.allSatisfy(printable)
  }

  /// Calls `body` with the UTF-8 bytes, in place when the storage is contiguous (a native string always is;
  /// no copy of the string is made and retained, as `withUTF8` on a `var` copy does), else with a copy.
  @inline(__always)
  func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
    return Array(utf8).withUnsafeBufferPointer(body)
  }

  /// Whether every byte is ASCII.
  var isASCII: Bool {
    utf8.withContiguousStorageIfAvailable { $0.allSatisfy { $0 < 0x80 } } ?? utf8.allSatisfy { $0 < 0x80 }
  }

  /// `contains(needle)`, Swift's search by characters, answered on UTF-8 bytes when both strings are
  /// printable ASCII (one byte, one character: the two searches agree); the character search was most of
  /// some tuners' key mapping (Shadow, PEANuT), run for every key of the model.
  func containsText(_ needle: String) -> Bool {
    if isPrintableASCII && needle.isPrintableASCII { return hasSubstring(needle) }
    return contains(needle)
  }

  /// `replacing(needle, with: replacement)`, Swift's replacement by characters, done on UTF-8 bytes when
  /// the text and `needle` are printable ASCII (the searches agree there); Shadow's and PEANuT's key
  /// mapping replaces in every adapter key.
  func replacingText(_ needle: String, with replacement: String) -> String {
    guard !needle.isEmpty, isPrintableASCII && needle.isPrintableASCII else {
      return replacing(needle, with: replacement)
    }
    let bytes = Array(utf8)
    let pattern = Array(needle.utf8)
    var result: [UInt8] = []
    var copied = 0
    var i = 0
    // Left to right, without overlaps.
    while i + pattern.count <= bytes.count {
      if bytes[i] == pattern[0] && bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
        if result.isEmpty { result.reserveCapacity(bytes.count + replacement.utf8.count) }
        result += bytes[copied..<i]
        result += replacement.utf8
        i += pattern.count
        copied = i
      } else {
        i += 1
      }
    }
    guard copied > 0 else { return self }
    result += bytes[copied...]
    return String(decoding: result, as: UTF8.self)
  }
}

extension Substring {
  /// `firstIndex(of: ".")`, Swift's search by characters, found by bytes: a `.` byte whose neighbouring
  /// bytes are ASCII is a character of its own (only non-ASCII scalars join a grapheme with it), and no
  /// character is a `.` without one. Walking dotted paths by characters was a sixth of injecting an
  /// adapter and of torch's load (`perf record` of the default run).
  func firstDot() -> Index? {
    let bytes = utf8
    guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")) else { return nil }
    let isAlone = (dot == bytes.startIndex || bytes[bytes.index(before: dot)] < 0x80)
      && (bytes.index(after: dot) == bytes.endIndex || bytes[bytes.index(after: dot)] < 0x80)
    return isAlone ? dot : firstIndex(of: ".")
  }
}
