import TestSupport
import Testing

@testable import TensorIO

/// `ByteSearch` answers what a plain scan of the bytes answers, at every start and for needles at the
/// edges, absent, repeated or longer than the text.
@Suite("ByteSearch")
struct ByteSearchTests {
  static let texts = [
    "", "a", "model.layers.0.self_attn.q_proj.weight", "LayerNorm.gamma", "..", "a\tb\nc\td\n", "ünïcode.層.weight",
  ]

  @Test(arguments: texts)
  func firstIndexIsTheFirstMatchAtOrAfterStart(text: String) {
    let bytes = Array(text.utf8)
    bytes.withUnsafeBufferPointer { buffer in
      for byte in Set(bytes).union([UInt8(ascii: "\t"), UInt8(ascii: "z")]) {
        for start in 0...(bytes.count + 1) {
          let plain = start >= bytes.count ? bytes.count : (bytes[start...].firstIndex(of: byte) ?? bytes.count)
          #expect(ByteSearch.firstIndex(of: byte, in: buffer, from: start) == plain, "\(text) \(byte) from \(start)")
        }
      }
    }
  }

  @Test(arguments: texts)
  func precedesIsUTF8ByteOrder(text: String) {
    let others = Self.texts + ["a.", "ab", "ü", "z", "\u{7F}", "\u{80}", "ünïcode.層", "ünïcode.層.weight.", "LayerNorm"]
    for other in others {
      #expect(
        ByteSearch.precedes(text, other) == Array(text.utf8).lexicographicallyPrecedes(Array(other.utf8)),
        "\(text) < \(other)")
    }
  }

  @Test(arguments: texts)
  func containsAgreesWithAScan(text: String) {
    let bytes = Array(text.utf8)
    let needles = ["", ".", "..", "weight", "LayerNorm.gamma", ".weight_g", "層", "q_proj.weight", text, text + "x"]
    bytes.withUnsafeBufferPointer { buffer in
      for needle in needles.map({ Array($0.utf8) }) {
        let plain =
          needle.isEmpty
          || (needle.count <= bytes.count
            && (0...(bytes.count - needle.count)).contains { Array(bytes[$0..<$0 + needle.count]) == needle })
        #expect(ByteSearch.contains(buffer, needle) == plain, "\(text) ⊇ \(needle)")
        #expect(ByteSearch.contains(text, anyOf: [needle]) == plain)
      }
    }
  }

  /// Over long texts on a small alphabet where partial matches are everywhere, dots included: every needle
  /// cut from the text is found, and each other one exactly when a scan finds it.
  @Test(arguments: [1, 2, 3])
  func longTextsAgreeWithAScan(seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    let alphabet = Array("ab._g".utf8)
    let bytes = (0..<10_037).map { _ in alphabet.randomElement(using: &generator)! }
    var needles = (0..<200).map { _ -> [UInt8] in
      let length = Int.random(in: 1...12, using: &generator)
      let start = Int.random(in: 0...(bytes.count - length), using: &generator)
      return Array(bytes[start..<start + length])
    }
    needles += (0..<200).map { _ in
      (0..<Int.random(in: 3...9, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
    }
    needles += [Array(bytes.suffix(5)), Array(bytes.prefix(7))]
    needles += [".weight_g", "..", "..a", "_g"].map { Array($0.utf8) }
    needles += [bytes, bytes + [UInt8(ascii: "a")]]
    bytes.withUnsafeBufferPointer { buffer in
      for needle in needles {
        let plain =
          needle.count <= bytes.count
          && (0...(bytes.count - needle.count)).contains { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
        #expect(ByteSearch.contains(buffer, needle) == plain, "\(String(decoding: needle, as: UTF8.self))")
      }
    }
  }
}

/// The shared prefix's length, eight bytes a step, against counting equal bytes one by one.
@Suite("ByteSearch, common prefixes")
struct ByteSearchCommonPrefixTests {
  @Test(arguments: [1, 2, 3])
  func agreesWithCountingBytes(seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    for _ in 0..<2_000 {
      let a = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 97...99, using: &generator) }
      // A copy of a's start, then a byte that may differ at any offset, across and inside eight-byte words.
      var b = Array(a.prefix(Int.random(in: 0...a.count, using: &generator)))
      b += (0..<Int.random(in: 0...12, using: &generator)).map { _ in UInt8.random(in: 97...99, using: &generator) }
      let plain = zip(a, b).prefix { $0 == $1 }.count
      let found = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { ByteSearch.commonPrefixLength(x, $0) } }
      #expect(found == plain, "\(a) \(b)")
    }
  }
}
