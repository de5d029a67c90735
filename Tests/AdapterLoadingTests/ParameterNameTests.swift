import Testing
import TestSupport

@testable import AdapterLoading

/// Parameter names as torch accepts them: dot-separated, no part empty.
@Suite("Parameter names")
struct ParameterNameTests {
  /// The rule written as plainly as possible: split on every dot, no part may be empty.
  static func reference(_ name: String) -> Int? {
    let parts = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
    return parts.contains(where: \.isEmpty) ? nil : parts.count - 1
  }

  @Test("the depth of every name agrees with splitting it on dots, across the eight-byte steps")
  func depthAgreesWithSplitting() {
    var rng = SeededGenerator(seed: 0x5EED_D075)
    // Dots dense enough that runs of two fall at every offset, around and across word boundaries.
    let pieces = [".", ".", "a", "b7", "é", "layers", "0"]
    var checked = 0
    var valid = 0
    for _ in 0..<20_000 {
      let count = Int(rng.next() % 24)
      let name = (0..<count).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
      let expected = Self.reference(name)
      #expect(dottedDepth(name) == expected, "\(name)")
      checked += 1
      if expected != nil { valid += 1 }
    }
    // Both answers are well represented.
    #expect(valid > checked / 10 && valid < checked * 9 / 10)
  }

  @Test("names a MoE base holds, and ones it must not", arguments: [
    ("model.layers.47.mlp.experts.127.down_proj.weight", 7), ("lm_head.weight", 1), ("weight", 0),
    ("abcdefg.abcdefgh", 1), ("abcdefgh.abcdefgh", 1), ("abcdefg..bcdefgh", -1), ("abcdefgh..cdefgh", -1),
    (".abcdefghabcdefgh", -1), ("abcdefghabcdefgh.", -1), ("", -1), (".", -1), ("a.b", 1),
  ])
  func knownNames(_ name: String, _ depth: Int) {
    #expect(dottedDepth(name) == (depth < 0 ? nil : depth))
  }
}
