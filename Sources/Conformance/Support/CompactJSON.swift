import TensorIO

/// JSON text without whitespace, byte for byte what `JSONWriter(indent: nil, sortKeys:)` writes, made on
/// UTF-8 bytes. The reports write tens of thousands of results whose strings hold quotes and newlines
/// (outcomes embedded as JSON text, messages), and `JSONWriter` escapes such a string a scalar at a
/// time: half of rendering `index.html` and of `results.json`'s result lines (`perf record` of a
/// default run). Here runs of bytes that need no escape are copied whole.
struct CompactJSON: Sendable {
  /// Object members sorted by their keys' UTF-8 bytes, at every level (else in member order).
  var sortKeys = false

  /// The text of `value`.
  func string(_ value: JSONValue) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(512)
    write(value, into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Appends the text of `value`.
  func write(_ value: JSONValue, into out: inout [UInt8]) {
    switch value {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
    case .number(let literal): out.append(contentsOf: literal.utf8)
    case .string(let text): Self.writeString(text, into: &out)
    case .array(let elements):
      out.append(UInt8(ascii: "["))
      for (i, element) in elements.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        write(element, into: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let object):
      out.append(UInt8(ascii: "{"))
      let members = sortKeys ? object.members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : object.members
      for (i, member) in members.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        Self.writeString(member.key, into: &out)
        out.append(UInt8(ascii: ":"))
        write(member.value, into: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  /// Appends `text` as a JSON string literal: `"`, `\` and the C0 controls escaped (the short forms where
  /// JSON has them, else `\u00xx`), every other byte as it is.
  static func writeString(_ text: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var text = text
    text.withUTF8 { bytes in
      var plain = 0
      for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<i]))
        plain = i + 1
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
        case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
        case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
        case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
        case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
        case 0x08: out.append(contentsOf: #"\b"#.utf8)
        case 0x0C: out.append(contentsOf: #"\f"#.utf8)
        default:
          out.append(contentsOf: #"\u00"#.utf8)
          out.append(hexDigits[Int(byte >> 4)])
          out.append(hexDigits[Int(byte & 0xF)])
        }
      }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain...]))
    }
    out.append(UInt8(ascii: "\""))
  }
}
