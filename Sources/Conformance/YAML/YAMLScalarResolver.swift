/// The tag a plain scalar without an explicit tag resolves to: Yams's default resolver (YAML 1.1's implicit
/// types, which corpus files have always been read with), its regular expressions matched by hand so that
/// reading a case needs no regular-expression engine. The rules are tried in Yams's order; none matching
/// gives `str`.
enum YAMLScalarResolver {
  static let str = "tag:yaml.org,2002:str"
  static let int = "tag:yaml.org,2002:int"
  static let float = "tag:yaml.org,2002:float"
  static let bool = "tag:yaml.org,2002:bool"
  static let null = "tag:yaml.org,2002:null"
  static let merge = "tag:yaml.org,2002:merge"
  static let timestamp = "tag:yaml.org,2002:timestamp"
  static let value = "tag:yaml.org,2002:value"
  static let seq = "tag:yaml.org,2002:seq"
  static let map = "tag:yaml.org,2002:map"

  static func tag(of text: String) -> String {
    let bytes = Array(text.utf8)
    if isBool(text) { return bool }
    if isInt(bytes) { return int }
    if isFloat(bytes) { return float }
    if text == "<<" { return merge }
    if isNull(text) { return null }
    if isTimestamp(bytes) { return timestamp }
    if text == "=" { return value }
    return str
  }

  // `^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`
  private static let bools: Set<String> = [
    "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off",
    "Off", "OFF",
  ]
  private static func isBool(_ text: String) -> Bool { bools.contains(text) }

  // `^(?:~|null|Null|NULL|)$`
  private static func isNull(_ text: String) -> Bool {
    text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
  }

  // `^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`
  private static func isInt(_ bytes: [UInt8]) -> Bool {
    var start = Cursor(bytes)
    start.skipSign()
    // 0b…, 0o…/0…, 0, 0x…
    var c = start
    if c.take("0") {
      var binary = c
      if binary.take("b"), binary.takeRun(where: { $0 == 0x30 || $0 == 0x31 || $0 == 0x5F }) > 0, binary.atEnd { return true }
      var octal = c
      _ = octal.take("o")
      if octal.takeRun(where: { (0x30...0x37).contains($0) || $0 == 0x5F }) > 0, octal.atEnd { return true }
      if c.atEnd { return true }
      var hex = c
      if hex.take("x"), hex.takeRun(where: { isHexDigit($0) || $0 == 0x5F }) > 0, hex.atEnd { return true }
      return false
    }
    // [1-9][0-9_]* then, for the sexagesimal form, (:[0-5]?[0-9])+
    guard c.take(where: { (0x31...0x39).contains($0) }) else { return false }
    c.takeRun(where: { isDigit($0) || $0 == 0x5F })
    if c.atEnd { return true }
    return c.takeSexagesimalGroups(before: nil) && c.atEnd
  }

  // `^(?:[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?
  //   |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`
  private static func isFloat(_ bytes: [UInt8]) -> Bool {
    var signed = Cursor(bytes)
    let hadSign = signed.skipSign()
    // Digits first: the decimal form, else the sexagesimal one.
    var decimal = signed
    if decimal.take(where: isDigit) {
      decimal.takeRun(where: { isDigit($0) || $0 == 0x5F })
      var sexagesimal = decimal
      if decimal.take(".") { decimal.takeRun(where: { isDigit($0) || $0 == 0x5F }) }
      if decimal.takeExponent(signRequired: false), decimal.atEnd { return true }
      if sexagesimal.takeSexagesimalGroups(before: UInt8(ascii: ".")), sexagesimal.take(".") {
        sexagesimal.takeRun(where: { isDigit($0) || $0 == 0x5F })
        if sexagesimal.atEnd { return true }
      }
      return false
    }
    // .inf with or without a sign; .5 and .nan without one.
    var dot = signed
    guard dot.take(".") else { return false }
    for word in ["inf", "Inf", "INF"] where dot.rest.elementsEqual(word.utf8) { return true }
    if hadSign { return false }
    for word in ["nan", "NaN", "NAN"] where dot.rest.elementsEqual(word.utf8) { return true }
    guard dot.takeRun(where: { isDigit($0) || $0 == 0x5F }) > 0 else { return false }
    return dot.takeExponent(signRequired: true) && dot.atEnd
  }

  // `^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9]{2}:[0-9]{2}
  //   (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9]{2})?))?)$` (written with repeated classes in Yams)
  private static func isTimestamp(_ bytes: [UInt8]) -> Bool {
    var c = Cursor(bytes)
    guard c.takeDigits(4), c.take("-") else { return false }
    var dateOnly = c
    if dateOnly.takeDigits(2), dateOnly.take("-"), dateOnly.takeDigits(2), dateOnly.atEnd { return true }
    guard c.takeDigits(1, upTo: 2), c.take("-"), c.takeDigits(1, upTo: 2) else { return false }
    if !c.take(where: { $0 == UInt8(ascii: "T") || $0 == UInt8(ascii: "t") }) {
      guard c.takeRun(where: isBlank) > 0 else { return false }
    }
    guard c.takeDigits(1, upTo: 2), c.take(":"), c.takeDigits(2), c.take(":"), c.takeDigits(2) else { return false }
    if c.take(".") { c.takeRun(where: isDigit) }
    if c.atEnd { return true }
    c.takeRun(where: isBlank)
    if c.take("Z") { return c.atEnd }
    guard c.take(where: { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }), c.takeDigits(1, upTo: 2) else { return false }
    if c.atEnd { return true }
    return c.take(":") && c.takeDigits(2) && c.atEnd
  }

  private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
  private static func isHexDigit(_ byte: UInt8) -> Bool {
    isDigit(byte) || (0x61...0x66).contains(byte) || (0x41...0x46).contains(byte)
  }
  private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

  /// A position in a scalar's bytes; each `take` consumes only on success.
  private struct Cursor {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }
    var rest: ArraySlice<UInt8> { bytes[position...] }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
      take { $0 == UInt8(ascii: character) }
    }

    mutating func take(where matches: (UInt8) -> Bool) -> Bool {
      guard position < bytes.count, matches(bytes[position]) else { return false }
      position += 1
      return true
    }

    /// Consumes as many matching bytes as there are; returns how many.
    @discardableResult
    mutating func takeRun(where matches: (UInt8) -> Bool) -> Int {
      let start = position
      while position < bytes.count, matches(bytes[position]) { position += 1 }
      return position - start
    }

    @discardableResult
    mutating func skipSign() -> Bool { take { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") } }

    /// `count` digits, or (with `upTo`) as many as are there up to that many, at least `count`.
    mutating func takeDigits(_ count: Int, upTo most: Int? = nil) -> Bool {
      var taken = 0
      while taken < (most ?? count), position < bytes.count, (0x30...0x39).contains(bytes[position]) {
        position += 1
        taken += 1
      }
      return taken >= count
    }

    /// `[eE][-+]?[0-9]+` (the sign required with `signRequired`), or nothing at all.
    mutating func takeExponent(signRequired: Bool) -> Bool {
      var c = self
      guard c.take(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else { return true }
      if !c.skipSign() && signRequired { return false }
      guard c.takeRun(where: { (0x30...0x39).contains($0) }) > 0 else { return false }
      self = c
      return true
    }

    /// `(?::[0-5]?[0-9])+`, each group ending where the next `:`, `terminator` or the end begins (the
    /// regular expression's backtracking comes to this: a group takes two digits only if the first is 0–5
    /// and what follows them may follow a group).
    mutating func takeSexagesimalGroups(before terminator: UInt8?) -> Bool {
      var groups = 0
      func mayFollow(_ at: Int) -> Bool {
        at == bytes.count ? terminator == nil : bytes[at] == UInt8(ascii: ":") || bytes[at] == terminator
      }
      while position < bytes.count, bytes[position] == UInt8(ascii: ":") {
        let first = position + 1
        guard first < bytes.count, (0x30...0x39).contains(bytes[first]) else { return false }
        if (0x30...0x35).contains(bytes[first]), first + 1 < bytes.count, (0x30...0x39).contains(bytes[first + 1]),
          mayFollow(first + 2)
        {
          position = first + 2
        } else if mayFollow(first + 1) {
          position = first + 1
        } else {
          return false
        }
        groups += 1
      }
      return groups > 0
    }
  }
}
