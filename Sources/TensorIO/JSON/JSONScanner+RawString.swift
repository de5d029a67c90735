extension JSONScanner {
  /// A JSON string's content without a `String` built for it.
  public enum RawString: Sendable, Hashable {
    /// The string has no escapes: its content is exactly `bytes[range]` of the scanned text.
    case span(Range<Int>)
    /// The string had escapes: its decoded UTF-8 bytes.
    case decoded([UInt8])
  }

  /// Reads a string like ``readString()`` but returns where its bytes are instead of a `String`,
  /// so hot decoders can compare keys without allocating.
  ///
  /// Raw control characters, bad escapes and lone surrogates are rejected as in ``readString()``;
  /// UTF-8 is **not** validated. Use it only on text validated as a whole beforehand.
  public mutating func readRawString() throws(JSONError) -> RawString {
    try expect(UInt8(ascii: "\""))
    let start = position
    // Skip eight plain bytes at a time; any quote, backslash or control byte (or a false alarm)
    // drops to the byte loop below.
    while position + 8 <= bytes.count {
      let word = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
      if Self.mayHaveSpecialByte(word) { break }
      position += 8
    }
    while position < bytes.count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        return .span(start..<position - 1)
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { throw JSONError(.controlCharacterInString, at: position) }
      position += 1
    }
    guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
    var utf8 = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
    while position < bytes.count {
      let byte = bytes[position]
      switch byte {
      case UInt8(ascii: "\""):
        position += 1
        return .decoded(utf8)
      case UInt8(ascii: "\\"):
        position += 1
        try readEscape(into: &utf8)
      case 0..<0x20:
        throw JSONError(.controlCharacterInString, at: position)
      default:
        utf8.append(byte)
        position += 1
      }
    }
    throw JSONError(.unexpectedEnd, at: position)
  }

  /// Whether any byte of `word` may be `"`, `\\` or below 0x20 (never a false "no").
  @inlinable @inline(__always)
  public static func mayHaveSpecialByte(_ word: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
    let quote = word ^ (ones &* 0x22)
    let backslash = word ^ (ones &* 0x5C)
    let control = (word &- ones &* 0x20) & ~word & highs
    return hasZeroByte(quote) || hasZeroByte(backslash) || control != 0
  }

  /// Like ``nextKey(first:)``, returning the key as a ``RawString`` (UTF-8 not validated).
  public mutating func nextRawKey(first: Bool) throws(JSONError) -> RawString? {
    guard try atNextKey(first: first) else { return nil }
    let key = try readRawString()
    try expect(UInt8(ascii: ":"))
    return key
  }

  /// Calls `body` with the content bytes of a string read by this scanner.
  @inline(__always)
  public func withContent<R>(of string: RawString, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    switch string {
    case .span(let range): try body(UnsafeRawBufferPointer(rebasing: bytes[range]))
    case .decoded(let utf8): try utf8.withUnsafeBytes(body)
    }
  }

  /// Whether a string read by this scanner equals `literal` byte for byte.
  @inline(__always)
  public func content(of string: RawString, equals literal: StaticString) -> Bool {
    withContent(of: string) { raw in
      raw.count == literal.utf8CodeUnitCount
        && (0..<raw.count).allSatisfy { raw[$0] == literal.utf8Start[$0] }
    }
  }
}
