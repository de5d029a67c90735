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
    var out = ""
    write(value, level: 0, into: &out)
    return out
  }

  private func write(_ value: JSONValue, level: Int, into out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let text): out += text
    case .string(let s): Self.writeString(s, asciiOnly: asciiOnly, into: &out)
    case .array(let elements):
      if elements.isEmpty {
        out += "[]"
        return
      }
      out += "["
      for (i, element) in elements.enumerated() {
        if i > 0 { out += "," }
        newline(level + 1, into: &out)
        write(element, level: level + 1, into: &out)
      }
      newline(level, into: &out)
      out += "]"
    case .object(let object):
      if object.count == 0 {
        out += "{}"
        return
      }
      out += "{"
      let members = sortKeys ? object.members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : object.members
      for (i, member) in members.enumerated() {
        if i > 0 { out += "," }
        newline(level + 1, into: &out)
        Self.writeString(member.key, asciiOnly: asciiOnly, into: &out)
        out += indent == nil ? ":" : ": "
        write(member.value, level: level + 1, into: &out)
      }
      newline(level, into: &out)
      out += "}"
    }
  }

  private func newline(_ level: Int, into out: inout String) {
    guard let indent else { return }
    out += "\n"
    out += String(repeating: " ", count: indent * level)
  }

  /// Appends `s` as a JSON string literal.
  public static func writeString(_ s: String, asciiOnly: Bool = false, into out: inout String) {
    out += "\""
    // Most strings (keys, ids, names) need no escape: one byte scan, one append.
    if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && (!asciiOnly || $0 <= 0x7E) }) {
      out += s
      out += "\""
      return
    }
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      default:
        if scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7E) {
          if scalar.value > 0xFFFF {
            let v = scalar.value - 0x10000
            out += hex4(0xD800 + (v >> 10)) + hex4(0xDC00 + (v & 0x3FF))
          } else {
            out += hex4(scalar.value)
          }
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out += "\""
  }

  private static func hex4(_ v: UInt32) -> String {
    let digits = String(v, radix: 16)
    return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
  }
}
