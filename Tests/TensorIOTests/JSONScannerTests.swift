import Testing
import TensorIO

@Suite struct JSONValueTests {
  @Test func parsesNestedValuesKeepingMemberOrder() throws {
    let value = try JSONValue.parse(#" {"b": [1, -2.5e3, true, null], "a": {"x": "y\n\u00e9\ud83d\ude00"}} "#)
    let object = try #require(value.objectValue)
    #expect(object.keys == ["b", "a"])
    #expect(value["b"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .null]))
    #expect(value["a"]?["x"]?.stringValue == "y\né😀")
  }

  @Test func objectsAreEqualByMembersInOrderWhetherOrNotTheyShareStorage() throws {
    let object = try #require(try JSONValue.parse(#"{"a": [1, {"b": null}], "c": "d"}"#).objectValue)
    let copy = object
    let reparsed = try #require(try JSONValue.parse(#"{"a": [1, {"b": null}], "c": "d"}"#).objectValue)
    #expect(copy == object && reparsed == object && object == reparsed)
    #expect(copy.hashValue == object.hashValue && reparsed.hashValue == object.hashValue)
    var changed = copy
    changed["c"] = .string("e")
    #expect(changed != object && object == copy)
    let reordered = try #require(try JSONValue.parse(#"{"c": "d", "a": [1, {"b": null}]}"#).objectValue)
    #expect(reordered != object)
    #expect(JSONObject() == JSONObject([]) && JSONObject() != object)
  }

  @Test("members are found, replaced and removed alike below and above the count looked up by scanning")
  func membersAcrossTheScannedCount() {
    var object = JSONObject()
    var expected: [(String, JSONValue)] = []
    func matches() -> Bool {
      object.keys == expected.map(\.0) && expected.allSatisfy { object[$0.0] == $0.1 } && object["absent"] == nil
    }
    for i in 0..<(2 * JSONObject.scannedCount + 3) {
      object["k\(i)"] = .number(String(i))
      expected.append(("k\(i)", .number(String(i))))
      #expect(matches(), "after adding k\(i)")
    }
    object["k3"] = .string("replaced")
    expected[3].1 = .string("replaced")
    #expect(matches())
    var grewAgain = false
    while let (key, _) = expected.first {
      object[key] = nil
      expected.removeFirst()
      #expect(matches(), "after removing \(key)")
      if expected.count == JSONObject.scannedCount - 1 && !grewAgain {
        grewAgain = true
        // Growing again past the count after shrinking below it.
        for i in 0..<3 {
          object["again\(i)"] = .bool(true)
          expected.append(("again\(i)", .bool(true)))
        }
        #expect(matches())
      }
    }
    #expect(object.count == 0 && object == JSONObject())
  }

  @Test(
    "an object made from distinct members equals one made member by member; a repeated key is assigned as a dict does",
    arguments: [3, JSONObject.scannedCount + 5])
  func objectFromDistinctMembers(count: Int) {
    let members = (0..<count).reversed().map { (key: "k\($0)", value: JSONValue.number(String($0))) }
    let made = JSONObject(distinctMembers: members)
    let assigned = JSONObject(members.map { ($0.key, $0.value) })
    #expect(made == assigned && made.keys == assigned.keys)
    #expect(members.allSatisfy { made[$0.key] == $0.value } && made["absent"] == nil)
    let repeated = members + [(key: "k1", value: JSONValue.string("last"))]
    let withRepeat = JSONObject(distinctMembers: repeated)
    #expect(withRepeat == JSONObject(repeated.map { ($0.key, $0.value) }))
    #expect(withRepeat.count == count && withRepeat["k1"] == .string("last"))
  }

  @Test func duplicateKeysLastWinsByDefaultAndCanBeRejected() throws {
    let text = #"{"a": 1, "b": 2, "a": 3}"#
    #expect(try JSONValue.parse(text)["a"] == .number("3"))
    #expect {
      try JSONValue.parse(text, duplicateKeys: .reject)
    } throws: { error in
      (error as? JSONError)?.reason == .duplicateKey("a")
    }
  }

  static let malformed: [(String, JSONError.Reason)] = [
    ("", .unexpectedEnd),
    ("{", .unexpectedEnd),
    (#"{"a" 1}"#, .unexpectedByte(UInt8(ascii: "1"))),
    (#"{"a": 01}"#, .unexpectedByte(UInt8(ascii: "1"))),
    (#"{"a": 1.}"#, .invalidNumber),
    (#"{"a": -}"#, .invalidNumber),
    (#"{"a": tru}"#, .invalidLiteral),
    ("{\"a\": \"x\ty\"}", .controlCharacterInString),
    (#"{"a": "\x"}"#, .invalidEscape),
    (#"{"a": "\ud800"}"#, .loneSurrogate),
    (#"{"a": "\udc00"}"#, .loneSurrogate),
    (#"{"a": 1} x"#, .trailingCharacters),
    (#"{"a": 1,}"#, .unexpectedByte(UInt8(ascii: "}"))),
    ("[1 2]", .unexpectedByte(UInt8(ascii: "2"))),
  ]

  @Test(arguments: malformed)
  func rejectsMalformedText(text: String, reason: JSONError.Reason) {
    #expect {
      try JSONValue.parse(text)
    } throws: { error in
      (error as? JSONError)?.reason == reason
    }
  }

  @Test func rejectsInvalidUTF8InStrings() {
    let bytes: [UInt8] = Array(#"{"a": ""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
    #expect {
      try JSONValue.parse(bytes)
    } throws: { error in
      (error as? JSONError)?.reason == .invalidUTF8
    }
  }

  @Test func boundsNestingDepthWithoutExhaustingTheStack() {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    #expect {
      try JSONValue.parse(deep)
    } throws: { error in
      (error as? JSONError)?.reason == .tooDeep(limit: JSONScanner.defaultDepthLimit)
    }
    let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
    #expect(throws: Never.self) { try JSONValue.parse(ok) }
  }

  @Test(arguments: [
    ("0", UInt64(0)), ("18446744073709551615", UInt64.max), ("  42", UInt64(42)),
  ])
  func readsUnsignedIntegers(text: String, expected: UInt64) throws {
    let bytes = Array(text.utf8)
    let value = try bytes.withUnsafeBytes { raw in
      Result { () throws(JSONError) in
        var scanner = JSONScanner(bytes: raw)
        return try scanner.readUInt64(field: "n")
      }
    }.get()
    #expect(value == expected)
  }

  @Test(arguments: ["-1", "1.0", "1e3", "\"1\"", "18446744073709551616"])
  func rejectsNonUnsignedIntegers(text: String) {
    let bytes = Array(text.utf8)
    let result = bytes.withUnsafeBytes { raw in
      Result { () throws(JSONError) in
        var scanner = JSONScanner(bytes: raw)
        return try scanner.readUInt64(field: "n")
      }
    }
    #expect(throws: JSONError.self) { try result.get() }
  }

  @Test func writerMatchesPythonJSONDumpsWithIndentAndSortedKeys() {
    // Expected text is what `json.dumps(v, indent=2, sort_keys=True)` prints for this value.
    let value = JSONValue.object(
      JSONObject([
        ("r", .number("8")), ("alpha", .array([.string("q_proj"), .string("é")])), ("empty", .array([])),
        ("obj", .object(JSONObject())), ("none", .null),
      ]))
    let expected = """
      {
        "alpha": [
          "q_proj",
          "\\u00e9"
        ],
        "empty": [],
        "none": null,
        "obj": {},
        "r": 8
      }
      """
    #expect(JSONWriter.pythonSorted.string(value) == expected)
  }

  @Test func writerOutputParsesBackToTheSameValue() throws {
    let value = JSONValue.object(
      JSONObject([("k\"ey\\", .string("line\nbreak\u{1}\u{1F600}")), ("n", .array([.number("-0.5"), .bool(false)]))]))
    for writer in [JSONWriter.compact, .pythonSorted, JSONWriter(indent: 4)] {
      #expect(try JSONValue.parse(writer.string(value)) == value)
      #expect(writer.bytes(value) == Array(writer.string(value).utf8))
    }
  }

  /// The writer escapes on UTF-8 bytes what JSON's rules, applied scalar by scalar as they read (written out
  /// here), escape: every ASCII character, DEL, other scripts, combining marks, a scalar above U+FFFF, with
  /// and without `asciiOnly`, compact and indented, keys sorted or not.
  @Test(arguments: [JSONWriter.compact, JSONWriter(indent: nil, sortKeys: true), .pythonSorted, JSONWriter(indent: 1, asciiOnly: true)])
  func writerEscapesAsTheRulesRead(_ writer: JSONWriter) {
    func hex4(_ v: UInt32) -> String { "\\u" + String(repeating: "0", count: 4 - String(v, radix: 16).count) + String(v, radix: 16) }
    func reference(_ s: String) -> String {
      var out = "\""
      for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case _ where scalar.value < 0x20 || (writer.asciiOnly && scalar.value > 0x7E):
          if scalar.value > 0xFFFF {
            let v = scalar.value - 0x10000
            out += hex4(0xD800 + (v >> 10)) + hex4(0xDC00 + (v & 0x3FF))
          } else {
            out += hex4(scalar.value)
          }
        default: out.unicodeScalars.append(scalar)
        }
      }
      return out + "\""
    }
    var strings = (0..<128).map { String(Unicode.Scalar(UInt8($0))) }
    strings += ["", "é", "e\u{301}", "層", "🙂", "\u{2028}", "\u{FFFF}", "a\"b\\c\nd\u{1}e\u{7F}f\u{1F}🙂g"]
    // Each character that may need an escape at every offset of a longer plain string, and strings of plain
    // runs around eight bytes long: the writer tests eight bytes at a time.
    let plain = Array("abcdefghijklmnopqrstu")
    for special in ["\u{0}", "\u{1F}", " ", "\"", "\\", "~", "\u{7F}", "é", "🙂"] {
      for offset in 0...plain.count { strings.append(String(plain[..<offset]) + special + String(plain[offset...])) }
    }
    strings += (0...17).map { String(plain[..<$0]) }
    for text in strings {
      #expect(writer.string(.string(text)) == reference(text), "\(Array(text.unicodeScalars))")
      let object = JSONValue.object(JSONObject([(text, .string(text))]))
      let separator = writer.indent == nil ? ":" : ": "
      let expected = writer.indent.map { "{\n" + String(repeating: " ", count: $0) } ?? "{"
      #expect(writer.string(object) == expected + reference(text) + separator + reference(text) + (writer.indent == nil ? "}" : "\n}"))
    }
  }
}

