#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Substring search on UTF-8 bytes in place (a vector scan for the needle's last two bytes, then `memcmp`):
/// the standard library's substring search builds a table per call, which dominated loading 19k-tensor
/// checkpoints and matching expectation entries against thousands of case ids.
package enum ByteSearch {
  /// Whether `haystack` holds `needle` (an empty needle is everywhere).
  package static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
    guard let first = needle.first else { return true }
    guard let base = haystack.baseAddress, haystack.count >= needle.count else { return false }
    let last = haystack.count - needle.count
    guard needle.count >= 2 else { return memchr(base, Int32(first), haystack.count) != nil }
    // Candidates are where the needle's last two bytes stand, found 16 positions at a time: a single byte
    // stopped too often in dotted names (a renaming's `.weight_g` at every `.weight` of a MoE base's
    // megabyte of joined keys, each stop a `memcmp`).
    let anchor = needle.count - 2
    var start = 0
    let (a, b) = (needle[anchor], needle[anchor + 1])
    while let position = pair(a, b, in: haystack, from: start + anchor, through: last + anchor) {
      start = position - anchor
      if memcmp(base + start, needle, needle.count) == 0 { return true }
      start += 1
    }
    return false
  }

  /// The first position `p` in `from...through` where `bytes[p] == a` and `bytes[p + 1] == b`
  /// (`through + 1 < bytes.count`).
  private static func pair(
    _ a: UInt8, _ b: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int, through end: Int
  ) -> Int? {
    guard start <= end, let base = bytes.baseAddress else { return nil }
    let raw = UnsafeRawPointer(base)
    let wantA = SIMD16<UInt8>(repeating: a)
    let wantB = SIMD16<UInt8>(repeating: b)
    var p = start
    // 16 positions a step: bytes p ..< p + 17 are read, all at most `end + 1`.
    while p + 15 <= end {
      let here = raw.loadUnaligned(fromByteOffset: p, as: SIMD16<UInt8>.self)
      let next = raw.loadUnaligned(fromByteOffset: p + 1, as: SIMD16<UInt8>.self)
      let hits = (here .== wantA) .& (next .== wantB)
      if any(hits) {
        for lane in 0..<16 where hits[lane] { return p + lane }
      }
      p += 16
    }
    while p <= end {
      if base[p] == a, base[p + 1] == b { return p }
      p += 1
    }
    return nil
  }

  /// Whether `a` comes before `b` in UTF-8 byte order, compared in place with `memcmp`: ids and keys are
  /// sorted by thousands, and the generic comparison of two `UTF8View`s walked them byte by byte.
  package static func precedes(_ a: String, _ b: String) -> Bool {
    var a = a
    var b = b
    return a.withUTF8 { x in b.withUTF8 { y in compare(x, y) < 0 } }
  }

  /// The byte order of `a` and `b` (negative, zero or positive, as `memcmp`), a prefix first.
  package static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    let common = min(a.count, b.count)
    if common > 0, let p = a.baseAddress, let q = b.baseAddress {
      let order = memcmp(p, q, common)
      if order != 0 { return Int(order) }
    }
    return a.count - b.count
  }

  /// The position of the first `byte` in `bytes[from...]`, or `bytes.count` (`memchr`: the megabytes of an
  /// embedded table are indexed by line at start-up).
  package static func firstIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    guard let base = bytes.baseAddress, start < bytes.count,
      let hit = memchr(base + start, Int32(byte), bytes.count - start)
    else { return bytes.count }
    return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
  }

  /// Whether `text`'s UTF-8 holds one of `needles` (a scalar sequence occurs in a text exactly when its
  /// UTF-8 bytes do).
  package static func contains(_ text: String, anyOf needles: [[UInt8]]) -> Bool {
    var text = text
    return text.withUTF8 { bytes in needles.contains { contains(bytes, $0) } }
  }
}
