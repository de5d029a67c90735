import Testing
import TestSupport

@testable import AdapterLoading

/// transformers' `dot_natural_key` order against a reference written from its definition, on names that share
/// long prefixes (where the comparison starts at the first differing part).
@Suite("Natural key order")
struct NaturalKeyTests {
  /// A part's sort key, written plainly: an all-digit part is `(0, number)`, any other `(1, text, number?)`.
  enum Part: Comparable {
    case number(digits: [UInt8])
    case text([UInt8], digits: [UInt8]?)

    init(_ bytes: ArraySlice<UInt8>) {
      let digitCount = bytes.reversed().prefix { (48...57).contains($0) }.count
      let text = Array(bytes.dropLast(digitCount))
      let digits = digitCount == 0 ? nil : Array(bytes.suffix(digitCount))
      if text.isEmpty, let digits { self = .number(digits: digits) } else { self = .text(text, digits: digits) }
    }

    /// Digit strings as numbers of any length: leading zeros dropped, then the shorter is smaller.
    static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
      let a = Array(a.drop { $0 == 48 })
      let b = Array(b.drop { $0 == 48 })
      return a.count != b.count ? a.count < b.count : a.lexicographicallyPrecedes(b)
    }

    static func < (lhs: Part, rhs: Part) -> Bool {
      switch (lhs, rhs) {
      case (.number(let a), .number(let b)): return less(a, b)
      case (.number, .text): return true
      case (.text, .number): return false
      case (.text(let a, let x), .text(let b, let y)):
        if a != b { return a.lexicographicallyPrecedes(b) }
        switch (x, y) {
        case (nil, nil), (_, nil): return false
        case (nil, _): return true
        case (let x?, let y?): return less(x, y)
        }
      }
    }

    static func == (lhs: Part, rhs: Part) -> Bool { !(lhs < rhs) && !(rhs < lhs) }
  }

  static func reference(_ a: String, _ b: String) -> Int {
    let x = Array(a.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map(Part.init)
    let y = Array(b.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map(Part.init)
    if x.lexicographicallyPrecedes(y) { return -1 }
    return y.lexicographicallyPrecedes(x) ? 1 : 0
  }

  @Test("every pair of seeded names compares as the reference says, across the eight-byte steps")
  func agreesWithReference() {
    var rng = SeededGenerator(seed: 0x0DE5_0B7E)
    // Long shared stems so that the first difference falls at every offset, inside a word and across two.
    let stems = ["", "base_model.model.model.layers.", "base_model.model.model.layers.1", "model.", "a."]
    let pieces = [".", "0", "07", "1", "10", "9", "a", "a7", "lora_A", "lora_B", "weight", "é", "_2"]
    func name() -> String {
      stems[Int(rng.next() % UInt64(stems.count))]
        + (0..<Int(rng.next() % 7)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
    }
    var orders = [0, 0, 0]
    for _ in 0..<20_000 {
      let a = name()
      // A quarter of the pairs differ only in zeros before a number's digits, which compare equal.
      let b = rng.next() % 4 == 0 ? a.replacing("7", with: "07") : name()
      let expected = Self.reference(a, b)
      #expect(NaturalKey.compare(a, b) == expected, "\(a) vs \(b)")
      orders[expected + 1] += 1
    }
    // All three answers are well represented.
    #expect(orders.allSatisfy { $0 > 500 })
  }

  @Test("the differing part starts after the last dot both names share", arguments: [
    ("base_model.model.model.layers.10.mlp", "base_model.model.model.layers.9.mlp", 30),
    ("base_model.model.model.layers.1", "base_model.model.model.layers.10", 30),
    ("abcdefgh.x", "abcdefgh.y", 9), ("abcdefg.x", "abcdefgx.y", 0), ("a", "a", 0), ("", "a", 0),
    ("a.b.c", "a.b.c", 4), ("a.b.", "a.b.c", 4),
  ])
  func differingPart(_ a: String, _ b: String, _ start: Int) {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    #expect(x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { NaturalKey.startOfDifferingPart(p, $0) } } == start)
  }
}
