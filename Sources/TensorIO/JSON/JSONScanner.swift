/// A strict, allocation-light JSON tokenizer over raw bytes (RFC 8259).
///
/// Decoders drive it directly (`beginObject`, `nextKey`, `readString`, `readUInt64`, `skipValue`) so
/// they can build their own types without an intermediate tree, detect duplicate keys and stop on
/// the first error. It never traps on malformed input, and nesting is bounded by ``depthLimit``
/// (128, as serde_json). The caller must keep `bytes` alive while the scanner is used.
public struct JSONScanner {
  /// serde_json's default recursion limit; deeper input is an error, not a stack overflow.
  public static let defaultDepthLimit = 128

  public let bytes: UnsafeRawBufferPointer
  /// The current byte offset. Decoders that recognise a run of bytes themselves (a fast path for
  /// a fixed layout) may move it past that run; it must stay within `bytes` and on a token
  /// boundary at the same nesting depth.
  public var position: Int
  /// Maximum nesting of arrays and objects.
  public let depthLimit: Int
  var depth = 0

  public init(bytes: UnsafeRawBufferPointer, position: Int = 0, depthLimit: Int = JSONScanner.defaultDepthLimit) {
    self.bytes = bytes
    self.position = position
    self.depthLimit = depthLimit
  }

  // MARK: Whitespace and punctuation

  /// Skips JSON whitespace (space, tab, CR, LF).
  @inline(__always)
  public mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x09, 0x0A, 0x0D: position += 1
      default: return
      }
    }
  }

  /// The next non-whitespace byte without consuming it; `nil` at the end.
  @inline(__always)
  public mutating func peek() -> UInt8? {
    skipWhitespace()
    return position < bytes.count ? bytes[position] : nil
  }

  /// Consumes `byte` after optional whitespace.
  @inline(__always)
  public mutating func expect(_ byte: UInt8) throws(JSONError) {
    skipWhitespace()
    guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
    guard bytes[position] == byte else { throw JSONError(.unexpectedByte(bytes[position]), at: position) }
    position += 1
  }

  /// Requires that only whitespace remains.
  public mutating func expectEnd() throws(JSONError) {
    skipWhitespace()
    guard position == bytes.count else { throw JSONError(.trailingCharacters, at: position) }
  }

  mutating func enter() throws(JSONError) {
    depth += 1
    guard depth <= depthLimit else { throw JSONError(.tooDeep(limit: depthLimit), at: position) }
  }

  // MARK: Objects and arrays

  /// Consumes `{`.
  public mutating func beginObject() throws(JSONError) {
    try expect(UInt8(ascii: "{"))
    try enter()
  }

  /// Reads the next key of the object being read and its `:`; `nil` after the closing `}`.
  /// - Parameter first: `true` for the first call after ``beginObject()``.
  public mutating func nextKey(first: Bool) throws(JSONError) -> String? {
    guard try atNextKey(first: first) else { return nil }
    let key = try readString()
    try expect(UInt8(ascii: ":"))
    return key
  }

  /// Consumes the `,` before a key, or the object's closing `}` (then `false`).
  @inline(__always)
  mutating func atNextKey(first: Bool) throws(JSONError) -> Bool {
    skipWhitespace()
    guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
    if bytes[position] == UInt8(ascii: "}") {
      position += 1
      depth -= 1
      return false
    }
    if !first { try expect(UInt8(ascii: ",")) }
    return true
  }

  /// Consumes `[`.
  public mutating func beginArray() throws(JSONError) {
    try expect(UInt8(ascii: "["))
    try enter()
  }

  /// Whether another element follows (consuming the `,`); `false` after consuming `]`.
  public mutating func hasNextElement(first: Bool) throws(JSONError) -> Bool {
    skipWhitespace()
    guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
    if bytes[position] == UInt8(ascii: "]") {
      position += 1
      depth -= 1
      return false
    }
    if !first { try expect(UInt8(ascii: ",")) }
    return true
  }

  // MARK: Scalars

  /// Reads a string, decoding escapes. Rejects raw control characters and lone surrogates.
  public mutating func readString() throws(JSONError) -> String {
    try expect(UInt8(ascii: "\""))
    let start = position
    // Fast path: no escapes.
    while position < bytes.count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        let text = try Self.decodeUTF8(UnsafeRawBufferPointer(rebasing: bytes[start..<position]), at: start)
        position += 1
        return text
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
        return try utf8.withUnsafeBytes { raw in Result { () throws(JSONError) in try Self.decodeUTF8(raw, at: start) } }
          .get()
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

  private static func decodeUTF8(_ raw: UnsafeRawBufferPointer, at offset: Int) throws(JSONError) -> String {
    guard let text = String(validating: raw, as: UTF8.self) else { throw JSONError(.invalidUTF8, at: offset) }
    return text
  }

  mutating func readEscape(into utf8: inout [UInt8]) throws(JSONError) {
    guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
    let byte = bytes[position]
    position += 1
    switch byte {
    case UInt8(ascii: "\""): utf8.append(0x22)
    case UInt8(ascii: "\\"): utf8.append(0x5C)
    case UInt8(ascii: "/"): utf8.append(0x2F)
    case UInt8(ascii: "b"): utf8.append(0x08)
    case UInt8(ascii: "f"): utf8.append(0x0C)
    case UInt8(ascii: "n"): utf8.append(0x0A)
    case UInt8(ascii: "r"): utf8.append(0x0D)
    case UInt8(ascii: "t"): utf8.append(0x09)
    case UInt8(ascii: "u"):
      var scalar = try readHex4()
      if (0xD800..<0xDC00).contains(scalar) {
        // A high surrogate must be followed by an escaped low surrogate.
        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
          bytes[position + 1] == UInt8(ascii: "u")
        else { throw JSONError(.loneSurrogate, at: position) }
        position += 2
        let low = try readHex4()
        guard (0xDC00..<0xE000).contains(low) else { throw JSONError(.loneSurrogate, at: position) }
        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
      } else if (0xDC00..<0xE000).contains(scalar) {
        throw JSONError(.loneSurrogate, at: position)
      }
      guard let unicode = Unicode.Scalar(scalar) else { throw JSONError(.invalidEscape, at: position) }
      utf8.append(contentsOf: String(Character(unicode)).utf8)
    default:
      throw JSONError(.invalidEscape, at: position - 1)
    }
  }

  private mutating func readHex4() throws(JSONError) -> UInt32 {
    guard position + 4 <= bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[position]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw JSONError(.invalidEscape, at: position)
      }
      value = value << 4 | UInt32(digit)
      position += 1
    }
    return value
  }

  /// The kind of the next value, without consuming it.
  public enum Token: Sendable, Hashable { case object, array, string, number, bool, null }

  /// Classifies the next value.
  public mutating func peekToken() throws(JSONError) -> Token {
    guard let byte = peek() else { throw JSONError(.unexpectedEnd, at: position) }
    switch byte {
    case UInt8(ascii: "{"): return .object
    case UInt8(ascii: "["): return .array
    case UInt8(ascii: "\""): return .string
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
    case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
    case UInt8(ascii: "n"): return .null
    default: throw JSONError(.unexpectedByte(byte), at: position)
    }
  }

  /// Reads a number's text after validating it against the JSON grammar.
  public mutating func readNumberText() throws(JSONError) -> Substring {
    let range = try scanNumber()
    return Substring(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
  }

  /// Scans a number and returns its byte range; also reports whether it is a plain integer.
  private mutating func scanNumber() throws(JSONError) -> Range<Int> {
    skipWhitespace()
    let start = position
    if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
    guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
    if bytes[position] == UInt8(ascii: "0") {
      position += 1
    } else if isDigit(bytes[position]) {
      while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    } else {
      throw JSONError(.invalidNumber, at: start)
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
      position += 1
      guard position < bytes.count, isDigit(bytes[position]) else { throw JSONError(.invalidNumber, at: start) }
      while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
      position += 1
      if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
        position += 1
      }
      guard position < bytes.count, isDigit(bytes[position]) else { throw JSONError(.invalidNumber, at: start) }
      while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }
    return start..<position
  }

  @inline(__always) private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

  /// Reads a non-negative integer that fits in `UInt64`, as serde reads a `u64`/`usize`.
  /// - Throws: `.typeMismatch` for negative, fractional or exponent forms and for other value
  ///   types; `.outOfRange` when it does not fit. `field` names the value in the error.
  public mutating func readUInt64(field: @autoclosure () -> String) throws(JSONError) -> UInt64 {
    skipWhitespace()
    let start = position
    guard position < bytes.count else { throw JSONError(.unexpectedEnd, at: position) }
    let first = bytes[position]
    guard isDigit(first) else {
      if first == UInt8(ascii: "-") {
        _ = try scanNumber()
        throw JSONError(.typeMismatch(expected: "a non-negative integer", field: field()), at: start)
      }
      _ = try? skipValue()
      throw JSONError(.typeMismatch(expected: "a non-negative integer", field: field()), at: start)
    }
    var value: UInt64 = 0
    var overflow = false
    if first == UInt8(ascii: "0") {
      position += 1
    } else {
      while position < bytes.count, isDigit(bytes[position]) {
        let (times10, o1) = value.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[position] &- UInt8(ascii: "0")))
        overflow = overflow || o1 || o2
        value = sum
        position += 1
      }
    }
    if position < bytes.count,
      bytes[position] == UInt8(ascii: ".") || bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")
    {
      position = start
      _ = try scanNumber()
      throw JSONError(.typeMismatch(expected: "a non-negative integer", field: field()), at: start)
    }
    guard !overflow else { throw JSONError(.outOfRange(field: field()), at: start) }
    return value
  }

  /// Reads `true` or `false`.
  public mutating func readBool() throws(JSONError) -> Bool {
    skipWhitespace()
    if try matchLiteral("true") { return true }
    if try matchLiteral("false") { return false }
    throw JSONError(.invalidLiteral, at: position)
  }

  /// Consumes `null` if it is next.
  public mutating func readNullIfPresent() throws(JSONError) -> Bool {
    skipWhitespace()
    guard position < bytes.count, bytes[position] == UInt8(ascii: "n") else { return false }
    guard try matchLiteral("null") else { throw JSONError(.invalidLiteral, at: position) }
    return true
  }

  private mutating func matchLiteral(_ literal: StaticString) throws(JSONError) -> Bool {
    let count = literal.utf8CodeUnitCount
    guard position + count <= bytes.count else {
      if position < bytes.count, bytes[position] == literal.utf8Start.pointee {
        throw JSONError(.unexpectedEnd, at: bytes.count)
      }
      return false
    }
    for i in 0..<count where bytes[position + i] != literal.utf8Start[i] { return false }
    position += count
    return true
  }

  /// Validates and skips one value of any type.
  public mutating func skipValue() throws(JSONError) {
    switch try peekToken() {
    case .object:
      try beginObject()
      var first = true
      while try nextKey(first: first) != nil {
        first = false
        try skipValue()
      }
    case .array:
      try beginArray()
      var first = true
      while try hasNextElement(first: first) {
        first = false
        try skipValue()
      }
    case .string: _ = try readString()
    case .number: _ = try scanNumber()
    case .bool: _ = try readBool()
    case .null: _ = try readNullIfPresent()
    }
  }
}
