#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Substring search on UTF-8 bytes in place (a vector scan for the needle's first and last two bytes, then
/// `memcmp`): the standard library's substring search builds a table per call, which dominated loading
/// 19k-tensor checkpoints and matching expectation entries against thousands of case ids.
package enum ByteSearch {
  /// Whether `haystack` holds `needle` (an empty needle is everywhere).
  package static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
    guard let first = needle.first else { return true }
    guard let base = haystack.baseAddress, haystack.count >= needle.count else { return false }
    let last = haystack.count - needle.count
    guard needle.count >= 2 else { return memchr(base, Int32(first), haystack.count) != nil }
    // Candidates are where the needle's first byte and its last two bytes stand, found 16 positions at a
    // time: its last two alone stopped too often in dotted names (a renaming's `.weight_g` at every `.weight`
    // of a MoE base's megabyte of joined keys; `model.language_model.model`'s `el` twice in every key), each
    // stop a `memcmp`.
    let anchor = needle.count - 2
    var start = 0
    while let position = candidate(needle, anchor: anchor, in: haystack, from: start, through: last) {
      if memcmp(base + position, needle, needle.count) == 0 { return true }
      start = position + 1
    }
    return false
  }

  /// The first start `s` in `from...through` where `bytes[s]` is the needle's first byte and
  /// `bytes[s + anchor ..< s + anchor + 2]` its last two (`through + anchor + 1 < bytes.count`).
  private static func candidate(
    _ needle: [UInt8], anchor: Int, in bytes: UnsafeBufferPointer<UInt8>, from start: Int, through end: Int
  ) -> Int? {
    guard start <= end, let base = bytes.baseAddress else { return nil }
    let (head, a, b) = (needle[0], needle[anchor], needle[anchor + 1])
    let raw = UnsafeRawPointer(base)
    let wantHead = SIMD16<UInt8>(repeating: head)
    let wantA = SIMD16<UInt8>(repeating: a)
    let wantB = SIMD16<UInt8>(repeating: b)
    var s = start
    // 16 starts a step: bytes s ..< s + anchor + 17 are read, all at most `end + anchor + 1`.
    while s + 15 <= end {
      let heads = raw.loadUnaligned(fromByteOffset: s, as: SIMD16<UInt8>.self)
      let here = raw.loadUnaligned(fromByteOffset: s + anchor, as: SIMD16<UInt8>.self)
      let next = raw.loadUnaligned(fromByteOffset: s + anchor + 1, as: SIMD16<UInt8>.self)
      let hits = (heads .== wantHead) .& (here .== wantA) .& (next .== wantB)
      if any(hits) {
        for lane in 0..<16 where hits[lane] { return s + lane }
      }
      s += 16
    }
    while s <= end {
      if base[s] == head, base[s + anchor] == a, base[s + anchor + 1] == b { return s }
      s += 1
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

  /// How many leading bytes `a` and `b` share, compared eight at a time: sorted names share long prefixes
  /// (`model.layers.17.self_attn.`), and both the natural key order and tree building start where they differ.
  package static func commonPrefixLength(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    let common = min(a.count, b.count)
    guard common > 0, let p = a.baseAddress, let q = b.baseAddress else { return 0 }
    var length = 0
    while length + 8 <= common {
      let x = UnsafeRawPointer(p + length).loadUnaligned(as: UInt64.self)
      let y = UnsafeRawPointer(q + length).loadUnaligned(as: UInt64.self)
      // The lowest differing byte of two little-endian words is their XOR's lowest set byte.
      if x != y { return length + (x ^ y).littleEndian.trailingZeroBitCount / 8 }
      length += 8
    }
    while length < common && p[length] == q[length] { length += 1 }
    return length
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
