import Testing
import TensorIO
import TestSupport

/// The compact name index against the dictionary it replaced, on names built to collide in their parts.
@Suite struct TensorNameIndexTests {
  func entry(_ name: String, _ n: Int) -> TensorEntry {
    TensorEntry(name: name, info: TensorInfo(dtype: .f32, shape: [n]), file: "f")
  }

  /// Names from a few parts, so that many share prefixes and lengths; canonically equivalent spellings
  /// (`é` precomposed and decomposed) are among them and count as one name, as in a `[String: Int]`.
  func names(_ generator: inout SeededGenerator, count: Int) -> [String] {
    let parts = ["model", "layers", "0", "1", "17", "q_proj", "weight", "bias", "caf\u{E9}", "cafe\u{301}", "x"]
    return (0..<count).map { _ in
      let length = 1 + Int(generator.next() % 5)
      return (0..<length).map { _ in parts[Int(generator.next() % UInt64(parts.count))] }.joined(separator: ".")
    }
  }

  @Test(arguments: [1, 2, 3]) func tableAgreesWithADictionaryThroughAppendsAndUpserts(seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    let candidates = names(&generator, count: 3_000)
    var table = TensorTable()
    var order: [String] = []
    var values: [String: Int] = [:]
    for (step, name) in candidates.enumerated() {
      if generator.next() % 4 == 0 {
        table.upsert(entry(name, step))
        if values[name] != nil { order.removeAll { $0 == name } }
        order.append(name)
        values[name] = step
      } else {
        do {
          try table.append(entry(name, step))
          #expect(values[name] == nil, "appended a name already present: \(name)")
          order.append(name)
          values[name] = step
        } catch {
          #expect(error == DuplicateTensorName(name: name) && values[name] != nil)
        }
      }
    }
    #expect(table.names == order)
    for name in Set(candidates) + names(&generator, count: 500) {
      #expect(table[name]?.info.shape == values[name].map { [$0] })
      #expect(table.contains(name: name) == (values[name] != nil))
    }
  }

  @Test func positionsSurviveGrowthFromTheSmallestIndex() {
    var index = TensorNameIndex()
    var entries: [TensorEntry] = []
    for position in 0..<20_000 {
      let name = "layers.\(position).weight"
      // Mutating calls stay outside `#expect`, which may evaluate its expression on a copy.
      let previous = index.insert(name, at: position, in: entries)
      #expect(previous == nil)
      entries.append(entry(name, position))
    }
    #expect(index.count == 20_000)
    var misplaced: [Int] = []
    for position in 0..<20_000 where index.position(of: "layers.\(position).weight", in: entries) != position {
      misplaced.append(position)
    }
    #expect(misplaced.isEmpty)
    #expect(index.position(of: "layers.20000.weight", in: entries) == nil)
    // A repeated name read "last wins": found at its first position, moved to where it is appended.
    let previous = index.insert("layers.7.weight", at: 20_000, in: entries)
    #expect(previous == 7)
    index.move("layers.7.weight", to: 20_000, in: entries)
    entries.append(entry("layers.7.weight", 20_000))
    #expect(index.position(of: "layers.7.weight", in: entries) == 20_000)
    #expect(index.count == 20_000)
  }
}

/// Hashes that collide on purpose: every lookup then depends on comparing names, not hash fragments.
@Suite struct TensorNameIndexCollisionTests {
  static func hash(_ label: String) -> @Sendable (String) -> UInt64 {
    if label == "one bucket" { return { (_: String) -> UInt64 in 0 } }
    return { (name: String) -> UInt64 in UInt64(name.utf8.count) &* 0x9E37_79B9_7F4A_7C15 }
  }

  @Test(arguments: ["one bucket", "by length"])
  func agreesWithADictionary(label: String) {
    let hash = Self.hash(label)
    var generator = SeededGenerator(seed: 7)
    var index = TensorNameIndex(hash: hash)
    var entries: [TensorEntry] = []
    var positions: [String: Int] = [:]
    var misreported: [String] = []
    for _ in 0..<1_500 {
      let name = "m.\(generator.next() % 700).w"
      let previous = index.insert(name, at: entries.count, in: entries)
      if previous != positions[name] { misreported.append(name) }
      if previous == nil {
        positions[name] = entries.count
        entries.append(TensorEntry(name: name, info: TensorInfo(dtype: .f32, shape: [1]), file: "f"))
      }
    }
    #expect(misreported.isEmpty, "\(label): inserted as new or found elsewhere: \(misreported.prefix(5))")
    var wrong: [String] = []
    for candidate in 0..<800 {
      let name = "m.\(candidate).w"
      if index.position(of: name, in: entries) != positions[name] { wrong.append(name) }
    }
    #expect(wrong.isEmpty, "\(label): looked up wrongly: \(wrong.prefix(5))")
    #expect(index.count == positions.count)
  }
}
