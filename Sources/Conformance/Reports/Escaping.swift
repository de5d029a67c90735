/// Escaping of untrusted text (case ids, key names, loader messages) for each report format.
public enum Escaping {
  /// Text for HTML element content and quoted attribute values.
  public static func html(_ text: String) -> String {
    escaped(text) { byte in
      switch byte {
      case UInt8(ascii: "&"): "&amp;"
      case UInt8(ascii: "<"): "&lt;"
      case UInt8(ascii: ">"): "&gt;"
      case UInt8(ascii: "\""): "&quot;"
      case UInt8(ascii: "'"): "&#39;"
      default: nil
      }
    }
  }

  /// Text for XML 1.0 content and attributes. Characters XML 1.0 cannot hold at all (most C0
  /// controls) become U+FFFD; newlines and tabs in attributes become character references.
  public static func xml(_ text: String, attribute: Bool = false) -> String {
    // The common case, text with nothing to escape, is returned as it is after one byte scan
    // (0xEF: the lead byte of U+FFFE/U+FFFF, checked by the slow path).
    if text.utf8.allSatisfy({
      $0 >= 0x20 && $0 != 0x7F && $0 != 0xEF && $0 != UInt8(ascii: "&") && $0 != UInt8(ascii: "<")
        && $0 != UInt8(ascii: ">") && (!attribute || ($0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "'")))
    }) {
      return text
    }
    return escaped(text) { byte in
      switch byte {
      case UInt8(ascii: "&"): "&amp;"
      case UInt8(ascii: "<"): "&lt;"
      case UInt8(ascii: ">"): "&gt;"
      case UInt8(ascii: "\"") where attribute: "&quot;"
      case UInt8(ascii: "'") where attribute: "&apos;"
      case UInt8(ascii: "\n") where attribute: "&#10;"
      case UInt8(ascii: "\r"): "&#13;"
      case UInt8(ascii: "\t") where attribute: "&#9;"
      default: nil
      }
    }
  }

  /// Plain Markdown text on one line: markup characters are backslash-escaped, HTML is defused,
  /// line breaks become spaces (so a message cannot start a heading or a table row).
  public static func markdown(_ text: String) -> String {
    escaped(text) { byte in
      switch byte {
      case UInt8(ascii: "\\"): "\\\\"
      case UInt8(ascii: "`"): "\\`"
      case UInt8(ascii: "*"): "\\*"
      case UInt8(ascii: "_"): "\\_"
      case UInt8(ascii: "["): "\\["
      case UInt8(ascii: "]"): "\\]"
      case UInt8(ascii: "|"): "\\|"
      case UInt8(ascii: "~"): "\\~"
      case UInt8(ascii: "<"): "&lt;"
      case UInt8(ascii: ">"): "&gt;"
      case UInt8(ascii: "&"): "&amp;"
      case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): " "
      default: nil
      }
    }
  }

  /// `text` with each ASCII byte `replacement` names replaced, the characters ``isForbiddenInMarkup(_:)``
  /// names (that `replacement` leaves alone) replaced by U+FFFD, every other byte copied. On UTF-8 bytes
  /// rather than scalar by scalar: appending one scalar at a time to a `String` was a third of rendering
  /// `junit.xml` (`perf record` of a default run). Every byte replaced is ASCII or a whole U+FFFE/U+FFFF
  /// (EF BF BE/BF), and the input is valid UTF-8, so the output is too.
  static func escaped(_ text: String, _ replacement: (UInt8) -> String?) -> String {
    var text = text
    return text.withUTF8 { bytes in
      var out: [UInt8] = []
      out.reserveCapacity(bytes.count + 16)
      let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]
      var i = 0
      while i < bytes.count {
        let byte = bytes[i]
        if byte < 0x80, let replaced = replacement(byte) {
          out.append(contentsOf: replaced.utf8)
        } else if (byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D) || byte == 0x7F {
          out.append(contentsOf: replacementCharacter)
        } else if byte == 0xEF, i + 2 < bytes.count, bytes[i + 1] == 0xBF, bytes[i + 2] == 0xBE || bytes[i + 2] == 0xBF {
          out.append(contentsOf: replacementCharacter)
          i += 2
        } else {
          out.append(byte)
        }
        i += 1
      }
      return String(decoding: out, as: UTF8.self)
    }
  }

  /// Markdown inline code. Backticks inside are handled by a longer fence, as CommonMark allows.
  public static func markdownCode(_ text: String) -> String {
    let flat = String(String.UnicodeScalarView(text.unicodeScalars.map { s in
      s == "\n" || s == "\r" || s == "\t" ? " " : isForbiddenInMarkup(s) ? "\u{FFFD}" : s
    }))
    // GitHub splits a table row at `|` before it parses code spans, and a backslash written before
    // an escaping `\|` would cancel the escape (`\\|`): text with a `|` goes into an HTML code element
    // with the bar as a character reference, which no splitter sees.
    if flat.contains("|") { return "<code>" + html(flat).replacingAll("|", with: "&#124;") + "</code>" }
    let safe = flat
    var longest = 0
    var run = 0
    for c in safe.unicodeScalars {
      run = c == "`" ? run + 1 : 0
      longest = max(longest, run)
    }
    let fence = String(repeating: "`", count: longest + 1)
    let pad = safe.hasPrefix("`") || safe.hasSuffix("`") || longest > 0 ? " " : ""
    return fence + pad + safe + pad + fence
  }

  /// JSON for embedding in an HTML `<script>` element: `<`, `>`, `&` and the JavaScript line
  /// separators are written as `\u` escapes so the text cannot close the element.
  public static func scriptJSON(_ json: String) -> String {
    var json = json
    return json.withUTF8 { scriptJSON(utf8: $0) }
  }

  /// ``scriptJSON(_:)`` of JSON text given as UTF-8 bytes (``JSONWriter/bytes(_:)``): the page's payload is
  /// megabytes, and making a `String` of it first validated every byte once more.
  public static func scriptJSON(utf8 json: [UInt8]) -> String {
    json.withUnsafeBufferPointer { scriptJSON(utf8: $0) }
  }

  private static func scriptJSON(utf8: UnsafeBufferPointer<UInt8>) -> String {
    // Byte by byte: every character replaced is ASCII or U+2028/U+2029 (E2 80 A8/A9 in UTF-8),
    // so valid UTF-8 stays valid. The bytes between replacements are copied a run at a time (the page's
    // payload is megabytes with few replacements).
    var out: [UInt8] = []
    out.reserveCapacity(utf8.count + 64)
    var copied = 0
    var index = 0
    func replace(_ length: Int, with escape: String) {
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[copied..<index]))
      out.append(contentsOf: escape.utf8)
      index += length
      copied = index
    }
    while index < utf8.count {
      switch utf8[index] {
      case UInt8(ascii: "<"): replace(1, with: "\\u003c")
      case UInt8(ascii: ">"): replace(1, with: "\\u003e")
      case UInt8(ascii: "&"): replace(1, with: "\\u0026")
      case 0xE2 where index + 2 < utf8.count && utf8[index + 1] == 0x80 && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
        replace(3, with: utf8[index + 2] == 0xA8 ? "\\u2028" : "\\u2029")
      default: index += 1
      }
    }
    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[copied...]))
    return String(decoding: out, as: UTF8.self)
  }

  /// C0 controls other than tab/newline/carriage return, and the non-characters U+FFFE/U+FFFF.
  static func isForbiddenInMarkup(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09, 0x0A, 0x0D: false
    case 0..<0x20, 0x7F, 0xFFFE, 0xFFFF: true
    default: false
    }
  }
}

extension String {
  func replacingAll(_ target: Character, with replacement: String) -> String {
    var out = ""
    for c in self { if c == target { out += replacement } else { out.append(c) } }
    return out
  }
}

extension String {
  /// Every occurrence of `target` replaced (left to right, non-overlapping).
  func replacingAll(_ target: String, with replacement: String) -> String {
    guard !target.isEmpty, mayContain(target) else { return self }
    var out = ""
    var rest = Substring(self)
    while let range = rest.firstRange(of: target) {
      out += rest[..<range.lowerBound]
      out += replacement
      rest = rest[range.upperBound...]
    }
    out += rest
    return out
  }

  /// Whether `target` may occur, tested on UTF-8 bytes first: a run relativizes every message of every
  /// result against four paths, which almost never occur, and the search by characters was a twentieth
  /// of the run (`perf record`). For an ASCII target a character match is a byte match, so no byte
  /// match means no match; other targets (canonically equivalent spellings match) are always searched.
  fileprivate func mayContain(_ target: String) -> Bool {
    let needle = Array(target.utf8)
    guard let first = needle.first, needle.allSatisfy({ $0 < 0x80 }) else { return true }
    let haystack = Array(utf8)
    guard haystack.count >= needle.count else { return false }
    var i = 0
    let last = haystack.count - needle.count
    while i <= last {
      if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
      i += 1
    }
    return false
  }
}
