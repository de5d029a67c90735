import TestSupport
/// Byte-level mutations of a valid file, for the randomized robustness tests.
struct Mutator {
  var generator: SeededGenerator

  /// Bytes that steer a JSON parser somewhere interesting.
  static let interesting: [UInt8] = Array("{}[]\":,-0123456789eE.\\ntfu ".utf8) + [0x00, 0x7F, 0x80, 0xC3, 0xFF]

  mutating func mutate(_ bytes: [UInt8], donor: [UInt8]) -> [UInt8] {
    var out = bytes
    let rounds = Int.random(in: 1...3, using: &generator)
    for _ in 0..<rounds {
      switch Int.random(in: 0..<9, using: &generator) {
      case 0 where !out.isEmpty:  // overwrite one byte with anything
        out[index(out)] = UInt8.random(in: 0...255, using: &generator)
      case 1 where !out.isEmpty:  // overwrite one byte with a JSON-significant one
        out[index(out)] = Self.interesting.randomElement(using: &generator)!
      case 2:  // truncate
        out.removeLast(Int.random(in: 0...out.count, using: &generator))
      case 3 where !out.isEmpty:  // delete a range
        let start = index(out)
        out.removeSubrange(start..<min(out.count, start + Int.random(in: 1...16, using: &generator)))
      case 4:  // splice in a range of another valid file
        guard !donor.isEmpty else { continue }
        let from = Int.random(in: 0..<donor.count, using: &generator)
        let chunk = donor[from..<min(donor.count, from + Int.random(in: 1...64, using: &generator))]
        out.insert(contentsOf: chunk, at: Int.random(in: 0...out.count, using: &generator))
      case 5 where !out.isEmpty:  // duplicate a range in place
        let start = index(out)
        let chunk = out[start..<min(out.count, start + Int.random(in: 1...32, using: &generator))]
        out.insert(contentsOf: chunk, at: start)
      case 6 where out.count >= 8:  // nudge the header length
        var n = (0..<8).reduce(UInt64(0)) { $0 | UInt64(out[$1]) << (8 * UInt64($1)) }
        n = n &+ UInt64(bitPattern: Int64.random(in: -9...9, using: &generator))
        for i in 0..<8 { out[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
      case 7 where !out.isEmpty:  // change a digit, which moves offsets and shapes
        let digits = out.indices.filter { (0x30...0x39).contains(out[$0]) }
        if let at = digits.randomElement(using: &generator) { out[at] = UInt8.random(in: 0x30...0x39, using: &generator) }
      case 8:  // append trailing bytes
        out.append(contentsOf: (0..<Int.random(in: 1...9, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
      default:
        continue
      }
    }
    return out
  }

  private mutating func index(_ bytes: [UInt8]) -> Int { Int.random(in: 0..<bytes.count, using: &generator) }
}
