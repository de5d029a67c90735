/// Makes untrusted strings (tensor names, adapter names, case ids) safe to show on a terminal:
/// control characters, ANSI escape sequences and invisible formatting characters become visible
/// `\u{…}` escapes, so a crafted name cannot move the cursor, recolour output or hide text.
public enum DisplayText {
  /// The escaped form of `text`; plain printable text is returned unchanged.
  public static func terminalSafe(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
      if needsEscape(scalar) {
        out += "\\u{\(String(scalar.value, radix: 16))}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0..<0x20, 0x7F..<0xA0: true  // C0 and C1 controls, including ESC (ANSI sequences)
    case 0x200B...0x200F, 0x2028...0x202E, 0x2066...0x2069, 0xFEFF: true  // zero-width, line separators, bidi
    default: scalar == "\\"
    }
  }
}
