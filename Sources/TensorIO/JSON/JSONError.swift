/// Why a JSON text was rejected, with the byte offset where the problem was found.
public struct JSONError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What went wrong.
  public enum Reason: Hashable, Sendable {
    case unexpectedEnd
    case unexpectedByte(UInt8)
    case invalidLiteral
    case invalidNumber
    case invalidEscape
    case loneSurrogate
    case controlCharacterInString
    case invalidUTF8
    case tooDeep(limit: Int)
    case duplicateKey(String)
    case trailingCharacters
    /// A value of the wrong type for the field (used by decoders built on the scanner).
    case typeMismatch(expected: String, field: String)
    /// A number out of the allowed range for the field.
    case outOfRange(field: String)
  }

  public var reason: Reason
  /// Byte offset into the text.
  public var offset: Int

  public init(_ reason: Reason, at offset: Int) {
    self.reason = reason
    self.offset = offset
  }

  public var description: String {
    let what: String
    switch reason {
    case .unexpectedEnd: what = "unexpected end of input"
    case .unexpectedByte(let b):
      what = (0x20..<0x7F).contains(b)
        ? "unexpected character '\(Character(Unicode.Scalar(b)))'" : "unexpected byte 0x\(String(b, radix: 16))"
    case .invalidLiteral: what = "invalid literal"
    case .invalidNumber: what = "invalid number"
    case .invalidEscape: what = "invalid escape sequence"
    case .loneSurrogate: what = "lone surrogate in \\u escape"
    case .controlCharacterInString: what = "control character in string"
    case .invalidUTF8: what = "invalid UTF-8"
    case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
    case .duplicateKey(let key): what = "duplicate key \"\(key)\""
    case .trailingCharacters: what = "trailing characters after the JSON value"
    case .typeMismatch(let expected, let field): what = "\(field): expected \(expected)"
    case .outOfRange(let field): what = "\(field): number out of range"
    }
    return "\(what) at byte \(offset)"
  }
}
