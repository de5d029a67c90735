#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Substring search on UTF-8 bytes in place (`memchr` for the first byte, then `memcmp`): names and ids are
/// short, and the standard library's substring search builds a table per call, which dominated loading
/// 19k-tensor checkpoints and matching expectation entries against thousands of case ids.
package enum ByteSearch {
  /// Whether `haystack` holds `needle` (an empty needle is everywhere).
  package static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
    guard let first = needle.first else { return true }
    guard let base = haystack.baseAddress, haystack.count >= needle.count else { return false }
    let last = haystack.count - needle.count
    var start = 0
    while start <= last {
      guard let hit = memchr(base + start, Int32(first), last - start + 1) else { return false }
      start = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
      if memcmp(base + start, needle, needle.count) == 0 { return true }
      start += 1
    }
    return false
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
