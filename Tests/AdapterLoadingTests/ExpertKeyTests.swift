import Testing
import TestSupport

@testable import AdapterLoading

/// Which checkpoint keys are one expert's projection, `<owner>.experts.<i>.<projection>.weight`.
@Suite("Expert keys")
struct ExpertKeyTests {
  static let fusion = ExpertFusion(gate: "gate_proj", up: "up_proj", down: "w2")

  /// The rule read off the key's dot-separated parts: `weight` last, a projection's name, 1 to 9 digits,
  /// `experts`, and an owner before them (possibly empty), in a key of more than 16 bytes.
  static func reference(_ key: String) -> (ownerEnd: Int, expert: Int, projection: Int)? {
    let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    let n = parts.count
    guard key.utf8.count > 16, n >= 5, parts[n - 1] == "weight",
      let projection = [fusion.gate, fusion.up, fusion.down].firstIndex(of: parts[n - 2]),
      (1...9).contains(parts[n - 3].utf8.count), parts[n - 3].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
      parts[n - 4] == "experts"
    else { return nil }
    return (parts[..<(n - 4)].joined(separator: ".").utf8.count, Int(parts[n - 3])!, projection)
  }

  @Test("every key is taken for an expert's projection exactly when its parts say so")
  func parseAgreesWithTheParts() {
    let fuser = ExpertFuser(fusion: Self.fusion, source: "test")
    var rng = SeededGenerator(seed: 0xE8_9E27)
    // Near misses on every side: projections inside longer names, `experts` inside longer ones, dots doubled,
    // indices too long or not digits.
    let pieces = [
      "model", "layers", "0", "17", "0000000001", "1a", "", "experts", "xexperts", "experts_", "gate_proj",
      "xgate_proj", "up_proj", "w2", "w22", "weight", "weights", "mlp", "é",
      // An index and a projection's name run together.
      "3gate_proj", "17up_proj", "5w2",
    ]
    var experts = 0
    for _ in 0..<30_000 {
      let count = 3 + Int(rng.next() % 6)
      var parts = (0..<count).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }
      // Half the keys end like an expert's, so both answers are common.
      if rng.next() % 2 == 0 {
        parts += rng.next() % 8 == 0
          ? ["experts", "34gate_proj", "weight"]
          : ["experts", ["3", "127", "12x"][Int(rng.next() % 3)], ["gate_proj", "up_proj", "w2", "w"][Int(rng.next() % 4)], "weight"]
      }
      let key = parts.joined(separator: ".")
      let expected = Self.reference(key)
      var bytes = Array(key.utf8)
      let parsed = bytes.withUnsafeMutableBufferPointer { fuser.parse(UnsafeBufferPointer($0)) }
      #expect(parsed?.ownerEnd == expected?.ownerEnd && parsed?.expert == expected?.expert
        && parsed?.projection == expected?.projection, "\(key)")
      if expected != nil { experts += 1 }
    }
    #expect(experts > 3_000)
  }
}
