/// Validates a whole header as UTF-8 in one pass without copying it, as the reference does with
/// `str::from_utf8` before parsing.
enum UTF8Validation {
  /// The offset of the first byte of the first invalid sequence, or `nil` when all of `bytes` is
  /// well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
  static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
    let count = bytes.count
    guard let base = bytes.baseAddress else { return nil }
    var i = 0
    while i < count {
      // ASCII runs dominate headers: test eight bytes at a time.
      while i + 8 <= count, base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
        i += 8
      }
      guard i < count else { return nil }
      let lead = base.load(fromByteOffset: i, as: UInt8.self)
      if lead < 0x80 {
        i += 1
        continue
      }
      let length: Int
      var secondRange: ClosedRange<UInt8> = 0x80...0xBF
      switch lead {
      case 0xC2...0xDF: length = 2
      case 0xE0: length = 3; secondRange = 0xA0...0xBF
      case 0xE1...0xEC, 0xEE...0xEF: length = 3
      case 0xED: length = 3; secondRange = 0x80...0x9F
      case 0xF0: length = 4; secondRange = 0x90...0xBF
      case 0xF1...0xF3: length = 4
      case 0xF4: length = 4; secondRange = 0x80...0x8F
      default: return i
      }
      guard i + length <= count else { return i }
      guard secondRange.contains(base.load(fromByteOffset: i + 1, as: UInt8.self)) else { return i }
      for k in 2..<length where base.load(fromByteOffset: i + k, as: UInt8.self) & 0xC0 != 0x80 { return i }
      i += length
    }
    return nil
  }
}
