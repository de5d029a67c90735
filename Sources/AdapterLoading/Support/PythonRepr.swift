import TensorIO

/// Python's `repr()` of a string: single quotes unless the text contains a single quote and no
/// double quote; backslashes, quotes and non-printable characters escaped as CPython does.
public func pythonRepr(_ text: String) -> String {
  // Printable ASCII without quotes or backslashes (every key) is repr'd as itself in single quotes.
  if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "'") && $0 != UInt8(ascii: "\\") }) {
    return "'" + text + "'"
  }
  let useDouble = text.contains("'") && !text.contains("\"")
  let quote: Character = useDouble ? "\"" : "'"
  var out = String(quote)
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if Character(scalar) == quote {
        out += "\\" + String(quote)
      } else if scalar.value < 0x20 || scalar.value == 0x7F {
        out += "\\x" + hex(scalar.value, width: 2)
      } else if scalar.value >= 0x80 && scalar.value < 0xA0 {
        out += "\\x" + hex(scalar.value, width: 2)
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  out.append(quote)
  return out
}

private func hex(_ value: UInt32, width: Int) -> String {
  let digits = String(value, radix: 16)
  return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// Python's `repr()` of a list of strings: `['a', 'b']`.
public func pythonListRepr(_ items: [String]) -> String {
  var text = "["
  // Sized once: PEFT's warnings list every missing key.
  text.reserveCapacity(items.reduce(2) { $0 + $1.utf8.count + 4 })
  for (i, item) in items.enumerated() {
    if i > 0 { text += ", " }
    text += pythonRepr(item)
  }
  return text + "]"
}

/// `repr(torch.Size([8, 16]))`: `torch.Size([8, 16])`.
public func torchSizeRepr(_ shape: [Int]) -> String {
  "torch.Size([" + shape.map(String.init).joined(separator: ", ") + "])"
}

/// Python's `repr()` of an int list: `[0, 1]`.
func pythonIntListRepr(_ items: [Int]) -> String {
  "[" + items.map(String.init).joined(separator: ", ") + "]"
}

/// `tuple(shape)` as Python prints it: `(4, 16)`, `(4,)`, `()`.
func pythonTupleRepr(_ shape: [Int]) -> String {
  shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}
