/// Serializes ``JSONValue`` deterministically.
public struct JSONWriter: Sendable {
  /// Indentation per level; `nil` writes everything on one line.
  public var indent: Int?
  /// Sort object keys by their UTF-8 bytes (Python's `sort_keys=True` order for ASCII keys).
  public var sortKeys: Bool
  /// Escape every non-ASCII character as `\uXXXX` (Python's default `ensure_ascii=True`).
  public var asciiOnly: Bool

  public init(indent: Int? = 2, sortKeys: Bool = false, asciiOnly: Bool = false) {
    self.indent = indent
    self.sortKeys = sortKeys
    self.asciiOnly = asciiOnly
  }

  /// The way Python's `json.dumps(value, indent=2, sort_keys=True)` writes, which is how PEFT writes
  /// `adapter_config.json`.
  public static let pythonSorted = JSONWriter(indent: 2, sortKeys: true, asciiOnly: true)

  /// Compact, in member order.
  public static let compact = JSONWriter(indent: nil)

  /// The text.
  public func string(_ value: JSONValue) -> String {
    String(decoding: bytes(value), as: UTF8.self)
  }

  /// The text as UTF-8 bytes (for hashing them, with no `String` made in between).
  public func bytes(_ value: JSONValue) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(256)
    write(value, level: 0, into: &out)
    return out
  }

  // Written on UTF-8 bytes: reports write tens of thousands of results whose strings hold quotes and newlines
  // (outcomes embedded as JSON text), and escaping those a scalar at a time was half of rendering them.
  private func write(_ value: JSONValue, level: Int, into out: inout [UInt8]) {
    switch value {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
    case .number(let text): out.append(contentsOf: text.utf8)
    case .string(let s): Self.writeString(s, asciiOnly: asciiOnly, into: &out)
    case .array(let elements):
      if elements.isEmpty {
        out.append(contentsOf: "[]".utf8)
        return
      }
      out.append(UInt8(ascii: "["))
      for i in elements.indices {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        newline(level + 1, into: &out)
        write(elements[i], level: level + 1, into: &out)
      }
      newline(level, into: &out)
      out.append(UInt8(ascii: "]"))
    case .object(let object):
      if object.count == 0 {
        out.append(contentsOf: "{}".utf8)
        return
      }
      out.append(UInt8(ascii: "{"))
      let members = sortKeys ? object.members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : object.members
      for i in members.indices {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        newline(level + 1, into: &out)
        Self.writeString(members[i].key, asciiOnly: asciiOnly, into: &out)
        out.append(UInt8(ascii: ":"))
        if indent != nil { out.append(UInt8(ascii: " ")) }
        write(members[i].value, level: level + 1, into: &out)
      }
      newline(level, into: &out)
      out.append(UInt8(ascii: "}"))
    }
  }

  private func newline(_ level: Int, into out: inout [UInt8]) {
    guard let indent else { return }
    out.append(UInt8(ascii: "\n"))
    out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
  }

  /// Appends `s` as a JSON string literal.
  public static func writeString(_ s: String, asciiOnly: Bool = false, into out: inout String) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(s.utf8.count + 2)
    writeString(s, asciiOnly: asciiOnly, into: &bytes)
    out += String(decoding: bytes, as: UTF8.self)
  }

  /// Appends `s` as a JSON string literal: `"`, `\` and the C0 controls escaped (the short forms where JSON
  /// has them, else `\u00xx`); with `asciiOnly` also DEL and every non-ASCII scalar (`\uXXXX`, a surrogate
  /// pair above U+FFFF). Runs of bytes that need no escape are copied whole.
  static func writeString(_ s: String, asciiOnly: Bool, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var s = s
    s.withUTF8 { bytes in
      var plain = 0
      var i = 0
      while i < bytes.count {
        // Eight bytes at a time while none needs an escape (most strings need none).
        while i + 8 <= bytes.count,
          !Self.needsEscape(UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self), asciiOnly: asciiOnly)
        {
          i += 8
        }
        guard i < bytes.count else { break }
        let byte = bytes[i]
        if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && (!asciiOnly || byte < 0x7F) {
          i += 1
          continue
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<i]))
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
        case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
        case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
        case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
        case 0x08: out.append(contentsOf: #"\b"#.utf8)
        case 0x0C: out.append(contentsOf: #"\f"#.utf8)
        case ..<0x80:
          hex4(UInt32(byte), into: &out)
        default:
          // Only with `asciiOnly`: the scalar this lead byte starts, from the (valid) UTF-8 that follows.
          let (scalar, length) = decodeScalar(bytes, at: i)
          if scalar > 0xFFFF {
            let v = scalar - 0x10000
            hex4(0xD800 + (v >> 10), into: &out)
            hex4(0xDC00 + (v & 0x3FF), into: &out)
          } else {
            hex4(scalar, into: &out)
          }
          i += length
          plain = i
          continue
        }
        i += 1
        plain = i
      }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain...]))
    }
    out.append(UInt8(ascii: "\""))
  }

  /// Whether any of the eight bytes of `word` must be escaped: a C0 control, `"`, `\`, and with `asciiOnly`
  /// DEL or a byte of a non-ASCII scalar. Exact (the byte-wise tests on the whole word borrow across bytes
  /// only from a byte that matches, and the lowest match always sets its own high bit): the reports' strings
  /// and the pair cache's recipes were scanned a byte at a time, 18 % of writing them.
  @inline(__always)
  private static func needsEscape(_ word: UInt64, asciiOnly: Bool) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    func hasZeroByte(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
    let control = (word &- ones &* 0x20) & ~word & highs != 0
    let special = hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    let nonASCII = asciiOnly && (word & highs != 0 || hasZeroByte(word ^ (ones &* 0x7F)))
    return control || special || nonASCII
  }

  /// The scalar whose UTF-8 starts at `i` (a String's bytes are valid UTF-8) and its length in bytes.
  private static func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
    let lead = UInt32(bytes[i])
    let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
    var scalar = lead & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F)
    for k in 1..<length { scalar = scalar << 6 | UInt32(bytes[i + k] & 0x3F) }
    return (scalar, length)
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  private static func hex4(_ v: UInt32, into out: inout [UInt8]) {
    out.append(contentsOf: #"\u"#.utf8)
    for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int(v >> UInt32(shift) & 0xF)]) }
  }
}
